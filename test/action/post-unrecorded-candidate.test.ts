import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLEANUP_STATE } from '../../src/action/post.js';
import { requestJson } from '../../src/core/http-json.js';
import { readBody } from '../../src/github/sticky-comment.js';
import type { Release } from '../../src/release/types.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runStep } from '../support/actions-runner.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { FRAUD_ON_SANDBOX, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';
import { platformPassThrough, refusingWithdrawals, workspaceWith } from '../support/platform-pass-through.js';

// A job cancelled between its candidate's first traffic change and the first write of the PR
// comment (which carries the release): the comment has no release to end, so the post step used to
// leave v2 on 10% and exit green. The main step saves the candidate for the post step before any
// traffic change (the first test guards that order), and the post step now withdraws a saved
// candidate the comment does not know. Where the platform refuses, or another version serves beside
// v2, the step fails saying v2 may still be live, as any refused withdrawal in the post step does.
const MODEL = 'fraud-detector';
const FILE = 'models/fraud.yaml';
const shas = { base: sha(1), head: sha(2) };
const STOPPED = 'the job stopped while the PR comment held no record of its release';
const REFUSAL = 'traffic API unavailable';
// FRAUD_ON_SANDBOX, its traffic changed through the pass-through at ${PLATFORM_URL}.
const behindPlatform = FRAUD_ON_SANDBOX.replace(
  `target: { type: sandbox, url: "\${SANDBOX_URL}" }`,
  `target: { type: sandbox, url: "\${PLATFORM_URL}" }`,
);

let sandbox: Sandbox;
let github: FakeGitHub;
let platform: Awaited<ReturnType<typeof platformPassThrough>>;
let platformUrl: string;
let workspace: string;
/** A pass-through that refuses every withdrawal, and a workspace whose target is it. */
let refusing: Awaited<ReturnType<typeof refusingWithdrawals>>;
let refusingWorkspace: string;
/** The post step's state as the main step had saved it when v2 first got live traffic. */
let savedAtFirstTraffic: string | undefined;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1'));
  // The sandbox's traffic API as the target sees it; the first change giving v2 traffic reads the
  // main step's state file (the main step runs in this process, GITHUB_STATE set while it runs).
  platform = await platformPassThrough(sandbox.url, async ({ method, body }, forward) => {
    const live = method === 'PUT' && ((body as { canary?: { weight: number } })?.canary?.weight ?? 0) > 0;
    if (live && savedAtFirstTraffic === undefined) {
      const stateFile = process.env.GITHUB_STATE;
      savedAtFirstTraffic = stateFile ? await readFile(stateFile, 'utf8') : '';
    }
    return forward();
  });
  platformUrl = platform.url;
  workspace = await workspaceWith(FRAUD_ON_SANDBOX, 'model-gate-post-unrecorded-');
  refusing = await refusingWithdrawals(sandbox.url, REFUSAL);
  refusingWorkspace = await workspaceWith(behindPlatform, 'model-gate-post-unrecorded-refusing-');
  github.setFile(sha(1), FILE, 'version: v1\n');
  github.setFile(sha(2), FILE, 'version: v2\n');
});

afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await platform?.close();
  await refusing?.close();
  await sandbox?.close();
  await github?.close();
});

/** PR `number` at `head`, and its event. */
const pr = (number: number, head = shas.head, action: 'opened' | 'synchronize' = 'opened') => {
  github.setPullRequest(number, {
    baseSha: shas.base,
    headSha: head,
    files: [{ filename: FILE, status: 'modified' }],
  });
  return pullRequestEvent(action, { base: shas.base, head }, { number });
};

