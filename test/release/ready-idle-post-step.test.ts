import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { readBody } from '../../src/github/sticky-comment.js';
import type { Release } from '../../src/release/types.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { runStep, type StepRun } from '../support/actions-runner.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';
import { platformPassThrough, workspaceWith } from '../support/platform-pass-through.js';

// A PR's job that passes v2's last phase records it ready, then takes it to idle (0%). Its runner
// lost in between left v2 on 50% under a ready record no run acted on (the post step withdraws
// analysing candidates only), the comment saying "Ready to merge". The record now says the change
// is pending, and the post step makes it: from the record, or with GitHub down from what the main
// step saved. Both steps run from src/ as their own processes; the platform is a real sandbox
// behind a pass-through that can lose the runner as the change to idle reaches it.
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
const AT_50 = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 50 } };
const IDLE = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 0 } };
const PENDING = "v2 may still get its last phase's traffic";

let sandbox: Sandbox;
let traffic: TrafficGenerator;
let github: FakeGitHub;
let platform: Awaited<ReturnType<typeof platformPassThrough>>;
let platformUrl: string;
let workspace: string;
/** Called when the change to idle reaches the platform, before it is made. */
let onIdle: (() => void) | undefined;
let pr = 40;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1', 4));
  traffic = startTraffic({ url: sandbox.url, model: MODEL, rps: 200, seed: 8 });
  // The sandbox's traffic API as the target sees it; the change to idle (v2 at 0%) goes through onIdle.
  platform = await platformPassThrough(sandbox.url, async ({ method, body }, forward) => {
    const toIdle = method === 'PUT' && (body as { canary?: { weight: number } })?.canary?.weight === 0;
    if (!toIdle || !onIdle) return forward();
    onIdle();
    return undefined;
  });
  platformUrl = platform.url;
  workspace = await workspaceWith(CONFIG, 'model-gate-ready-idle-');
  github.setFile(sha(1), FILE, 'version: v1\n');
  github.setFile(sha(2), FILE, 'version: v2\n');
});

afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await traffic?.stop();
  await platform?.close();
  await sandbox?.close();
  await github?.close();
});

const env = () => ({
  SANDBOX_URL: sandbox.url,
  PLATFORM_URL: platformUrl,
  GITHUB_API_URL: github.url,
  GITHUB_RUN_ID: String(5000 + pr),
  // GitHub's pacing at a twentieth for the in-process steps too (runStep sets it for its own).
  MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05',
});
const shas = { base: sha(1), head: sha(2) };
const opened = () => pullRequestEvent('opened', shas, { number: pr });
const serving = async () => (await requestJson('GET', `${sandbox.url}/admin/models/${MODEL}/traffic`)).body;
const comment = () =>
  github.comments(pr).find((c) => c.body.startsWith('<!-- model-gate report -->'))?.body ?? '';
const recorded = () =>
  (readBody(comment()).data as { releases: Record<string, Release> } | undefined)?.releases[MODEL];

/** The PR's job, its runner lost as the change to idle reaches the platform. */
async function jobLostAtIdle(): Promise<StepRun> {
  let kill: (s: NodeJS.Signals) => void = () => {};
  onIdle = () => kill('SIGKILL');
  const job = await runStep('index.js', {
    workspace,
    eventName: 'pull_request',
    event: opened(),
    env: env(),
    inputs: { 'github-token': 'ghs_fake_token', 'max-wait': '2m' },
    fromSource: true,
    onSpawn: (k) => {
      kill = k;
    },
  });
  onIdle = undefined;
  expect(job.signal).toBe('SIGKILL');
  return job;
}

const postStep = (job: StepRun) =>
  runStep('post.js', {
    workspace,
    eventName: 'pull_request',
    event: opened(),
    env: env(),
    inputs: { 'github-token': 'ghs_fake_token' },
    state: job.state,
    fromSource: true,
  });

beforeEach(async () => {
  pr++;
  await requestJson('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, { stable: { version: 'v1' } });
  github.setPullRequest(pr, {
    baseSha: shas.base,
    headSha: shas.head,
    files: [{ filename: FILE, status: 'modified' }],
  });
});

afterEach(async () => {
  // Closing the PR frees the model's canary slot for the next test.
  onIdle = undefined;
  await runMainStep({
    eventName: 'pull_request',
    event: pullRequestEvent('closed', shas, { number: pr }),
    inputs: { ledger: 'github', mode: 'tick' },
    config: CONFIG,
    githubUrl: github.url,
    env: env(),
  });
});

describe('a PR job lost between recording v2 ready and taking it to idle', () => {
  it('its comment does not say v2 serves no live traffic, and the post step takes v2 off its 50%', async () => {
    const job = await jobLostAtIdle();
    expect(await serving()).toEqual(AT_50);
    expect(recorded()).toMatchObject({ status: 'ready', idlePending: true });
    expect(comment()).toContain(PENDING);
    expect(comment()).not.toContain('serves no live traffic');

    const post = await postStep(job);
    expect(post.code).toBe(0);
    expect(await serving()).toEqual(IDLE);
    expect(recorded()).toMatchObject({
      status: 'ready',
      reason: 'v2 passed both phases; it serves no live traffic until the PR is merged',
    });
    expect(recorded()?.idlePending).toBeUndefined();
    expect(comment()).toContain('## model-gate: ✅ Ready to merge');
    expect(comment()).not.toContain(PENDING);
  }, 90_000);

  it('GitHub down for the post step: it takes v2 to idle on the platform from what the job saved, and the next tick clears the record', async () => {
    const job = await jobLostAtIdle();
    expect(await serving()).toEqual(AT_50);
    // The listing of comments fails, retries included (1 + 3).
    github.failNext('GET', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 502, 4);
    const post = await postStep(job);
    expect(post.code).toBe(1);
    expect(post.stdout).toMatch(
      /::error::model-gate post step could not read or write the ledger \(.*\); fraud-detector: v2 taken to idle on the platform; the PR comment and statuses are not updated/,
    );
    expect(await serving()).toEqual(IDLE);

    const tick = await runMainStep({
      eventName: 'schedule',
      event: { schedule: '*/15 * * * *' },
      inputs: { ledger: 'github' },
      config: CONFIG,
      githubUrl: github.url,
      env: env(),
    });
    expect(tick.error).toBeUndefined();
    expect(await serving()).toEqual(IDLE);
    expect(recorded()).toMatchObject({ status: 'ready' });
    expect(recorded()?.idlePending).toBeUndefined();
    expect(comment()).not.toContain(PENDING);
  }, 90_000);
});
