import { afterEach, beforeEach, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { newRelease } from '../../src/release/new-release.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { canaryModel } from '../support/model-config.js';
import { completedRun, jobLedger, waitingQueue } from '../support/slot-queue-jobs.js';

// The queue re-runs the first waiting PR's run and holds the canary slot for its job for 30 minutes.
// Closing the PR (or pushing to it) cancels that job, and a job cancelled before it began has no
// post step to give the slot back: the slot stayed held for a PR no longer there, a tick re-ran
// nobody and a new PR's job queued behind it, for 30 minutes. Such a reservation is now dropped the
// first time another PR needs the slot, as a closed PR's place in the queue is.
let github: FakeGitHub;
let clock: FakeClock;
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const sha = (n: number) => n.toString(16).padStart(40, 'c');
const ENV = 'model-gate/fraud';

beforeEach(async () => {
  github = await startFakeGitHub(repo);
  clock = new FakeClock(Date.now());
});
afterEach(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

const openPr = (pr: number, head: number, state: 'open' | 'closed' = 'open') =>
  github.setPullRequest(pr, { baseSha: sha(1), headSha: sha(head), files: [], state });

/** A job of run `runId` (completed) on a PR. */
function job(runId: number, pr?: number) {
  completedRun(github, runId);
  return jobLedger(github, { sha: sha(pr ?? 1), pr, runId, clock });
}
const queue = () => waitingQueue(github, 'fraud');

/** PRs #2 and #3 wait for the slot; it is free, so PR #2's run 102 is re-run and the slot held for its job. */
async function secondPrReRun() {
  openPr(2, 20);
  openPr(3, 30);
  await job(102, 2).wait('fraud', { pr: 2, headSha: sha(20), to: 'v3' });
  await job(103, 3).wait('fraud', { pr: 3, headSha: sha(30), to: 'v4' });
  expect(await job(200).startWaiting(['fraud'])).toMatchObject([{ pr: 2, outcome: 'started' }]);
  expect(queue()).toEqual(['#2 in_progress', '#3 queued']);
}

it.each([
  ['closed', () => openPr(2, 20, 'closed')],
  ['pushed to (its re-run cancelled by the push)', () => openPr(2, 21)],
])(
  'a PR %s after its run was re-run from the queue: the next tick re-runs the PR waiting behind it',
  async (_, change) => {
    await secondPrReRun();
    change();
    clock.advance(60_000);
    expect(await job(201).startWaiting(['fraud'])).toEqual([
      { model: 'fraud', pr: 3, run: 103, outcome: 'started' },
    ]);
    expect(github.reruns).toEqual([102, 103]);
    expect(queue()).toEqual(['#3 in_progress']);
  },
);

it('a PR closed after its run was re-run from the queue: a new PR takes the free slot instead of queuing behind it', async () => {
  await secondPrReRun();
  openPr(2, 20, 'closed');
  openPr(6, 60);
  await job(106, 6).saveRelease(
    newRelease(canaryModel(), { from: 'v1', to: 'v7', pr: 6, headSha: sha(60), now: 0 }),
  );
  const claims = github.deployments(ENV).filter((d) => d.task === 'model-gate:canary');
  expect(claims.map((d) => [(d.payload as { pr: number }).pr, d.statuses.at(-1)?.state])).toEqual([
    [6, 'in_progress'],
  ]);
  expect(queue()).toEqual(['#3 queued']);
});

it('a PR still open at the head it was re-run with keeps the slot for its job', async () => {
  await secondPrReRun();
  clock.advance(60_000);
  expect(await job(201).startWaiting(['fraud'])).toEqual([]);
  openPr(6, 60);
  const early = job(106, 6).saveRelease(
    newRelease(canaryModel(), { from: 'v1', to: 'v7', pr: 6, headSha: sha(60), now: 0 }),
  );
  await expect(early).rejects.toMatchObject({ holder: { pr: 2, to: 'v3' } });
  expect(queue()).toEqual(['#2 in_progress', '#3 queued']);
});
