import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLEANUP_STATE } from '../../src/action/post.js';
import { type JsonResponse, requestJson } from '../../src/core/http-json.js';
import { readBody } from '../../src/github/sticky-comment.js';
import type { Release } from '../../src/release/types.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runStep } from '../support/actions-runner.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';
import { platformPassThrough, workspaceWith } from '../support/platform-pass-through.js';

// The post step of a PR's job (after a cancel or a crash mid-analysis) records the release's end
// before it asks the platform to withdraw the candidate, as every other withdrawal does: should its
// runner be lost in between, or the platform refuse, the PR's comment says the candidate is being
// (or may still be) withdrawn, and the next run takes it out. With GitHub not answering, it still
// withdraws the candidate on the platform directly. The post step runs from src/ as its own process
// (a lost runner is that process killed); the platform is a real sandbox behind a pass-through
// that can hold or refuse the withdrawal; the ledger a PR comment on the GitHub stand-in.
const MODEL = 'fraud-detector';
const FILE = 'models/fraud.yaml';
const CONFIG = `version: 1
models:
  ${MODEL}:
    source: { file: ${FILE}, key: version }
    target: { type: sandbox, url: "\${PLATFORM_URL}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: { type: canary, steps: [10, 50], step-duration: 30s, min-requests: 40, interval: 250ms }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
`;
const UNDER_WAY =
  'v2 is being withdrawn (its end is recorded; the platform has not confirmed the change yet)';
// The share v2 had as the job stopped, read before the withdrawal: the phase history shows no step for it.
const WHY = 'the job stopped mid-analysis with v2 on 10% of live traffic; v2 withdrawn by the post step';

/** What the pass-through does with a withdrawal: answers it (after `forward`, or not), or hangs up. */
type OnWithdrawal = (forward: () => Promise<JsonResponse>) => Promise<JsonResponse | undefined>;

let sandbox: Sandbox;
let github: FakeGitHub;
let platform: Awaited<ReturnType<typeof platformPassThrough>>;
let platformUrl: string;
let workspace: string;
let onWithdrawal: OnWithdrawal | undefined;
/** GETs of the traffic to answer with a 503 (the platform's read endpoint timing out upstream). */
let readsToFail = 0;
let pr = 20;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1'));
  // The sandbox's traffic API as the target sees it: a withdrawal (the stable version alone) goes
  // through onWithdrawal, the rest straight through.
  platform = await platformPassThrough(sandbox.url, async ({ method, body }, forward) => {
    if (method === 'GET' && readsToFail > 0) {
      readsToFail -= 1;
      return { status: 503, body: { error: 'read timed out upstream' } };
    }
    const withdrawal = method === 'PUT' && !(body as { canary?: unknown } | undefined)?.canary;
    return withdrawal && onWithdrawal ? onWithdrawal(forward) : forward();
  });
  platformUrl = platform.url;
  workspace = await workspaceWith(CONFIG, 'model-gate-post-first-');
  github.setFile(sha(1), FILE, 'version: v1\n');
  github.setFile(sha(2), FILE, 'version: v2\n');
});

afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await platform?.close();
  await sandbox?.close();
  await github?.close();
});

const env = () => ({
  SANDBOX_URL: sandbox.url,
  PLATFORM_URL: platformUrl,
  MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05',
});
const shas = { base: sha(1), head: sha(2) };
const serving = async () => (await requestJson('GET', `${sandbox.url}/admin/models/${MODEL}/traffic`)).body;
const comment = () =>
  github.comments(pr).find((c) => c.body.startsWith('<!-- model-gate report -->'))?.body ?? '';
/** The release as the PR's comment records it. */
const recorded = () =>
  (readBody(comment()).data as { releases: Record<string, Release> } | undefined)?.releases[MODEL];

/** The main step, from src/ in this process: the PR's job (one pass) or a schedule tick. */
const mainStep = (eventName: string, event: unknown, runId: number) =>
  runMainStep({
    eventName,
    event,
    inputs: { ledger: 'github', mode: 'tick' },
    config: CONFIG,
    githubUrl: github.url,
    env: { ...env(), GITHUB_RUN_ID: String(runId) },
  });

/** The PR job's post step, from src/ as its own process; `onSpawn` gets the means to kill it. */
const postStep = (onSpawn?: (kill: (s: NodeJS.Signals) => void) => void) =>
  runStep('post.js', {
    workspace,
    eventName: 'pull_request',
    event: pullRequestEvent('opened', shas, { number: pr }),
    env: { ...env(), GITHUB_API_URL: github.url, GITHUB_RUN_ID: '4242' },
    inputs: { 'github-token': 'ghs_fake_token' },
    // What the main step saved before it was cancelled: v2 may have live traffic.
    state: { [CLEANUP_STATE]: JSON.stringify([{ model: MODEL, from: 'v1', to: 'v2' }]) },
    fromSource: true,
    onSpawn,
  });

const scheduleTick = () => mainStep('schedule', { schedule: '*/15 * * * *' }, 4300 + pr);

