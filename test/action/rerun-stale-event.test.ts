import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { fraudCanaryConfig, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';
import { completedRun, waitingQueue } from '../support/slot-queue-jobs.js';

// "Re-run all jobs" runs a job again with its run's ORIGINAL event, hours later maybe; GitHub also
// starts a queued run after the PR moved on. Such a run used to act on the event as if it were
// news: it analysed an old head again beside the new head's release, deployed a candidate for a
// closed PR, or withdrew the release of a PR reopened since. It now reads the PR first, and when
// the PR moved on (another head, closed, reopened) it changes nothing and says so. Main step from
// src/, against the GitHub stand-in (every request checked against GitHub's OpenAPI) and the sandbox.
const FILE = 'models/fraud.yaml';
const MODEL = 'fraud-detector';
const CONFIG = fraudCanaryConfig(
  '{ type: canary, steps: [50], step-duration: 30s, min-requests: 40, interval: 250ms }',
);
const BASE = sha(1);

let github: FakeGitHub;
let sandbox: Sandbox;
let traffic: TrafficGenerator;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1', 5));
  traffic = startTraffic({ url: sandbox.url, model: MODEL, rps: 200, seed: 9 });
  github.setFile(BASE, FILE, 'version: v1\n');
});

afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await traffic?.stop();
  await sandbox?.close();
  await github?.close();
});

type Action = 'opened' | 'synchronize' | 'reopened' | 'closed';

/** PR `number` as GitHub has it now: at head sha(`head`), which declares `to`; open unless said. */
function prNow(number: number, head: number, to: string, state: { closed?: boolean } = {}) {
  github.setFile(sha(head), FILE, `version: ${to}\n`);
  github.setPullRequest(number, {
    baseSha: BASE,
    headSha: sha(head),
    files: [{ filename: FILE, status: 'modified' }],
    ...(state.closed ? { state: 'closed' as const } : {}),
  });
}

/** The main step of run `runId` (attempt `attempt`) on PR `number`'s `action` at head sha(`head`). */
function job(number: number, action: Action, head: number, runId: number, attempt = 1) {
  completedRun(github, runId);
  return runMainStep({
    eventName: 'pull_request',
    event: pullRequestEvent(action, { base: BASE, head: sha(head) }, { number }),
    inputs: { ledger: 'github', 'max-wait': '2m' },
    config: CONFIG,
    githubUrl: github.url,
    env: {
      SANDBOX_URL: sandbox.url,
      MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.001',
      GITHUB_RUN_ID: String(runId),
      GITHUB_RUN_ATTEMPT: String(attempt),
    },
  });
}

/** A job that must not fail the step: its decision. */
async function decided(...args: Parameters<typeof job>) {
  const done = await job(...args);
  expect(done.error).toBeUndefined();
  return done.outputs.decision;
}

const statuses = (head: number) =>
  github.commitStatuses(sha(head)).map((s) => `${s.state}: ${s.description}`);
const lastComment = (pr: number) => github.comments(pr).at(-1)?.body ?? '';

it('a re-run of an older head’s job changes nothing: the new head’s release and its status stand', async () => {
  prNow(2, 21, 'v2');
  expect(await decided(2, 'opened', 21, 201)).toBe('ready');
  prNow(2, 22, 'v4');
  expect(await decided(2, 'synchronize', 22, 202)).toBe('ready');
  const before = { old: statuses(21), now: statuses(22), serving: await fraudServing(sandbox) };
  expect(before.now.at(-1)).toMatch(/^success: /);

  // "Re-run all jobs" on head 21's run.
  const rerun = await job(2, 'opened', 21, 201, 2);
  expect(rerun.error).toBeUndefined();
  expect(rerun.outputs.decision).toBe('skipped');
  expect(rerun.log).toContain(`PR #2 is at ${sha(22).slice(0, 7)} now`);
  expect(rerun.log).not.toContain('superseded');
  expect(rerun.report).toContain(`PR #2 is at ${sha(22).slice(0, 7)} now`);
  expect(await fraudServing(sandbox)).toEqual(before.serving);
  expect({ old: statuses(21), now: statuses(22) }).toEqual({ old: before.old, now: before.now });
  expect(lastComment(2)).toContain('v4');

  prNow(2, 22, 'v4', { closed: true });
  expect(await decided(2, 'closed', 22, 203)).toBe('aborted');
  expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
}, 120_000);

