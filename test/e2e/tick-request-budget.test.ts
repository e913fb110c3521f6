import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runStep, type StepRun } from '../support/actions-runner.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { startFraudCopiesSandbox } from '../support/fraud-copies-sandbox.js';
import { pullRequestEvent } from '../support/payloads.js';

// README's figure for a `schedule` tick: the bundled action over 20 models on the sandbox, 5 of them
// with a PR analysing in `mode: tick` (opened by the real PR job, so their comments and canary claims
// exist), the rest idle. Each tick's GitHub requests are counted alone. The canary's steps last 30
// minutes and no traffic flows, so every tick is the steady one of a long analysis: one look, gates
// waiting for data, no phase change (a tick that changes a phase costs more).
const MODELS = Array.from({ length: 20 }, (_, i) => `model-${String(i).padStart(2, '0')}`);
const DRIVEN = MODELS.slice(0, 5);
const file = (model: string) => `models/${model}/model.yaml`;
const configOf = (models: string[]) => `version: 1
defaults:
  target: { type: sandbox, url: "\${SANDBOX_URL}" }
  metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
  strategy: { type: canary, steps: [10, 50], step-duration: 30m, min-requests: 40, interval: 250ms }
models:
${models
  .map(
    (m) => `  ${m}:
    source: { file: ${file(m)}, key: version }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }`,
  )
  .join('\n')}
`;
/** The same models' first ten, to tell the per-model cost from the tick's own. */
const TEN = '.github/model-gate-ten.yml';

let sandbox: Sandbox;
let github: FakeGitHub;
let workspace: string;
let runId = 500;

const sha = (n: number) => n.toString(16).padStart(40, 'c');
const ourComments = (pr: number) =>
  github.comments(pr).filter((c) => c.body.startsWith('<!-- model-gate report -->'));

/** The bundled action as the runner starts it, in a run of its own. */
function action(eventName: string, event: unknown, inputs: Record<string, string> = {}): Promise<StepRun> {
  const id = runId++;
  github.startRun(id);
  return runStep('index.js', {
    workspace,
    eventName,
    event,
    env: { SANDBOX_URL: sandbox.url, GITHUB_API_URL: github.url, GITHUB_RUN_ID: String(id) },
    inputs: { 'github-token': 'ghs_fake_token_123', 'max-wait': '2m', ...inputs },
  }).finally(() => github.endRun(id));
}

/** One `schedule` tick, and the GitHub requests it made. */
async function tick(inputs: Record<string, string> = {}): Promise<{ run: StepRun; requests: number }> {
  github.resetRequests();
  const run = await action('schedule', { schedule: '*/15 * * * *' }, inputs);
  return { run, requests: github.requestCount() };
}

/** PR #`pr` moves `model` from v1 to v2; its job (`mode: tick`) deploys v2 and leaves it analysing. */
async function openPr(pr: number, model: string): Promise<StepRun> {
  const shas = { base: sha(2 * pr), head: sha(2 * pr + 1) };
  github.setFile(shas.base, file(model), 'version: v1\n');
  github.setFile(shas.head, file(model), 'version: v2\n');
  github.setPullRequest(pr, {
    baseSha: shas.base,
    headSha: shas.head,
    files: [{ filename: file(model), status: 'modified' }],
  });
  return action('pull_request', pullRequestEvent('opened', shas, { number: pr }), { mode: 'tick' });
}

beforeAll(async () => {
  sandbox = await startFraudCopiesSandbox(MODELS, 4);
  github = await startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' });
  workspace = await mkdtemp(join(tmpdir(), 'model-gate-tick-'));
  await mkdir(join(workspace, '.github'));
  await writeFile(join(workspace, '.github', 'model-gate.yml'), configOf(MODELS));
  await writeFile(join(workspace, TEN), configOf(MODELS.slice(0, 10)));
});

afterAll(async () => {
  await sandbox?.close();
  await github?.close();
});

describe('the GitHub requests of a schedule tick', () => {
  const measured = { idle10: 0, idle20: 0, one: 0, five: 0 };

  it('idle: 20 models, no release analysing', async () => {
    const ten = await tick({ config: TEN });
    const twenty = await tick();
    measured.idle10 = ten.requests;
    measured.idle20 = twenty.requests;
    for (const { run } of [ten, twenty]) {
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('no release is analysing');
    }
  });

  it('one release analysing: the tick drives it one pass', async () => {
    const opened = await openPr(1, DRIVEN[0] as string);
    expect([opened.code, opened.outputs.decision]).toEqual([0, 'analysing']);
    const { run, requests } = await tick();
    measured.one = requests;
    expect([run.code, run.outputs.decision]).toEqual([0, 'analysing']);
  }, 60_000);

  it('five releases analysing, each on a PR of its own: the tick drives all five', async () => {
    const opened = await Promise.all(DRIVEN.slice(1).map((model, i) => openPr(i + 2, model)));
    expect(opened.map((r) => [r.code, r.outputs.decision])).toEqual(
      DRIVEN.slice(1).map(() => [0, 'analysing']),
    );
    const { run, requests } = await tick();
    measured.five = requests;
    expect([run.code, run.outputs.decision]).toEqual([0, 'analysing']);
    // Each PR keeps its one comment, which says the release is still analysing.
    for (const pr of [1, 2, 3, 4, 5]) {
      expect(ourComments(pr)).toHaveLength(1);
      expect(ourComments(pr)[0]?.body).toContain('Analysing');
    }
  }, 60_000);

  // Measured: 40 idle (20 models, 0 releases), 49 with 1 release, 81 with 5 (each on its own PR).
  // Every model, idle or not: 2 (its canary claim listed, to find a release holding the slot; the
  // slot's queue of waiting PRs listed, to re-run the first when the slot is free): 20 with 10 models.
  // Each release driven: 8 (its claim's statuses; its PR comment listed, to read the release; the PR
  // read, in case it was closed without its close job recording it; the record read again before
  // and after the look, so a rollback another run made meanwhile stands, and before the report is
  // written; the report written once; the comment listed again after the write, to check no other
  // run's write dropped it). Once per tick that drives any: 1 (a GraphQL viewer query, so the run
  // reads only its own comments). So 2 × models + 8 × releases + 1: a */15 schedule over 20 models
  // driving 5 releases makes 4 × 81 = 324 of GITHUB_TOKEN's 1,000 an hour.
  it('stays within the API budget: 2 per model, 8 per release driven, 1 for the tick', () => {
    console.log(`GitHub API requests per tick: ${measured.idle20} (20 models, 0 releases driven)`);
    console.log(`GitHub API requests per tick: ${measured.idle10} (10 models, 0 releases driven)`);
    console.log(`GitHub API requests per tick: ${measured.one} (20 models, 1 release driven)`);
    console.log(`GitHub API requests per tick: ${measured.five} (20 models, 5 releases driven)`);
    expect(measured.idle10).toBeLessThanOrEqual(20);
    expect(measured.idle20).toBeLessThanOrEqual(40);
    expect(measured.one).toBeLessThanOrEqual(49);
    expect(measured.five).toBeLessThanOrEqual(81);
  });

  it('spoke only the documented API', () => {
    expect(github.violations).toEqual([]);
  });
});
