import { afterAll, beforeAll, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { FRAUD_ON_SANDBOX, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';
import { completedRun, jobLedger, waitingQueue } from '../support/slot-queue-jobs.js';

// Two PRs wait for fraud-detector's canary slot. The slot frees and the first one's run is re-run:
// the slot is held for its job until that job claims it. But by the time the job runs, the version
// it declares already serves (another PR released it): the job ends without error and claims
// nothing. It used to keep its reservation for 30 minutes, the second PR waiting behind a job long
// over. It now gives the slot up at once and the second PR's run is re-run by the same job.
const MODEL = 'fraud-detector';
const FRAUD = 'models/fraud.yaml';
const BASE = sha(1);

let sandbox: Sandbox;
let github: FakeGitHub;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1'));
  github.setFile(BASE, FRAUD, 'version: v1\n');
});

afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await sandbox?.close();
  await github?.close();
});

/** PR `number` at head sha(`head`) moves fraud-detector to `to`. */
function pullRequest(number: number, head: number, to: string) {
  github.setFile(sha(head), FRAUD, `version: ${to}\n`);
  github.setPullRequest(number, {
    baseSha: BASE,
    headSha: sha(head),
    files: [{ filename: FRAUD, status: 'modified' }],
  });
  return pullRequestEvent('opened', { base: BASE, head: sha(head) }, { number });
}

/** A ledger on the stand-in, as a job of run `runId` has it. */
const ledgerOf = (runId?: number) =>
  jobLedger(github, { sha: BASE, ...(runId === undefined ? {} : { runId }) });

/** PR `number` at head sha(`head`) waits for the slot, as its job in run `runId` (completed) queued it. */
async function waits(number: number, head: number, to: string, runId: number) {
  completedRun(github, runId);
  await ledgerOf(runId).wait(MODEL, { pr: number, headSha: sha(head), to });
}

const queue = () => waitingQueue(github, MODEL);

it('a job re-run from the queue whose version already serves gives up the slot: the next PR waiting is re-run at once', async () => {
  const first = pullRequest(72, 7, 'v3');
  await waits(72, 7, 'v3', 7201);
  pullRequest(73, 8, 'v4');
  await waits(73, 8, 'v4', 7301);
  // The slot is free: PR #72's run is re-run, and the slot held for its job.
  await ledgerOf().startWaiting([MODEL]);
  expect(github.reruns).toEqual([7201]);
  expect(queue()).toEqual(['#72 in_progress', '#73 queued']);

  // Meanwhile v3 became the stable version.
  await requestJson('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, { stable: { version: 'v3' } });
  const rerun = await runMainStep({
    eventName: 'pull_request',
    event: first,
    inputs: { ledger: 'github', mode: 'tick' },
    config: FRAUD_ON_SANDBOX,
    githubUrl: github.url,
    env: { SANDBOX_URL: sandbox.url, GITHUB_RUN_ID: '7201' },
  });
  expect(rerun.error).toBeUndefined();
  expect(rerun.log).toContain('v3 is already the stable version');

  // PR #73 is re-run by that job: it no longer waits 30 minutes behind a job that claimed nothing.
  expect(github.reruns).toEqual([7201, 7301]);
  expect(queue()).toEqual(['#73 in_progress']);
}, 60_000);

it('re-runs the next PR as it leaves the queue, not at the job’s end, which a crash or a cancel never reaches', async () => {
  // Another model's slot, its queue empty of the test above.
  const model = 'churn-model';
  for (const [number, head, runId] of [
    [82, 17, 8201],
    [83, 18, 8301],
  ] as const) {
    pullRequest(number, head, 'v5');
    completedRun(github, runId);
    await ledgerOf(runId).wait(model, { pr: number, headSha: sha(head), to: 'v5' });
  }
  await ledgerOf().startWaiting([model]);
  expect(github.reruns.slice(-1)).toEqual([8201]);
  // The re-run job finds nothing to release, then stops before its closing startWaiting: its post
  // step, a new process, finds neither a claim nor a reservation of its run to give back.
  const job = ledgerOf(8201);
  await job.nothingToRelease(model, { pr: 82, headSha: sha(17) });
  expect(github.reruns.slice(-2)).toEqual([8201, 8301]);
  // A job that does reach its end says whom it re-ran.
  expect(await job.startWaiting()).toEqual([{ model, pr: 83, run: 8301, outcome: 'started' }]);
});
