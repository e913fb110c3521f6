import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { CLEANUP_STATE } from '../../src/action/post.js';
import { readBody } from '../../src/github/sticky-comment.js';
import type { Release } from '../../src/release/types.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runStep } from '../support/actions-runner.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';
import { platformPassThrough, workspaceWith } from '../support/platform-pass-through.js';
import { type ServingLayer, startServingLayer } from '../support/standins/http-serving-layer.js';

// GitHub force-stops a cancelled job, its post steps too, 5 minutes after the cancel. A post step
// whose withdrawal is taken by the platform but never read back waited the target's whole
// settle-timeout (10 minutes): killed mid-wait, it left the comment saying the withdrawal was
// under way. It now stops at its own budget (4 minutes; shortened here through a test-only
// variable), records the withdrawal unconfirmed and says so, and the next tick checks it.
// The post step runs from src/ as its own process; the platform is an http target's serving layer
// behind a pass-through whose reads fail once the withdrawal is made; the ledger a PR comment on
// the GitHub stand-in.
const MODEL = 'fraud-detector';
const FILE = 'models/fraud.yaml';
const CONFIG = `version: 1
models:
  ${MODEL}:
    source: { file: ${FILE}, key: version }
    target: { type: http, url: "\${PLATFORM_URL}", timeout: 2s, settle-timeout: 10m, poll-interval: 500ms }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: { type: canary, steps: [10, 50], step-duration: 30s, min-requests: 40, interval: 250ms }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
`;
const BUDGET_MS = 5_000;

let sandbox: Sandbox;
let github: FakeGitHub;
let layer: ServingLayer;
let platform: Awaited<ReturnType<typeof platformPassThrough>>;
let workspace: string;
/**
 * Set once the withdrawal reached the platform: the reads of the traffic it answers before failing
 * upstream, every one after that. One: the target's own look that the change settled (http-target.ts).
 */
let readsLeft: number | undefined;
let killPost: (s: NodeJS.Signals) => void = () => {};

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1'));
  layer = await startServingLayer({ deployed: ['v1', 'v2'], stable: 'v1' });
  platform = await platformPassThrough(layer.url, async ({ method, body }, forward) => {
    if (method === 'GET' && readsLeft !== undefined && readsLeft-- <= 0)
      return { status: 503, body: { error: 'read timed out upstream' } };
    const answer = await forward();
    if (method === 'PUT' && !(body as { canary?: unknown } | undefined)?.canary) readsLeft ??= 1;
    return answer;
  });
  workspace = await workspaceWith(CONFIG, 'model-gate-post-budget-');
  github.setFile(sha(1), FILE, 'version: v1\n');
  github.setFile(sha(2), FILE, 'version: v2\n');
});

afterEach(() => killPost('SIGKILL'));

afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await platform?.close();
  await layer?.close();
  await sandbox?.close();
  await github?.close();
});

const shas = { base: sha(1), head: sha(2) };
const env = () => ({
  SANDBOX_URL: sandbox.url,
  PLATFORM_URL: platform.url,
  MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05',
});
const comment = (pr: number) =>
  github.comments(pr).find((c) => c.body.startsWith('<!-- model-gate report -->'))?.body ?? '';
const recorded = (pr: number) =>
  (readBody(comment(pr)).data as { releases: Record<string, Release> } | undefined)?.releases[MODEL];
const mainStep = (eventName: string, event: unknown, runId: number) =>
  runMainStep({
    eventName,
    event,
    inputs: { ledger: 'github', mode: 'tick' },
    config: CONFIG,
    githubUrl: github.url,
    env: { ...env(), GITHUB_RUN_ID: String(runId) },
  });

/**
 * PR #`pr`'s job deploys v2 at 10%, then is cancelled: its post step, from src/ as its own process
 * on a budget of BUDGET_MS, withdraws what the main step saved as live (`beforePost` sets the
 * platform's fault first). The post step's run, and how long it took.
 */