beforeEach(async () => {
  pr++;
  onWithdrawal = undefined;
  readsToFail = 0;
  await requestJson('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, { stable: { version: 'v1' } });
  github.setPullRequest(pr, {
    baseSha: shas.base,
    headSha: shas.head,
    files: [{ filename: FILE, status: 'modified' }],
  });
  // The PR's job deploys v2 at 10%; then (as if in watch mode) it is cancelled and its post step runs.
  const job = await mainStep('pull_request', pullRequestEvent('opened', shas, { number: pr }), 4242);
  expect([job.error, job.outputs.decision]).toEqual([undefined, 'analysing']);
  expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
});

afterEach(async () => {
  // Closing the PR frees the model's canary slot for the next test, whatever this one left.
  github.clearFaults();
  onWithdrawal = undefined;
  readsToFail = 0;
  await mainStep('pull_request', pullRequestEvent('closed', shas, { number: pr }), 4242);
});

describe('the post step records the end first', () => {
  it.each([
    ['before the change reaches the platform', 'before-change'],
    ['after the platform made the change', 'after-change'],
  ] as const)(
    'its runner lost as it withdraws v2, %s: the comment says v2 is being withdrawn, and the next tick takes it out',
    async (_, at) => {
      let kill: (s: NodeJS.Signals) => void = () => {};
      onWithdrawal = async (forward) => {
        if (at === 'after-change') await forward();
        kill('SIGKILL');
        return undefined;
      };
      const post = await postStep((k) => {
        kill = k;
      });
      expect(post.signal).toBe('SIGKILL');
      // The end, recorded before the change, is all the lost step left.
      expect(recorded()).toMatchObject({
        status: 'aborted',
        reason: WHY,
        withdrawPending: true,
        ending: { serves: 'v1' },
      });
      expect(comment()).toContain(UNDER_WAY);
      expect(await serving()).toEqual(
        at === 'after-change'
          ? { stable: { version: 'v1' } }
          : { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } },
      );

      onWithdrawal = undefined;
      const tick = await scheduleTick();
      expect([tick.error, tick.outputs.decision]).toEqual([undefined, 'aborted']);
      expect(await serving()).toEqual({ stable: { version: 'v1' } });
      expect(recorded()).toMatchObject({ status: 'aborted', reason: `${WHY}; v2 withdrawn on a later try` });
      expect(recorded()?.withdrawPending).toBeUndefined();
      expect(comment()).not.toContain(UNDER_WAY);
      expect(comment()).toContain('## model-gate: ⏹️ Withdrawn');
    },
  );

  it('the platform refusing the withdrawal: the step fails, the comment said v2 was being withdrawn before it asked and says now it may still be live; the next tick takes it out', async () => {
    let atChange = '';
    onWithdrawal = async () => {
      atChange = comment();
      return { status: 503, body: { error: 'traffic API unavailable' } };
    };
    const post = await postStep();
    expect(post.code).toBe(1);
    expect(post.stdout).toContain(
      // A workflow command escapes `%` as `%25`.
      `::error::model-gate post step could not withdraw the candidate: ${MODEL}: ${WHY.replace('%', '%25')}; withdrawing v2 failed: sandbox ${MODEL} at ${platformUrl} answered the traffic change with HTTP 503: traffic API unavailable; the sandbox, or a proxy in front of it, is not serving (still starting, or down; GET ${platformUrl}/healthz answers once it is up)`,
    );
    expect(atChange).toContain(UNDER_WAY);
    expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
    expect(recorded()).toMatchObject({ status: 'aborted', withdrawPending: true });
    expect(comment()).toContain('v2 may still get live traffic');

    onWithdrawal = undefined;
    const tick = await scheduleTick();
    expect(tick.error).toBeUndefined();
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(recorded()?.withdrawPending).toBeUndefined();
    expect(comment()).not.toContain('may still get live traffic');
  });

  it('GitHub refusing to record the end once: the step withdraws v2 all the same, and the record after the change says so', async () => {
    // The comment's read answers; the write of the end, before the change, is refused: the change
    // is made anyway (a refused record must not keep the candidate live), and recorded after it.
    github.failNext('PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}', 403);
    const post = await postStep();
    expect(post.code).toBe(0);
    expect(post.stdout).not.toContain('::error::');
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(recorded()).toMatchObject({ status: 'aborted', reason: WHY });
    expect(recorded()?.withdrawPending).toBeUndefined();
    expect(comment()).toContain('## model-gate: ⏹️ Withdrawn');
  });

  it('GitHub refusing every write of the end: the step withdraws v2 all the same, and fails saying what it could not update', async () => {
    github.failNext('PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}', 403, 50);
    const post = await postStep();
    expect(post.code).toBe(1);
    expect(post.stdout).toMatch(
      /::error::model-gate post step could not read or write the ledger \(.*\); fraud-detector: v2 .*; the PR comment and statuses are not updated: re-run the job once GitHub answers/,
    );
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
  });

  // The platform takes the withdrawal, but the read-back right after it meets a 503 once. The step
  // failed saying "withdrawing v2 failed", the comment "v2 may still get live traffic", though v1
  // served alone; it reads again now within the settle-timeout.
  const readFailsOnceAfterWithdrawal: OnWithdrawal = async (forward) => {
    const taken = await forward();
    readsToFail = 1;
    return taken;
  };

  it('the read-back of its withdrawal failing once: v2 withdrawn, the step and the comment say so', async () => {
    onWithdrawal = readFailsOnceAfterWithdrawal;
    const post = await postStep();
    expect(readsToFail).toBe(0);
    expect(post.code).toBe(0);
    expect(post.stdout).not.toContain('::error::');
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(recorded()).toMatchObject({ status: 'aborted', reason: WHY });
    expect(recorded()?.withdrawPending).toBeUndefined();
    expect(recorded()?.ending?.withdrawFailed).toBeUndefined();
    expect(comment()).toContain('## model-gate: ⏹️ Withdrawn');
    expect(comment()).not.toContain('may still get live traffic');
  });

  it('with GitHub refusing the end, the direct withdrawal whose read-back fails once: v2 withdrawn on the platform', async () => {
    github.failNext('PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}', 403, 50);
    onWithdrawal = readFailsOnceAfterWithdrawal;
    const post = await postStep();
    expect(readsToFail).toBe(0);
    expect(post.stdout).toMatch(
      /::error::model-gate post step could not read or write the ledger \(.*\); fraud-detector: v2 .*; the PR comment/,
    );
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
  });
});
