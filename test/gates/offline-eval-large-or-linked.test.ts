import { mkdir, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { gitFileReader } from '../../src/version/changed-models.js';
import { fraudPr } from '../support/fraud-pr.js';
import { GitRepo } from '../support/git-repo.js';
import { FRAUD_CANARY_YAML } from '../support/model-config.js';

// An offline gate's evaluation read with git must read as GitHub's contents API reads it: files
// up to 100 MB (a per-example predictions file runs to tens of MB), and a symlink followed to the
// file it names in the repository rather than read as its link text.
const YAML = FRAUD_CANARY_YAML.replace(
  '    gates:\n',
  '    gates:\n      - { name: auc, kind: offline, file: models/fraud/eval.json, key: auc, min: 0.9 }\n',
);
const EVAL = 'models/fraud/eval.json';

/** PR #7 in a real git repository; `links` are symlinks (path: target) the PR commits. */
async function openPr(head: Record<string, string>, links: Record<string, string> = {}) {
  const repo = await GitRepo.create();
  const baseSha = await repo.commit({ 'fraud.yaml': 'version: v1\n', [EVAL]: '{"auc":0.95}\n' }, 'base');
  if (Object.keys(links).length > 0) repo.git('rm', '-q', EVAL);
  for (const [path, target] of Object.entries(links)) {
    await mkdir(dirname(join(repo.dir, path)), { recursive: true });
    await symlink(target, join(repo.dir, path));
  }
  const headSha = await repo.commit({ 'fraud.yaml': 'version: v2\n', ...head }, 'the PR');
  const { config, ports, target } = await fraudPr({ yaml: YAML });
  ports.reader = gitFileReader(repo.dir);
  const event: PullRequestEvent = { action: 'opened', number: 7, baseSha, headSha, merged: false };
  const result = await handlePullRequest(config, event, ports, {
    mode: 'tick',
    maxWaitMs: 60_000,
    dryRun: false,
  });
  const release = result.releases[0];
  return { release, auc: release?.gates.find((g) => g.name === 'auc'), target };
}

describe('an offline gate reading the PR with git', () => {
  it('judges an 18 MB per-example evaluation file and deploys the candidate', async () => {
    const text = `{"auc":0.93,"scores":[${'0.912345,'.repeat(2_000_000)}0.5]}`;
    expect(text.length).toBeGreaterThan(17 * 1024 * 1024);
    const { release, auc, target } = await openPr({ [EVAL]: text });
    expect(auc).toMatchObject({ verdict: 'pass', last: { canary: 0.93 } });
    expect(release?.status).toBe('analysing');
    expect(target.writes[0]?.canary?.version).toBe('v2');
  });

  it('judges the file a symlinked evaluation names, relative to the link, not the link text', async () => {
    const { release, auc } = await openPr(
      { 'models/fraud/runs/42/eval.json': '{"auc":0.93}\n' },
      { [EVAL]: 'runs/42/eval.json' },
    );
    expect(auc).toMatchObject({ verdict: 'pass', last: { canary: 0.93 } });
    expect(release?.status).toBe('analysing');
  });
});
