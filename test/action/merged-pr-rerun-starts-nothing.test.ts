import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { fraudCanaryConfig, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';
import { completedRun, waitingQueue } from '../support/slot-queue-jobs.js';

// PR #7 waits in the queue for the canary slot PR #6 holds, and is merged meanwhile: nothing of it
// is recorded, so its merge job promotes nothing (require-pass). The queue's line says to re-run
// its job once the slot frees; that re-run carries its ORIGINAL opened event. It used to start a
// fresh release after the merge: v3 got live traffic, the comment said "Ready to merge" on the
// merged PR, and no merge job ever promoted it. It now starts nothing and says the merge job acts
// on the merge. Main step from src/, against the GitHub stand-in and the sandbox.
const FILE = 'models/fraud.yaml';
const MODEL = 'fraud-detector';
const CONFIG = fraudCanaryConfig(
  '{ type: canary, steps: [10, 50], step-duration: 30s, min-requests: 40, interval: 250ms }',
);
const BASE = sha(1);

let github: FakeGitHub;
let sandbox: Sandbox;
let traffic: TrafficGenerator;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1', 5));
  traffic = startTraffic({ url: sandbox.url, model: MODEL, rps: 200, seed: 11 });
  github.setFile(BASE, FILE, 'version: v1\n');
});

afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await traffic?.stop();
  await sandbox?.close();
  await github?.close();
});

/** PR `number` at head sha(`head`), which declares `to`. */
function pr(number: number, head: number, to: string) {
  github.setFile(sha(head), FILE, `version: ${to}\n`);
  github.setPullRequest(number, {
    baseSha: BASE,
    headSha: sha(head),
    files: [{ filename: FILE, status: 'modified' }],
  });
}

/** The main step of run `runId` (attempt `attempt`) on PR `number`'s `action` at head sha(`head`). */
function job(
  number: number,
  action: 'opened' | 'closed',
  head: number,
  runId: number,
  opts = { merged: false, attempt: 1 },
) {
  completedRun(github, runId);
  return runMainStep({
    eventName: 'pull_request',
    event: pullRequestEvent(action, { base: BASE, head: sha(head) }, { number, merged: opts.merged }),
    inputs: { ledger: 'github', 'max-wait': '2m' },
    config: CONFIG,
    githubUrl: github.url,
    env: {
      SANDBOX_URL: sandbox.url,
      MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.001',
      GITHUB_RUN_ID: String(runId),
      GITHUB_RUN_ATTEMPT: String(opts.attempt),
    },
  });
}

const lastComment = (number: number) => github.comments(number).at(-1)?.body ?? '';

it('a re-run of a merged PR’s opened job starts no release: the candidate gets no traffic, and it names the merge job', async () => {
  pr(6, 61, 'v2');
  expect((await job(6, 'opened', 61, 601)).outputs.decision).toBe('ready');
  pr(7, 71, 'v3');
  expect((await job(7, 'opened', 71, 701)).error).toBeUndefined();
  expect(waitingQueue(github, MODEL)).toEqual(['#7 queued']);
  const queued = lastComment(7);

  // PR #7 merged while queued: its merge job promotes nothing.
  const merge = await job(7, 'closed', 71, 702, { merged: true, attempt: 1 });
  expect(merge.error).toBeUndefined();
  expect(await fraudServing(sandbox)).toEqual({
    stable: { version: 'v1' },
    canary: { version: 'v2', weight: 0 },
  });
  // PR #6 closed: the slot frees.
  github.setPullRequest(6, { baseSha: BASE, headSha: sha(61), files: [], state: 'closed' });
  expect((await job(6, 'closed', 61, 602)).outputs.decision).toBe('aborted');
  expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });

  // The queue's "re-run it then", on PR #7's opened run.
  const rerun = await job(7, 'opened', 71, 701, { merged: false, attempt: 2 });
  expect(rerun.error).toBeUndefined();
  expect(rerun.outputs.decision).toBe('skipped');
  const says = `PR #7 is merged: this run of its opened event at ${sha(71).slice(0, 7)} starts no release`;
  expect(rerun.log).toContain(says);
  expect(rerun.report).toContain('re-run its merge job (the job of its closed event)');
  expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
  expect(github.commitStatuses(sha(71)).map((s) => s.state)).not.toContain('pending');
  expect(lastComment(7)).not.toContain('Ready to merge');
  expect(lastComment(7)).toContain(says);
  // The queue's line said so.
  expect(queued).toContain('if this PR is merged first, re-run its merge job instead');
}, 120_000);