async function cancelledJob(pr: number, beforePost: () => void = () => {}) {
  github.setPullRequest(pr, {
    baseSha: sha(1),
    headSha: sha(2),
    files: [{ filename: FILE, status: 'modified' }],
  });
  const job = await mainStep('pull_request', pullRequestEvent('opened', shas, { number: pr }), 4242);
  expect([job.error, job.outputs.decision]).toEqual([undefined, 'analysing']);
  expect(layer.traffic).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
  beforePost();
  const began = Date.now();
  const post = await runStep('post.js', {
    workspace,
    eventName: 'pull_request',
    event: pullRequestEvent('opened', shas, { number: pr }),
    env: {
      ...env(),
      GITHUB_API_URL: github.url,
      GITHUB_RUN_ID: '4242',
      MODEL_GATE_TEST_POST_STEP_BUDGET_MS: String(BUDGET_MS),
    },
    inputs: { 'github-token': 'ghs_fake_token' },
    state: { [CLEANUP_STATE]: JSON.stringify([{ model: MODEL, from: 'v1', to: 'v2' }]) },
    fromSource: true,
    onSpawn: (kill) => {
      killPost = kill;
    },
  });
  return { post, tookMs: Date.now() - began };
}

const RAN_OUT =
  "the post step stopped waiting for the platform 5s after it started, before the target's settle-timeout (10m), as GitHub stops a cancelled job 5 minutes after the cancel";

it("a withdrawal the platform takes but never reads back: the post step ends within its budget, not the target's 10m settle-timeout, the comment saying it is unconfirmed; the next tick confirms it", async () => {
  const pr = 31;
  const { post, tookMs } = await cancelledJob(pr);

  // Ended by itself, long before the settle-timeout, the withdrawal taken by the platform.
  expect(post.signal).toBeNull();
  expect(tookMs).toBeLessThan(5 * 60_000);
  expect(layer.traffic).toEqual({ stable: { version: 'v1' } });
  expect(post.code).toBe(1);
  expect(post.stdout).toContain(
    '::error::model-gate post step could not withdraw the candidate: fraud-detector:',
  );
  expect(post.stdout).toContain('withdrawing v2 is unconfirmed');
  // The record: ended, its withdrawal asked but unconfirmed, for the next run to check.
  expect(recorded(pr)).toMatchObject({
    status: 'aborted',
    withdrawPending: true,
    ending: { withdrawFailed: { unconfirmed: true } },
  });
  const said = comment(pr);
  expect(said).not.toContain('is being withdrawn (its end is recorded');
  expect(said).toContain('v2 is probably withdrawn: the platform accepted its withdrawal');
  expect(said).toContain('no read has confirmed it yet');
  expect(said).toContain(RAN_OUT);
  expect(said).toContain('v2 may still get live traffic: check what the platform serves');

  // The platform answers reads again: the next tick checks the withdrawal and records it done.
  readsLeft = Number.POSITIVE_INFINITY;
  const tick = await mainStep('schedule', { schedule: '*/15 * * * *' }, 4343);
  expect(tick.error).toBeUndefined();
  expect(layer.traffic).toEqual({ stable: { version: 'v1' } });
  expect(recorded(pr)).toMatchObject({ status: 'aborted' });
  expect(recorded(pr)?.withdrawPending).toBeUndefined();
  expect(comment(pr)).not.toContain('may still get live traffic');
}, 90_000);

it('a withdrawal the platform never finishes (updating: true): the post step ends within its budget, the comment saying v2 may still be live', async () => {
  const pr = 32;
  // The post step's withdrawal is the next PUT: answered 202, then updating for as long as it looks.
  const { post, tookMs } = await cancelledJob(pr, () => {
    layer.faults.converge = 1_000_000;
  });

  expect(post.signal).toBeNull();
  expect(tookMs).toBeLessThan(5 * 60_000);
  expect(post.code).toBe(1);
  expect(post.stdout).toContain('withdrawing v2 failed');
  expect(post.stdout).toContain('did not settle');
  expect(recorded(pr)).toMatchObject({ status: 'aborted', withdrawPending: true });
  const said = comment(pr);
  expect(said).not.toContain('is being withdrawn (its end is recorded');
  expect(said).toContain('v2 could not be withdrawn');
  expect(said).toContain(RAN_OUT);
  expect(said).toContain('v2 may still get live traffic');
}, 90_000);
