import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { runStep } from '../support/actions-runner.js';
import { GitRepo } from '../support/git-repo.js';
import { pullRequestEvent, pushEvent, workflowDispatchEvent } from '../support/payloads.js';

// The bundled action, started as the runner starts it, against a real sandbox with live traffic.
const CONFIG = `version: 1
defaults:
  target: { type: sandbox, url: "\${SANDBOX_URL}" }
  metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
models:
  fraud-detector:
    source: { file: models/fraud-detector/model.yaml, key: version }
    strategy: { type: canary, steps: [10, 50], step-duration: 20s, min-requests: 100, interval: 500ms }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
      - { name: p95-latency, kind: threshold, query: latency-p95, max-increase: 100% }
`;
const VERSION_FILE = 'models/fraud-detector/model.yaml';

let sandbox: Sandbox;
let traffic: TrafficGenerator;
let repo: GitRepo;
let base: string;

const traffic_ = async () =>
  (await requestJson('GET', `${sandbox.url}/admin/models/fraud-detector/traffic`)).body;
const ledgerPath = () => join(repo.dir, '.model-gate', 'ledger.json');
const ledger = async () => JSON.parse(await readFile(ledgerPath(), 'utf8'));
/** The ledger as it is, undefined while nothing was recorded. */
const ledgerIfAny = async () => (existsSync(ledgerPath()) ? ledger() : undefined);
const version = (v: string) => ({ [VERSION_FILE]: `name: fraud-detector\nversion: ${v}\n` });

function step(
  script: 'index.js' | 'post.js',
  event: unknown,
  extra: Partial<Parameters<typeof runStep>[1]> = {},
) {
  return runStep(script, {
    workspace: repo.dir,
    eventName: 'pull_request',
    event,
    env: { SANDBOX_URL: sandbox.url },
    inputs: { 'github-token': 'ghs_test', 'max-wait': '2m', ledger: '.model-gate/ledger.json' },
    ...extra,
  });
}

/**
 * v2 serving alone, as the tests before leave it: a test that deploys nothing starts from it
 * itself, so an earlier test left failing (a candidate still out) does not fail it too.
 */
async function v2ServesAlone() {
  const res = await requestJson('PUT', `${sandbox.url}/admin/models/fraud-detector/traffic`, {
    stable: { version: 'v2' },
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: 'fraud-detector', stable: 'v1' }],
    seed: 3,
  });
  // 40 requests a second at 10%: a step's min-requests (100) in under 3 s.
  traffic = startTraffic({ url: sandbox.url, model: 'fraud-detector', rps: 400, seed: 5 });
  repo = await GitRepo.create();
  base = await repo.commit({ '.github/model-gate.yml': CONFIG, ...version('v1') }, 'v1 serving');
});

afterAll(async () => {
  await traffic?.stop();
  await sandbox?.close();
});

