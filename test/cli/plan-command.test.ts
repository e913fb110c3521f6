import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { GitRepo } from '../support/git-repo.js';

// `model-gate plan` as a user runs it: its own process, in a real repository, reading real git refs.
const CONFIG = `version: 1
defaults:
  target: { type: sandbox, url: "\${SANDBOX_URL}" }
  metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
    strategy: { type: canary, steps: [10, 50] }
    gates: []
  ranker:
    source: { file: models/ranker/model.json, key: model.version }
    strategy: { type: shadow, share: 50, duration: 5s }
    gates: []
  churn:
    source: { file: models/churn/model.yaml, key: version }
    strategy: { type: blue-green, bake-duration: 1m }
    gates: []
`;
const files = (fraud: string, ranker: string, churn: string) => ({
  'models/fraud/model.yaml': `name: fraud\nversion: ${fraud}\n`,
  'models/ranker/model.json': `{"model": {"version": "${ranker}"}}\n`,
  'models/churn/model.yaml': `version: ${churn}\n`,
});

const plan = (repo: GitRepo, ...args: string[]) =>
  runCli(repo.dir, ['plan', ...args], { SANDBOX_URL: 'http://127.0.0.1:9' });

let repo: GitRepo;

beforeAll(async () => {
  // main: three models at their first version. docs: edits a version file, not the version.
  // feature: fraud moves, then ranker moves uncommitted. main meanwhile moves churn: a change
  // on the base branch, not the branch's own.
  repo = await GitRepo.create();
  await repo.commit({ '.github/model-gate.yml': CONFIG, ...files('1.0.0', '3.1', '0.1') }, 'base');
  repo.git('switch', '-q', '-c', 'docs');
  await repo.commit(
    { 'models/fraud/model.yaml': 'name: fraud # the detector\nversion: 1.0.0\n', 'README.md': '# models\n' },
    'docs only',
  );
  repo.git('switch', '-q', 'main');
  repo.git('switch', '-q', '-c', 'feature');
  await repo.commit({ 'models/fraud/model.yaml': 'name: fraud\nversion: 1.1.0\n' }, 'fraud 1.1.0');
  repo.git('switch', '-q', 'main');
  await repo.commit({ 'models/churn/model.yaml': 'version: 0.9\n' }, 'churn 0.9 on main');
  repo.git('switch', '-q', 'feature');
  await writeFile(join(repo.dir, 'models/ranker/model.json'), '{"model": {"version": "3.2"}}\n');
});

describe('model-gate plan', () => {
  it('lists the two models the branch and its uncommitted edits change, and only those in the matrix', async () => {
    const run = await plan(repo, '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.matrix).toEqual({ include: [{ model: 'fraud' }, { model: 'ranker' }] });
    expect(out.hasModels).toBe(true);
    expect(out.base).toEqual({ ref: 'main', sha: repo.git('merge-base', 'main', 'feature').trim() });
    expect(out.head).toEqual({ ref: 'working tree' });
    expect(out.models).toEqual([
      {
        model: 'fraud',
        from: '1.0.0',
        to: '1.1.0',
        strategy: 'canary',
        target: 'sandbox',
        phases: [
          { name: 'step 1 of 2', weight: 10, slot: 'canary' },
          { name: 'step 2 of 2', weight: 50, slot: 'canary' },
        ],
        runs: 'until its gates pass at each step, at most 10m a step (step-duration): 20m at most over 2 steps',
      },
      {
        model: 'ranker',
        from: '3.1',
        to: '3.2',
        strategy: 'shadow',
        target: 'sandbox',
        phases: [{ name: 'shadow 50% of requests', weight: 0, slot: 'shadow' }],
        runs: 'at least 5s (duration), until its gates pass, at most 10m (step-duration)',
      },
    ]);
  });

  it('prints each changed model with its versions, strategy, target and phases', async () => {
    const run = await plan(repo);
    expect(run.code).toBe(0);
    const base = repo.git('merge-base', 'main', 'feature').slice(0, 7);
    expect(run.stdout.split('\n')).toEqual([
      `2 of 3 models change from the merge-base with main (${base}) to the working tree:`,
      'fraud 1.0.0 → 1.1.0: canary on sandbox',
      '  1. step 1 of 2: 10% of live traffic',
      '  2. step 2 of 2: 50% of live traffic',
      '  runs: until its gates pass at each step, at most 10m a step (step-duration): 20m at most over 2 steps',
      'ranker 3.1 → 3.2: shadow on sandbox',
      '  1. shadow 50% of requests: mirrored copies of live requests, no live traffic',
      '  runs: at least 5s (duration), until its gates pass, at most 10m (step-duration)',
      '',
    ]);
  });

  it('compares committed refs with --head, leaving the uncommitted edit out', async () => {
    const run = await plan(repo, '--head', 'feature', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).matrix).toEqual({ include: [{ model: 'fraud' }] });
    const text = await plan(repo, '--head', 'feature');
    expect(text.stdout.split('\n')[0]).toMatch(/^1 of 3 models changes from the merge-base with main /);
  });

  it('gives an empty matrix and hasModels false when a branch edits version files but no version', async () => {
    const json = await plan(repo, '--head', 'docs', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ models: [], matrix: { include: [] }, hasModels: false });
    const text = await plan(repo, '--head', 'docs');
    expect(text.stdout).toMatch(
      /^nothing to release: no version changes from the merge-base with main \([0-9a-f]{7}\) to docs \([0-9a-f]{7}\) \(3 models in \.github\/model-gate\.yml\)\n$/,
    );
  });

  it('refuses a hostile version with one line naming the file and key, exit code 1', async () => {
    const file = join(repo.dir, 'models/churn/model.yaml');
    await writeFile(file, 'version: "1.2; rm -rf /"\n');
    try {
      const run = await plan(repo, '--json');
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        'model-gate plan: models/churn/model.yaml: key "version": "1.2; rm -rf /" is not a valid version (letters, digits, . _ + - only, at most 128 characters)\n',
      );
    } finally {
      await writeFile(file, 'version: 0.1\n');
    }
  });

  it.each([
    [
      ['--config', 'nope.yml'],
      'model-gate plan: nope.yml: config file not found; create it (see docs/configuration.md) or check the path given to --config\n',
    ],
    [['--base', 'nope'], 'model-gate plan: --base nope: no such branch, tag or commit in this repository'],
    [
      ['--head', '$(id)'],
      'model-gate plan: refusing git ref "$(id)": expected a commit SHA or a branch or tag name',
    ],
  ])('refuses %j with one clear line and exit code 1', async (args, message) => {
    const run = await plan(repo, ...args);
    expect(run.code).toBe(1);
    expect(run.stderr.startsWith(message)).toBe(true);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('names every problem of a bad config, one line each, without a stack trace', async () => {
    const bad = CONFIG.replace('steps: [10, 50]', 'steps: [10, 140]').replace('share: 50', 'share: 150');
    await writeFile(join(repo.dir, 'bad.yml'), bad);
    const run = await plan(repo, '--config', 'bad.yml');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')).toEqual([
      'model-gate plan: bad.yml:8:43: models.fraud.strategy.steps[1]: expected a number between 0 and 100, got 140',
      'model-gate plan: bad.yml:12:38: models.ranker.strategy.share: expected a number between 0 and 100, got 150',
      '',
    ]);
  });

  it('refuses an unknown option as a usage error, one line, exit code 2', async () => {
    const run = await plan(repo, '--bogus');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'model-gate plan: unknown option --bogus (usage: model-gate plan [--config PATH] [--base REF] [--head REF] [--json])\n',
    );
  });
});
