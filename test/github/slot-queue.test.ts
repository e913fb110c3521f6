import { afterEach, beforeEach, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import type { GitHubLedger } from '../../src/github/github-ledger.js';
import { STARTED_HOLDS_MS } from '../../src/github/slot-queue.js';
import { SlotTakenError } from '../../src/ledger/ledger.js';
import { newRelease } from '../../src/release/new-release.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { canaryModel } from '../support/model-config.js';
import { completedRun, jobLedger, waitingQueue } from '../support/slot-queue-jobs.js';

// PRs waiting for a model's canary slot: each job is a new client and ledger on the fake GitHub,
// as each workflow run would be.
let github: FakeGitHub;
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

function openPr(pr: number, head: number) {
  github.setPullRequest(pr, { baseSha: sha(1), headSha: sha(head), files: [] });
}

/** The jobs' clock, at GitHub's time: how long a re-run waiter holds the slot is measured on it. */
let clock: FakeClock;

/** A job of run `runId` on a PR (its run completed, as GitHub re-runs only completed runs). */
function job(runId: number, pr?: number) {
  completedRun(github, runId);
  return jobLedger(github, { sha: sha(pr ?? 1), pr, runId, clock });
}

/** The queue as the Deployments page shows it: each waiter's PR and state. */
const queue = () => waitingQueue(github, 'fraud');
const waiters = () => queue().map((w) => Number(w.slice(1, w.indexOf(' '))));

/** PR `pr` takes the slot: its release is saved analysing, then ends as `status`. */
async function holdAndEnd(ledger: GitHubLedger, pr: number, status: 'promoted' | 'failed' | 'aborted') {
  const release = newRelease(canaryModel(), { from: 'v1', to: 'v2', pr, headSha: sha(pr * 10), now: 0 });
  await ledger.saveRelease(release);
  await ledger.saveRelease({ ...release, status });
}

it('starts the oldest PR still waiting at its head, skipping closed and moved-on ones, once the slot frees', async () => {
  for (const [pr, head] of [
    [2, 20],
    [3, 30],
    [4, 40],
    [5, 50],
  ] as const)
    openPr(pr, head);
  await job(102, 2).wait('fraud', { pr: 2, headSha: sha(20), to: 'v3' });
  await job(103, 3).wait('fraud', { pr: 3, headSha: sha(30), to: 'v4' });
  await job(104, 4).wait('fraud', { pr: 4, headSha: sha(40), to: 'v5' });
  await job(105, 5).wait('fraud', { pr: 5, headSha: sha(50), to: 'v6' });
  expect(waiters()).toEqual([2, 3, 4, 5]);
  github.setPullRequest(2, { baseSha: sha(1), headSha: sha(20), files: [], state: 'closed' });
  openPr(3, 31);

  openPr(9, 90);
  const holder = job(200, 9);
  await holdAndEnd(holder, 9, 'failed');
  expect(await holder.startWaiting()).toEqual([{ model: 'fraud', pr: 4, run: 104, outcome: 'started' }]);
  expect(github.reruns).toEqual([104]);
  expect(queue()).toEqual(['#4 in_progress', '#5 queued']);

  // PR #4's re-run holds the slot until its job claims it: a tick meanwhile starts nobody else,
  // and a PR opened meanwhile waits behind it.
  expect(await job(210).startWaiting(['fraud'])).toEqual([]);
  expect(github.reruns).toEqual([104]);
  openPr(6, 60);
  const early = job(106, 6).saveRelease(
    newRelease(canaryModel(), { from: 'v1', to: 'v7', pr: 6, headSha: sha(60), now: 0 }),
  );
  await expect(early).rejects.toMatchObject({ holder: { pr: 4, to: 'v5' } });
  // Its job claims the slot and leaves the queue.
  await job(104, 4).saveRelease(
    newRelease(canaryModel(), { from: 'v1', to: 'v5', pr: 4, headSha: sha(40), now: 0 }),
  );
  expect(queue()).toEqual(['#5 queued']);
});

it('gives up on a re-run that never claimed the slot, and on a run GitHub cannot re-run, and starts the next', async () => {
  for (const pr of [2, 3, 4]) openPr(pr, pr * 10);
  await job(102, 2).wait('fraud', { pr: 2, headSha: sha(20), to: 'v3' });
  await job(103, 3).wait('fraud', { pr: 3, headSha: sha(30), to: 'v4' });
  await job(104, 4).wait('fraud', { pr: 4, headSha: sha(40), to: 'v5' });
  github.forgetRun(103);
  expect(await job(200).startWaiting(['fraud'])).toEqual([
    { model: 'fraud', pr: 2, run: 102, outcome: 'started' },
  ]);

  clock.advance(STARTED_HOLDS_MS + 1000);
  const events = await job(201).startWaiting(['fraud']);
  expect(events).toEqual([
    { model: 'fraud', pr: 3, run: 103, outcome: 'dropped', why: expect.stringContaining('Not Found') },
    { model: 'fraud', pr: 4, run: 104, outcome: 'started' },
  ]);
  expect(queue()).toEqual(['#4 in_progress']);
});

it('keeps one entry per PR: its place while the head stays, a new place for a new head; taking the slot leaves the queue', async () => {
  openPr(5, 50);
  openPr(6, 60);
  await job(106, 6).wait('fraud', { pr: 6, headSha: sha(60), to: 'v3' });
  await job(105, 5).wait('fraud', { pr: 5, headSha: sha(50), to: 'v4' });
  // A label on PR #6 runs its job again at the same head: same place.
  await job(107, 6).wait('fraud', { pr: 6, headSha: sha(60), to: 'v3' });
  expect(waiters()).toEqual([6, 5]);
  // A push: the new head waits behind PR #5.
  openPr(6, 61);
  await job(108, 6).wait('fraud', { pr: 6, headSha: sha(61), to: 'v3' });
  expect(waiters()).toEqual([5, 6]);
  expect(github.deployments(ENV).map((d) => (d.payload as { run: number }).run)).toEqual([105, 108]);

  const rerun = job(108, 6);
  const release = newRelease(canaryModel(), { from: 'v1', to: 'v3', pr: 6, headSha: sha(61), now: 0 });
  await rerun.saveRelease(release);
  expect(waiters()).toEqual([5]);
});

it('leaves the waiter queued when the slot is still held, or when GitHub refuses the re-run', async () => {
  openPr(7, 70);
  await job(108, 7).wait('fraud', { pr: 7, headSha: sha(70), to: 'v3' });
  openPr(8, 80);
  const holder = job(201, 8);
  const release = newRelease(canaryModel(), { from: 'v1', to: 'v2', pr: 8, headSha: sha(80), now: 0 });
  await holder.saveRelease(release);
  expect(await holder.startWaiting(['fraud'])).toEqual([]);

  await holder.saveRelease({ ...release, status: 'aborted' });
  github.startRun(108);
  const [refused] = await holder.startWaiting();
  expect(refused).toMatchObject({
    pr: 7,
    outcome: 'refused',
    why: expect.stringContaining('already running'),
  });
  expect(queue()).toEqual(['#7 queued']);
  github.endRun(108);
  github.allowActionsWrite(false);
  expect(await job(202).startWaiting(['fraud'])).toMatchObject([
    { pr: 7, outcome: 'refused', why: expect.stringContaining('Resource not accessible by integration') },
  ]);
  expect(queue()).toEqual(['#7 queued']);
});

it('two PRs claiming the slot at the same moment: exactly one holds it, the other is told which', async () => {
  for (let round = 0; round < 5; round++) {
    const model = canaryModel({ name: `race-${round}` });
    openPr(10 + round * 2, 100 + round * 2);
    openPr(11 + round * 2, 101 + round * 2);
    const claim = (pr: number) =>
      job(300 + pr, pr)
        .saveRelease(
          newRelease(model, {
            from: 'v1',
            to: `v${pr}`,
            pr,
            headSha: sha(100 + round * 2 + (pr % 2)),
            now: 0,
          }),
        )
        .then(
          () => 'holds',
          (error: unknown) =>
            error instanceof SlotTakenError ? `waits for #${error.holder.pr}` : String(error),
        );
    const outcomes = await Promise.all([claim(10 + round * 2), claim(11 + round * 2)]);
    const claims = github
      .deployments(`model-gate/${model.name}`)
      .filter((d) => d.task === 'model-gate:canary');
    const holding = claims.filter((d) => d.statuses.at(-1)?.state === 'in_progress');
    expect(holding).toHaveLength(1);
    const winner = (holding[0]?.payload as { pr?: number } | undefined)?.pr;
    expect(outcomes.toSorted()).toEqual(['holds', `waits for #${winner}`]);
  }
});

it('says in the log when GitHub refuses to take a PR that took the slot out of the queue: its entry re-runs it for nothing', async () => {
  openPr(6, 60);
  await job(106, 6).wait('fraud', { pr: 6, headSha: sha(60), to: 'v3' });
  const entry = github.deployments(ENV).find((d) => d.task === 'model-gate:waiting');
  github.failNext('POST', `/repos/Codertocat/Hello-World/deployments/${entry?.id}/statuses`, 502);
  const rerun = job(106, 6);
  const release = newRelease(canaryModel(), { from: 'v1', to: 'v3', pr: 6, headSha: sha(60), now: 0 });
  await rerun.saveRelease(release);
  expect(queue()).toEqual(['#6 queued']);
  expect(rerun.problems).toEqual([
    expect.stringMatching(
      new RegExp(
        `^could not take PR #6 out of the queue for the canary slot of fraud \\(GitHub answered 502 .*\\): its place there \\(Deployment ${entry?.id}\\)`,
      ),
    ),
  ]);
  // What the line warns of: once the release ends, the slot's next start is PR #6's own run.
  await rerun.saveRelease({ ...release, status: 'failed' });
  expect(await rerun.startWaiting()).toEqual([{ model: 'fraud', pr: 6, run: 106, outcome: 'started' }]);
});
