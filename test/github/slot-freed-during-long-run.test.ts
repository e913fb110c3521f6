import { afterEach, beforeEach, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import type { GitHubLedger } from '../../src/github/github-ledger.js';
import { STARTED_HOLDS_MS } from '../../src/github/slot-queue.js';
import { newRelease } from '../../src/release/new-release.js';
import type { Release } from '../../src/release/types.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { canaryModel } from '../support/model-config.js';
import { completedRun, jobLedger, waitingQueue } from '../support/slot-queue-jobs.js';

// A schedule tick (or a PR job watching for long) reads the comment of the PR holding a model's
// canary slot when it starts. Meanwhile that PR's release ends, GitHub refusing the end of its claim
// (left in progress, its comment saying it is over) and the re-run of the PR waiting next (its run
// still running). The tick is the queue's backstop: at its end it must read the holder's comment
// again, not take its first read, or the waiting PR is not re-run until some later event.
let github: FakeGitHub;
let clock: FakeClock;
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const sha = (n: number) => n.toString(16).padStart(40, 'c');

beforeEach(async () => {
  github = await startFakeGitHub(repo);
  clock = new FakeClock(Date.now());
});
afterEach(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

const openPr = (pr: number, head: number) =>
  github.setPullRequest(pr, { baseSha: sha(1), headSha: sha(head), files: [] });

/** A job of run `runId` (completed) on a PR, or a schedule tick's (no PR). */
function job(runId: number, pr?: number) {
  completedRun(github, runId);
  return jobLedger(github, { sha: sha(pr ?? 1), pr, runId, clock });
}

/** The job's releases written to their PR's comment, as its run does. */
const publish = (ledger: GitHubLedger, runId: number) =>
  new CommentPublisher(
    ledger,
    (r: { releases: Release[] }) =>
      `## model-gate\n${r.releases.map((x) => `${x.to}: ${x.status}`).join('\n')}`,
    { runId, attempt: 1 },
    clock,
    { settleMs: 0 },
  ).publish({ final: true });

/**
 * PR #8's job (run 208) holds fraud's canary slot for v2, its comment written, and the claim is past
 * the half hour in which a fresh claim stands by its age alone: from then on the comment decides.
 */
async function slotHeldByPr8() {
  openPr(8, 80);
  const holder = job(208, 8);
  const release = newRelease(canaryModel(), { from: 'v1', to: 'v2', pr: 8, headSha: sha(80), now: 0 });
  await holder.saveRelease(release);
  await publish(holder, 208);
  clock.advance(STARTED_HOLDS_MS + 60_000);
  return { holder, release };
}

it('a tick re-runs the PR waiting for the slot when the holder ended during the tick, its claim end refused', async () => {
  openPr(7, 70);
  const { holder, release } = await slotHeldByPr8();
  await job(107, 7).wait('fraud', { pr: 7, headSha: sha(70), to: 'v3' });

  // The tick starts: PR #8's release holds the slot.
  const tick = job(300);
  expect(await tick.canaryHolder('fraud')).toMatchObject({ pr: 8, status: 'analysing' });

  // Meanwhile PR #8's job aborts its release; GitHub refuses the claim's end, and PR #7's re-run.
  const claim = github.deployments('model-gate/fraud').find((d) => d.task === 'model-gate:canary');
  github.failNext('POST', `/repos/Codertocat/Hello-World/deployments/${claim?.id}/statuses`, 502);
  await holder.saveRelease({ ...release, status: 'aborted' });
  await publish(holder, 208);
  expect(holder.problems).toEqual([expect.stringContaining('could not end the canary claim of fraud')]);
  github.startRun(107);
  expect(await holder.startWaiting()).toMatchObject([{ pr: 7, outcome: 'refused' }]);
  github.endRun(107);

  // The tick ends: the slot is free (the comment says the release is over), PR #7's run is re-run.
  clock.advance(60_000);
  expect(await tick.startWaiting(['fraud'])).toEqual([
    { model: 'fraud', pr: 7, run: 107, outcome: 'started' },
  ]);
  expect(github.reruns).toEqual([107]);
  expect(waitingQueue(github, 'fraud')).toEqual(['#7 in_progress']);
});

it('a job whose re-read of the holder is refused decides on its first read: the slot is taken, not a failed save', async () => {
  openPr(9, 90);
  await slotHeldByPr8();

  // PR #9's job sees PR #8 holding the slot; then GitHub answers its re-read of PR #8's comment with a 502.
  const next = job(109, 9);
  expect(await next.canaryHolder('fraud')).toMatchObject({ pr: 8, status: 'analysing' });
  github.failNext('GET', /\/issues\/(8\/comments|comments\/\d+)/, 502, 1);
  const own = newRelease(canaryModel(), { from: 'v1', to: 'v3', pr: 9, headSha: sha(90), now: clock.now() });
  await expect(next.saveRelease(own)).rejects.toThrow(/canary slot/);
});
