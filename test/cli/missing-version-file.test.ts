import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { GitRepo } from '../support/git-repo.js';

// A model's source.file that is not in the repository turned its gating off without a word:
// `plan` said "nothing to release" while the real file's version changed. Now `plan` warns, naming
// the field, the path and what to do; a file the change deletes is said plainly too.
const config = (fraudFile: string) => `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:9" }
  metrics: { type: sandbox, url: "http://127.0.0.1:9" }
models:
  fraud-detector:
    source: { file: ${fraudFile}, key: version }
    strategy: { type: canary, steps: [50] }
    gates: []
  churn:
    source: { file: models/churn/model.yaml, key: version }
    strategy: { type: canary, steps: [50] }
    gates: []
`;
const F = '.github/model-gate.yml';
const TYPO = 'models/fraud-detecter/model.yaml';
const REAL = 'models/fraud-detector/model.yaml';

const cli = (repo: GitRepo, ...args: string[]) => runCli(repo.dir, args);
const sha7 = (repo: GitRepo, ref: string) => repo.git('rev-parse', '--short=7', ref).trim();

/** A repository whose main has the config (fraud-detector's path as given) and both models at v1, on `branch` the real fraud file at v2. */
async function repoWith(fraudFile: string): Promise<GitRepo> {
  const repo = await GitRepo.create();
  await repo.commit({
    [F]: config(fraudFile),
    [REAL]: 'version: v1\n',
    'models/churn/model.yaml': 'version: c1\n',
  });
  repo.git('switch', '-q', '-c', 'feature');
  await repo.commit({ [REAL]: 'version: v2\n' }, 'fraud v2');
  return repo;
}

describe('a source.file that is in neither the base nor the head', () => {
  let repo: GitRepo;
  beforeAll(async () => {
    repo = await repoWith(TYPO);
  });

  it('plan: a warning naming the field, the path and what to do beside "nothing to release"', async () => {
    const run = await cli(repo, 'plan', '--head', 'feature');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      `warning: ${F}: models.fraud-detector.source.file: "${TYPO}" is in neither the base (${sha7(repo, 'main')}) nor the head (${sha7(repo, 'feature')}): no version change of fraud-detector is gated until the path is fixed or the file added\n`,
    );
  });

  it('plan of the working tree names it as the head', async () => {
    const run = await cli(repo, 'plan');
    expect(run.stderr).toContain(
      'nor the head (the working tree): no version change of fraud-detector is gated',
    );
  });

  it('once the path is right, plan lists the change', async () => {
    const fixed = await repoWith(REAL);
    const run = await cli(fixed, 'plan', '--head', 'feature');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(
      /^1 of 2 models changes from .*:\nfraud-detector v1 → v2: canary on sandbox\n/,
    );
  });
});

describe('a version file the change deletes while the config still names the model', () => {
  it('plan: exit 0, with a warning naming the field and the path, and what to do', async () => {
    const repo = await repoWith(REAL);
    await rm(join(repo.dir, 'models/churn/model.yaml'));
    const run = await cli(repo, 'plan');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^1 of 2 models changes/);
    expect(run.stderr).toBe(
      `warning: ${F}: models.churn.source.file: "models/churn/model.yaml" is deleted by this change (it is in the base, ${sha7(repo, 'main')}, not in the head, the working tree), but the config still names churn: this change releases nothing for churn; remove churn from the config too, or restore the file\n`,
    );
  });
});
