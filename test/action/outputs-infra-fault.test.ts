import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';
import { fraudBehindPassThrough, platformPassThrough } from '../support/platform-pass-through.js';

// A workflow scripting on the outputs could not tell a bad model from a platform that failed: a
// refused cut-over, a metrics outage and a failed gate all gave `decision: failed`. A failed gate
// whose rollback the platform refused (green, v3, still takes all live traffic) gave `models` a
// `failed` status with nothing saying v3 may still serve, and a commit status that was the reason
// cut at 140 characters. PR #5 takes fraud-detector from v1 to v3 (about 12% errors) with a
// blue-green bake. Main step from src/, the real sandbox behind pass-throughs (its traffic API and
// its metrics) that fail as a test says, the ledger a PR comment on the GitHub stand-in.
const MODEL = 'fraud-detector';
const FILE = 'models/fraud.yaml';
// v3 judged on 200 of its requests: on fewer, its 12% of errors can read 5% or less and pass.
const CONFIG = fraudBehindPassThrough(
  FILE,
  '{ type: blue-green, bake-duration: 30s, rollback-window: 1h, min-requests: 200, interval: 250ms }',
);

type Fault = 'none' | 'refuse-withdrawals' | 'refuse-cut-over' | 'metrics-down-after-cut-over';
/** The PRs taking fraud-detector to v3, and their heads. */
const HEADS = new Map([
  [5, 3],
  [6, 4],
  [8, 6],
]);
let fault: Fault = 'none';
let cutOver = false;

let sandbox: Sandbox;
let github: FakeGitHub;
let platform: Awaited<ReturnType<typeof platformPassThrough>>;
let metrics: Awaited<ReturnType<typeof platformPassThrough>>;
let traffic: TrafficGenerator;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1', 5));
  platform = await platformPassThrough(sandbox.url, async ({ method, body }, forward) => {
    const canary = method === 'PUT' ? (body as { canary?: unknown } | undefined)?.canary : undefined;
    if (method === 'PUT' && canary && fault === 'refuse-cut-over')
      return { status: 503, body: { error: 'traffic API unavailable' } };
    if (method === 'PUT' && !canary && fault === 'refuse-withdrawals')
      return { status: 503, body: { error: 'traffic API unavailable' } };
    if (canary) cutOver = true;
    return forward();
  });
  metrics = await platformPassThrough(sandbox.url, async (_, forward) =>
    fault === 'metrics-down-after-cut-over' && cutOver
      ? { status: 503, body: { error: 'metrics backend unavailable' } }
      : forward(),
  );
  traffic = startTraffic({ url: sandbox.url, model: MODEL, rps: 200, seed: 9 });
  github.setFile(sha(1), FILE, 'version: v1\n');
  // One PR a test: a failed head is not analysed again.
  for (const [pr, head] of HEADS) {
    github.setFile(sha(head), FILE, 'version: v3\n');
    github.setPullRequest(pr, {
      baseSha: sha(1),
      headSha: sha(head),
      files: [{ filename: FILE, status: 'modified' }],
    });
  }
});

// The platform answers again: a tick withdraws what a test left live, and frees the canary slot.
afterEach(async () => {
  fault = 'none';
  await step('schedule', { schedule: '*/15 * * * *' }, { command: 'tick' });
  expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
  cutOver = false;
});

afterAll(async () => {
  await traffic?.stop();
  expect(github?.violations).toEqual([]);
  await platform?.close();
  await metrics?.close();
  await sandbox?.close();
  await github?.close();
});

const step = (eventName: string, event: unknown, inputs: Record<string, string>) =>
  runMainStep({
    eventName,
    event,
    inputs: { ledger: 'github', ...inputs },
    config: CONFIG,
    githubUrl: github.url,
    env: {
      SANDBOX_URL: metrics.url,
      PLATFORM_URL: platform.url,
      GITHUB_SHA: sha(1),
      MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.001',
    },
  });

/** PR `pr` opened, its job watching for up to a minute. */
const released = (pr: number) =>
  step(
    'pull_request',
    pullRequestEvent('opened', { base: sha(1), head: sha(HEADS.get(pr) ?? 0) }, { number: pr }),
    {
      mode: 'watch',
      'max-wait': '60s',
    },
  );

const models = (outputs: Record<string, string>) =>
  JSON.parse(outputs.models ?? '[]') as Record<string, unknown>[];

describe('outputs and commit status of a blue-green release under faults', () => {
  it('a failed gate whose rollback was refused: decision failed, models and status say v3 may still serve', async () => {
    fault = 'refuse-withdrawals';
    const run = await released(5);
    expect(await fraudServing(sandbox)).toEqual({
      stable: { version: 'v1' },
      canary: { version: 'v3', weight: 100 },
    });
    // A verdict on v3: the model is bad.
    expect(run.outputs.decision).toBe('failed');
    expect(models(run.outputs)).toMatchObject([
      { model: MODEL, from: 'v1', to: 'v3', status: 'failed', withdrawPending: true },
    ]);
    // What serves first, before GitHub's 140 characters cut the platform's words.
    const status = github.commitStatuses(sha(3)).at(-1);
    expect(status?.state).toBe('failure');
    expect(status?.description).toMatch(
      /^v3 may still take all live traffic: the rollback to v1 failed; errors: \d+\.\d+% is above the max 5\.00%/,
    );
  }, 90_000);

  it('a refused cut-over: decision error, not failed; v3 withdrawn, nothing pending', async () => {
    fault = 'refuse-cut-over';
    const run = await released(6);
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
    expect(run.error).toBeDefined();
    expect(run.outputs.decision).toBe('error');
    const [outcome] = models(run.outputs);
    expect(outcome).toMatchObject({ model: MODEL, to: 'v3', status: 'failed' });
    expect(outcome).not.toHaveProperty('withdrawPending');
  }, 90_000);

  it('a metrics outage during the bake: decision error, not failed', async () => {
    fault = 'metrics-down-after-cut-over';
    const run = await released(8);
    expect(cutOver).toBe(true);
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
    expect(run.error).toBeDefined();
    expect(run.outputs.decision).toBe('error');
    expect(models(run.outputs)).toMatchObject([{ model: MODEL, to: 'v3', status: 'failed' }]);
  }, 90_000);
});