describe('dist/index.js on pull_request events', () => {
  it('runs a passing canary, writes outputs and the job summary, and leaves the candidate withdrawn until merge', async () => {
    const head = await repo.commit(version('v2'), 'fraud-detector v2');
    const run = await step('index.js', pullRequestEvent('opened', { base, head }));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.outputs.decision).toBe('ready');
    expect(JSON.parse(run.outputs.models ?? '[]')).toEqual([
      expect.objectContaining({ model: 'fraud-detector', from: 'v1', to: 'v2', status: 'ready' }),
    ]);
    expect(run.summary).toContain('## model-gate: ✅ Ready to merge');
    expect(run.summary).toMatch(
      /\| errors \(error-rate\) \| [\d.]+% \([\d,]+ req\) \| [\d.]+% \([\d,]+ req\) \| ≤ 2\.00% \| ✅ pass \|/,
    );
    expect(await readFile(run.outputs['report-path'] ?? '', 'utf8')).toBe(run.summary);
    // The step log: the event, then one group per phase the canary went through.
    // Workflow commands escape their data (% as %25); GitHub decodes it when it shows the log.
    const groups = run.stdout
      .split('\n')
      .filter((l) => l.startsWith('::group::'))
      .map((l) => l.replaceAll('%25', '%'));
    expect(groups).toEqual([
      '::group::pull_request opened #2',
      '::group::fraud-detector v1 → v2: step 1 of 2 (10% of live traffic)',
      '::group::fraud-detector v1 → v2: step 2 of 2 (50% of live traffic)',
    ]);
    expect(run.stdout.split('\n').filter((l) => l === '::endgroup::')).toHaveLength(3);
    expect(await traffic_()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 0 } });
    // Nothing left for the post step: no candidate to withdraw, no lines for its comment.
    expect(run.state).toEqual({ cleanup: '', notes: '' });

    const merged = await step('index.js', pullRequestEvent('closed', { base, head }, { merged: true }));
    expect(merged.code).toBe(0);
    expect(merged.outputs.decision).toBe('promoted');
    expect(merged.summary).toContain('fraud-detector v2 was promoted (replacing v1)');
    expect(await traffic_()).toEqual({ stable: { version: 'v2' } });
    expect((await ledger()).history).toEqual([
      expect.objectContaining({
        model: 'fraud-detector',
        kind: 'promotion',
        version: 'v2',
        previous: 'v1',
        pr: 2,
      }),
    ]);
    base = head;
  });

  it('rolls a faulty candidate back, exits non-zero with ::error::, and keeps the stable version serving', async () => {
    const head = await repo.commit(version('v3'), 'fraud-detector v3');
    const run = await step('index.js', pullRequestEvent('opened', { base, head }, { number: 3 }));
    expect(run.code).toBe(1);
    expect(run.outputs.decision).toBe('failed');
    expect(run.stdout).toMatch(
      /::error::model-gate: fraud-detector v3 was rolled back to v2 in step \d of \d \(\d+%25 of live traffic\): (errors|p95-latency): /,
    );
    // An annotation on the failed gate itself, titled so the run's summary page says which.
    // (Workflow commands escape ':' in properties as %3A and '%' as %25; GitHub decodes them.)
    const decoded = run.stdout.replaceAll('%3A', ':').replaceAll('%25', '%');
    expect(decoded).toMatch(
      /^::error title=fraud-detector v3: gate (errors|p95-latency) failed::(errors|p95-latency): .+$/m,
    );
    expect(run.summary).toContain('## model-gate: ❌ Rolled back');
    expect(await traffic_()).toEqual({ stable: { version: 'v2' } });
    expect((await ledger()).releases['fraud-detector']).toMatchObject({ status: 'failed', pr: 3, to: 'v3' });
  });

  it('withdraws the candidate in the post step when the job is cancelled mid-analysis, and only its own head', async () => {
    const head = await repo.commit(version('v1'), 'back to v1');
    let killed = false;
    const run = await step('index.js', pullRequestEvent('opened', { base, head }, { number: 4 }), {
      onSpawn: (kill) => {
        const poll = setInterval(async () => {
          const t = (await traffic_()) as { canary?: { weight: number } };
          if ((t.canary?.weight ?? 0) > 0) {
            clearInterval(poll);
            killed = true;
            kill('SIGTERM');
          }
        }, 50);
      },
    });
    expect(killed).toBe(true);
    expect(run.signal).toBe('SIGTERM');
    expect(run.state.cleanup).not.toBe('');
    expect(await traffic_()).toMatchObject({ canary: { version: 'v1' } });

    // The post step of an earlier run of the PR (an older head, cancelled by this run's push)
    // leaves this run's candidate alone.
    const late = await step('post.js', pullRequestEvent('opened', { base, head: base }, { number: 4 }), {
      state: run.state,
    });
    expect(late.code).toBe(0);
    expect(late.stdout).not.toContain('withdrawn by the post step');
    expect(await traffic_()).toMatchObject({ canary: { version: 'v1' } });
    expect((await ledger()).releases['fraud-detector']).toMatchObject({ status: 'analysing', pr: 4 });

    // A workflow_dispatch command that fails while the PR's release is analysing (nothing is
    // ready to promote) leaves nothing for its post step to withdraw.
    const dispatch = { eventName: 'workflow_dispatch', event: workflowDispatchEvent({ command: 'promote' }) };
    const promote = await step('index.js', dispatch.event, {
      ...dispatch,
      inputs: { 'github-token': 'ghs_test', ledger: '.model-gate/ledger.json', command: 'promote' },
    });
    expect(promote.code).toBe(1);
    expect(promote.state.cleanup ?? '').toBe('');
    const dispatchPost = await step('post.js', dispatch.event, {
      ...dispatch,
      state: { cleanup: 'pending' },
    });
    expect(dispatchPost.code).toBe(0);
    expect(dispatchPost.stdout).not.toContain('withdrawn');
    expect(await traffic_()).toMatchObject({ canary: { version: 'v1' } });
    expect((await ledger()).releases['fraud-detector']).toMatchObject({ status: 'analysing', pr: 4 });

    const post = await step('post.js', pullRequestEvent('opened', { base, head }, { number: 4 }), {
      state: run.state,
    });
    expect(post.code).toBe(0);
    // What the candidate served as the job stopped ('%' escaped as %25 in a workflow command).
    expect(post.stdout).toMatch(
      /::warning::fraud-detector: the job stopped mid-analysis with v1 on \d+%25 of live traffic; v1 withdrawn by the post step/,
    );
    expect(await traffic_()).toEqual({ stable: { version: 'v2' } });
    expect((await ledger()).releases['fraud-detector']).toMatchObject({ status: 'aborted', pr: 4 });
  });

  it('refuses a hostile version with one line naming the file and key, and deploys nothing', async () => {
    await v2ServesAlone();
    const head = await repo.commit({ [VERSION_FILE]: 'version: "1.2; rm -rf /"\n' }, 'hostile');
    const before = await ledgerIfAny();
    const run = await step('index.js', pullRequestEvent('synchronize', { base, head }, { number: 5 }));
    expect(run.code).toBe(1);
    const errors = run.stdout.split('\n').filter((l) => l.startsWith('::error::'));
    expect(errors).toEqual([
      '::error::models/fraud-detector/model.yaml: key "version": "1.2; rm -rf /" is not a valid version (letters, digits, . _ + - only, at most 128 characters)',
    ]);
    expect(await traffic_()).toEqual({ stable: { version: 'v2' } });
    expect(await ledgerIfAny()).toEqual(before);
  });

  it('refuses a bad configuration naming the field, and deploys nothing', async () => {
    await v2ServesAlone();
    const head = await repo.commit(
      { '.github/model-gate.yml': CONFIG.replace('steps: [10, 50]', 'steps: [10, 140]'), ...version('v3') },
      'bad config',
    );
    const run = await step('index.js', pullRequestEvent('synchronize', { base, head }, { number: 6 }));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'models.fraud-detector.strategy.steps[1]: expected a number between 0 and 100, got 140',
    );
    expect(run.stdout).not.toMatch(/\n\s+at /); // no stack trace
    expect(await traffic_()).toEqual({ stable: { version: 'v2' } });
    // The job summary and the report file say it too (markdown-escaped), not the log alone.
    expect(run.summary).toContain(
      'models.fraud-detector.strategy.steps\\[1\\]: expected a number between 0 and 100, got 140',
    );
    expect(await readFile(run.outputs['report-path'] ?? '', 'utf8')).toBe(run.summary);
  });
});