describe('a candidate deployed before the PR comment recorded its release', () => {
  it('is in the state the main step saved for the post step before its first traffic change', async () => {
    await requestJson('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, { stable: { version: 'v1' } });
    const job = await runMainStep({
      eventName: 'pull_request',
      event: pr(30),
      inputs: { ledger: 'github', mode: 'tick' },
      config: behindPlatform,
      githubUrl: github.url,
      env: { SANDBOX_URL: sandbox.url, PLATFORM_URL: platformUrl, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
    });
    expect([job.error, job.outputs.decision]).toEqual([undefined, 'analysing']);
    expect(savedAtFirstTraffic).toMatch(
      /\[\{"model":"fraud-detector","from":"v1","to":"v2","startedAt":\d+\}\]/,
    );
    await runMainStep({
      eventName: 'pull_request',
      event: pullRequestEvent('closed', shas, { number: 30 }),
      inputs: { ledger: 'github', mode: 'tick' },
      config: behindPlatform,
      githubUrl: github.url,
      env: { SANDBOX_URL: sandbox.url, PLATFORM_URL: platformUrl },
    });
  });

  it('is withdrawn by the post step, which says so', async () => {
    // The job's candidate on 10%; the comment of PR #31 has no release yet.
    await requestJson('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, {
      stable: { version: 'v1' },
      canary: { version: 'v2', weight: 10 },
    });
    const post = await postStep(31);
    expect(post.code).toBe(0);
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
    expect(post.stdout).toContain(`::warning::${MODEL}: v2 withdrawn on the platform: ${STOPPED}`);
    // The comment says what the job did, as it does for a release it held.
    expect(recordedOn(31)).toMatchObject({
      model: MODEL,
      from: 'v1',
      to: 'v2',
      headSha: shas.head,
      status: 'aborted',
      startedAt: STARTED_AT,
      reason: `${STOPPED}; v2 withdrawn on the platform`,
    });
    expect(ourComment(31)).toContain(`${MODEL}: v1 → v2 (withdrawn)`);
  });

  it("beside the record of the PR's last head only: withdrawn and recorded in its place", async () => {
    // PR #34's first head put v2 on 10% and was closed (its record: aborted, v2 withdrawn).
    const first = pr(34);
    const tick = {
      inputs: { ledger: 'github', mode: 'tick' },
      config: FRAUD_ON_SANDBOX,
      githubUrl: github.url,
    };
    const env = { SANDBOX_URL: sandbox.url, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' };
    await runMainStep({ ...tick, eventName: 'pull_request', event: first, env });
    await runMainStep({
      ...tick,
      eventName: 'pull_request',
      event: pullRequestEvent('closed', shas, { number: 34 }),
      env,
    });
    expect(recordedOn(34)).toMatchObject({ headSha: shas.head, status: 'aborted' });
    // Its new head's job put v3 on 10%, and stopped while the comment held the first head's record.
    const head = sha(5);
    github.setFile(head, FILE, 'version: v3\n');
    const pushed = pr(34, head, 'synchronize');
    await requestJson('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, {
      stable: { version: 'v1' },
      canary: { version: 'v3', weight: 10 },
    });
    const startedAt = Date.now();
    const post = await runStep('post.js', {
      workspace,
      eventName: 'pull_request',
      event: pushed,
      env: { SANDBOX_URL: sandbox.url, GITHUB_API_URL: github.url, GITHUB_RUN_ID: '4344' },
      inputs: { 'github-token': 'ghs_fake_token' },
      state: { [CLEANUP_STATE]: JSON.stringify([{ model: MODEL, from: 'v1', to: 'v3', startedAt }]) },
      fromSource: true,
    });
    expect(post.code).toBe(0);
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
    expect(recordedOn(34)).toMatchObject({
      to: 'v3',
      headSha: head,
      status: 'aborted',
      startedAt,
      reason: `${STOPPED}; v3 withdrawn on the platform`,
    });
  });

  it('refused by the platform: the step fails saying the platform refused, not GitHub, and v2 keeps its traffic', async () => {
    await requestJson('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, {
      stable: { version: 'v1' },
      canary: { version: 'v2', weight: 10 },
    });
    const post = await postStep(32, { workspace: refusingWorkspace, platformUrl: refusing.url });
    expect(post.code).toBe(1);
    expect(post.stdout).toContain(
      `::error::model-gate post step could not withdraw the candidate: ${MODEL}: ${STOPPED}; withdrawing v2 failed: sandbox ${MODEL} at ${refusing.url} answered the traffic change with HTTP 503: ${REFUSAL}; the sandbox, or a proxy in front of it, is not serving (still starting, or down; GET ${refusing.url}/healthz answers once it is up)`,
    );
    expect(post.stdout).not.toContain('could not read or write the ledger');
    expect(recordedOn(32)).toBeUndefined();
    expect(await fraudServing(sandbox)).toEqual({
      stable: { version: 'v1' },
      canary: { version: 'v2', weight: 10 },
    });
  });

  it('beside a version another run put in place: left as it is, and the step fails saying v2 may still be live', async () => {
    // v3 stable since the job saved v2 over v1, v2 still on 10% beside it.
    await requestJson('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, {
      stable: { version: 'v3' },
      canary: { version: 'v2', weight: 10 },
    });
    const post = await postStep(33);
    expect(post.code).toBe(1);
    expect(post.stdout).toContain(
      `::error::model-gate post step could not withdraw the candidate: ${MODEL}: ${STOPPED}; left as it is (v3 serves now, not v1)`,
    );
    expect(await fraudServing(sandbox)).toEqual({
      stable: { version: 'v3' },
      canary: { version: 'v2', weight: 10 },
    });
  });
});

/** When the stopped job's release began, as its main step saved it. */
const STARTED_AT = Date.UTC(2026, 10, 30, 12);

/** The body of model-gate's comment on PR `number`. */
const ourComment = (number: number) =>
  github.comments(number).find((c) => c.body.startsWith('<!-- model-gate report -->'))?.body;

/** The release of MODEL that the comment of PR `number` records. */
const recordedOn = (number: number) => {
  const body = ourComment(number);
  return body === undefined
    ? undefined
    : (readBody(body).data as { releases: Record<string, Release> }).releases[MODEL];
};

/**
 * The post step of PR `number`'s job, which saved v2 over v1 as live and stopped before the PR
 * comment recorded its release; its target the sandbox, or `platformUrl` in `workspace`.
 */
const postStep = (number: number, through?: { workspace: string; platformUrl: string }) =>
  runStep('post.js', {
    workspace: through?.workspace ?? workspace,
    eventName: 'pull_request',
    event: pr(number),
    env: {
      SANDBOX_URL: sandbox.url,
      ...(through ? { PLATFORM_URL: through.platformUrl } : {}),
      GITHUB_API_URL: github.url,
      GITHUB_RUN_ID: '4343',
    },
    inputs: { 'github-token': 'ghs_fake_token' },
    state: {
      [CLEANUP_STATE]: JSON.stringify([{ model: MODEL, from: 'v1', to: 'v2', startedAt: STARTED_AT }]),
    },
    fromSource: true,
  });