it('a re-run of a closed PR’s job deploys nothing, and the next PR gets the slot', async () => {
  prNow(9, 91, 'v2');
  expect(await decided(9, 'opened', 91, 901)).toBe('ready');
  prNow(9, 92, 'v4');
  expect(await decided(9, 'synchronize', 92, 902)).toBe('ready');
  prNow(9, 92, 'v4', { closed: true });
  expect(await decided(9, 'closed', 92, 903)).toBe('aborted');
  const comment = lastComment(9);

  const rerun = await job(9, 'opened', 91, 901, 2);
  expect(rerun.error).toBeUndefined();
  expect(rerun.outputs.decision).toBe('skipped');
  expect(rerun.log).toContain('PR #9 was closed');
  expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
  expect(lastComment(9)).not.toContain('Ready to merge');
  expect(lastComment(9).split('\n')[3]).toBe(comment.split('\n')[3]);

  prNow(10, 101, 'v2');
  expect(await decided(10, 'opened', 101, 1001)).toBe('ready');
  prNow(10, 101, 'v2', { closed: true });
  expect(await decided(10, 'closed', 101, 1002)).toBe('aborted');
}, 120_000);

it('a re-run of the close job of a PR reopened since withdraws nothing', async () => {
  prNow(11, 111, 'v2');
  expect(await decided(11, 'opened', 111, 1101)).toBe('ready');
  prNow(11, 111, 'v2', { closed: true });
  expect(await decided(11, 'closed', 111, 1102)).toBe('aborted');
  prNow(11, 111, 'v2');
  expect(await decided(11, 'reopened', 111, 1103)).toBe('ready');
  const before = { statuses: statuses(111), serving: await fraudServing(sandbox) };
  expect(before.statuses.at(-1)).toMatch(/^success: /);

  const rerun = await job(11, 'closed', 111, 1102, 2);
  expect(rerun.error).toBeUndefined();
  expect(rerun.outputs.decision).toBe('skipped');
  expect(rerun.log).toContain('PR #11 is open again');
  expect(await fraudServing(sandbox)).toEqual(before.serving);
  expect(statuses(111)).toEqual(before.statuses);
  expect(lastComment(11)).not.toContain('Withdrawn');
}, 120_000);

it('a queued PR closed without merging leaves the queue for the canary slot', async () => {
  // PR #11 (above) holds the slot with v2 ready; PR #12 waits for it.
  prNow(12, 121, 'v5');
  const queued = await job(12, 'opened', 121, 1201);
  expect(queued.error).toBeUndefined();
  expect(waitingQueue(github, MODEL)).toEqual(['#12 queued']);
  prNow(12, 121, 'v5', { closed: true });
  expect((await job(12, 'closed', 121, 1202)).error).toBeUndefined();
  expect(waitingQueue(github, MODEL)).toEqual([]);

  // PR #11's slot frees: no run of the closed PR is re-run for it.
  prNow(11, 111, 'v2', { closed: true });
  expect(await decided(11, 'closed', 111, 1104)).toBe('aborted');
  expect(github.reruns).not.toContain(1201);
}, 120_000);

it('GitHub not saying where the PR is: an opened-type job deploys nothing and fails saying so; a close still withdraws', async () => {
  prNow(13, 131, 'v2');
  github.failNext('GET', '/repos/{owner}/{repo}/pulls/{pull_number}', 502, 10);
  const refused = await job(13, 'opened', 131, 1301);
  github.clearFaults();
  expect(refused.outputs.decision).toBe('error');
  expect(refused.error).toContain('could not read PR #13');
  expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });

  expect(await decided(13, 'opened', 131, 1301, 2)).toBe('ready');
  prNow(13, 131, 'v2', { closed: true });
  github.failNext('GET', '/repos/{owner}/{repo}/pulls/{pull_number}', 502, 10);
  const closed = await job(13, 'closed', 131, 1302);
  github.clearFaults();
  expect(closed.outputs.decision).toBe('aborted');
  expect(closed.log).toContain('could not read PR #13');
  expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
}, 120_000);