describe('dist/index.js with command: plan', () => {
  // Three models, two of them moved by the PR; fraud-detector is the one live on the sandbox.
  const PLAN_CONFIG = `${CONFIG}  ranker:
    source: { file: models/ranker/model.yaml, key: version }
    strategy: { type: canary, steps: [25] }
    gates: []
  churn:
    source: { file: models/churn/model.yaml, key: version }
    strategy: { type: canary, steps: [25] }
    gates: []
`;
  const models = (fraud: string, ranker: string, churn: string) => ({
    ...version(fraud),
    'models/ranker/model.yaml': `version: ${ranker}\n`,
    'models/churn/model.yaml': `version: ${churn}\n`,
  });
  let planRepo: GitRepo;
  let planBase: string;
  let planHead: string;

  beforeAll(async () => {
    planRepo = await GitRepo.create();
    planBase = await planRepo.commit({
      '.github/model-gate.yml': PLAN_CONFIG,
      ...models('v1', '1.0', '2.0'),
    });
    planHead = await planRepo.commit(models('v9', '1.0', '2.1'), 'fraud-detector v9, churn 2.1');
  });

  const plan = (eventName: string, event: unknown) =>
    runStep('index.js', {
      workspace: planRepo.dir,
      eventName,
      event,
      env: { SANDBOX_URL: sandbox.url },
      inputs: { 'github-token': 'ghs_test', command: 'plan', ledger: '.model-gate/ledger.json' },
    });

  it('outputs the changed models as a matrix, deploys nothing and leaves nothing for the post step', async () => {
    await v2ServesAlone();
    const before = await traffic_();
    const run = await plan('pull_request', pullRequestEvent('opened', { base: planBase, head: planHead }));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.outputs.matrix ?? '')).toEqual({
      include: [{ model: 'fraud-detector' }, { model: 'churn' }],
    });
    expect(run.outputs['has-models']).toBe('true');
    expect(run.outputs.decision).toBe('planned');
    expect(JSON.parse(run.outputs.models ?? '[]')).toEqual([
      expect.objectContaining({ model: 'fraud-detector', from: 'v1', to: 'v9', status: 'planned' }),
      expect.objectContaining({
        model: 'churn',
        from: '2.0',
        to: '2.1',
        strategy: 'canary',
        status: 'planned',
      }),
    ]);
    expect(run.summary).toContain('## model-gate plan: 2 models, one job each');
    expect(run.summary).toContain('- fraud-detector v1 → v9: canary on sandbox, 2 phases (10%, 50%)');
    expect(await readFile(run.outputs['report-path'] ?? '', 'utf8')).toBe(run.summary);
    // Nothing deployed, nothing recorded, no cleanup pending.
    expect(await traffic_()).toEqual(before);
    expect(existsSync(join(planRepo.dir, '.model-gate', 'ledger.json'))).toBe(false);
    expect(run.state).toEqual({});
  });

  it('gives an empty but valid matrix and has-models false when the PR changes no version', async () => {
    const same = await planRepo.commit({ 'README.md': '# models\n' }, 'docs only');
    const run = await plan('pull_request', pullRequestEvent('synchronize', { base: planHead, head: same }));
    expect(run.code).toBe(0);
    expect(run.outputs.matrix).toBe('{"include":[]}');
    expect(run.outputs['has-models']).toBe('false');
    expect(run.outputs.decision).toBe('skipped');
    expect(run.outputs.models).toBe('[]');
    expect(run.summary).toContain('## model-gate plan: nothing to release');
  });

  it('plans a push from its before and after commits, and nothing for a push that creates a branch', async () => {
    const [pushed, created] = await Promise.all([
      plan('push', pushEvent({ before: planBase, after: planHead })),
      plan('push', pushEvent({ before: '0'.repeat(40), after: planHead })),
    ]);
    expect(pushed.code).toBe(0);
    expect(JSON.parse(pushed.outputs.matrix ?? '')).toEqual({
      include: [{ model: 'fraud-detector' }, { model: 'churn' }],
    });
    expect(created.code).toBe(0);
    expect(created.outputs['has-models']).toBe('false');
  });

  it('refuses a hostile version with one line and plans nothing', async () => {
    const hostile = await planRepo.commit({ 'models/ranker/model.yaml': 'version: "$(id)"\n' }, 'hostile');
    const run = await plan(
      'pull_request',
      pullRequestEvent('synchronize', { base: planBase, head: hostile }),
    );
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n').filter((l) => l.startsWith('::error::'))).toEqual([
      '::error::models/ranker/model.yaml: key "version": "$(id)" is not a valid version (letters, digits, . _ + - only, at most 128 characters)',
    ]);
    expect(run.outputs.matrix).toBeUndefined();
  });
});
