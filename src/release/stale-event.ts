import { ModelGateError } from '../core/errors.js';
import { headName } from '../version/head-name.js';
import type { Ports, PullRequestState } from './ports.js';
import type { PullRequestEvent, RunResult } from './pull-request.js';

// GitHub's "Re-run jobs" runs a job with its run's ORIGINAL event, hours later maybe, and a queued
// run may start after the PR moved on. Acted on as news, such an event analysed an old head again
// beside the new head's release, deployed a candidate for a closed PR, or withdrew the release of a
// PR reopened since. So a PR run first reads its PR as GitHub has it now (one request).

/** A PR as the platform has it now: its state and its head commit, always known here. */
export interface PullRequestNow extends PullRequestState {
  headSha: string;
}

/** Where the platform can tell (GitHub): PR `number` now. Rejects with an Error saying why it could not. */
export interface PullRequestReader {
  pullRequestNow?(number: number): Promise<PullRequestNow>;
}

/**
 * What a PR run learns before anything else: `stale`, the run's result when its event no longer
 * describes its PR (a line saying where the PR is now and that the run changed nothing, for the log,
 * the report and the `skipped` decision); `merged` when a non-close event's PR was merged at its
 * head since (a re-run of its pre-merge job): such a run starts no release (mergedPrLine). A merge's
 * event needs no look: a merged PR stays merged at its head. When GitHub cannot say: a close goes on
 * (withdrawing a candidate is the safe end, a warning says why), any other event deploys nothing
 * and fails, to be re-run.
 */
export async function staleEvent(
  event: PullRequestEvent,
  ports: Ports & PullRequestReader,
): Promise<{ stale?: RunResult; merged?: true }> {
  if (!ports.pullRequestNow || (event.action === 'closed' && event.merged)) return {};
  let now: PullRequestNow;
  try {
    now = await ports.pullRequestNow(event.number);
  } catch (err) {
    const why = `could not read PR #${event.number} as GitHub has it now (${(err as Error).message})`;
    if (event.action === 'closed') {
      ports.log.warn(
        `${why}: withdrawing its candidates as its close asks, whether or not it was reopened since`,
      );
      return {};
    }
    throw new ModelGateError(
      `${why}, to check that this run's ${event.action} event at ${headName(event.headSha)} is still the PR's latest: nothing was deployed; re-run this job`,
    );
  }
  const why = movedOnWhy(event, now);
  if (!why) return event.action !== 'closed' && now.state === 'merged' ? { merged: true } : {};
  const line = `${why}; this run of its ${event.action} event at ${headName(event.headSha)} changed nothing`;
  ports.log.warn(line);
  return { stale: { releases: [], skipped: [{ model: '*', why: line, kind: 'note' }] } };
}

/**
 * What a run of a merged PR's pre-merge event (a re-run of its `opened` job, say, as the queue's
 * line asks) says of a model with no merged release of the PR on record: it starts none. A release
 * started now would give the candidate live traffic after the merge, which no merge job promotes;
 * the merge job (its `closed` event's) acts on the merge per `on-merge`.
 */
export const mergedPrLine = (event: PullRequestEvent): string =>
  `PR #${event.number} is merged: this run of its ${event.action} event at ${headName(event.headSha)} starts no release of a merged PR; to act on the merge, re-run its merge job (the job of its closed event), which promotes or analyses per on-merge`;

/** Why `event` no longer describes its PR, which is `now`; undefined while it does. */
function movedOnWhy(event: PullRequestEvent, now: PullRequestNow): string | undefined {
  const pr = `PR #${event.number}`;
  const head = headName(now.headSha);
  if (event.action === 'closed') {
    if (now.state === 'open')
      return now.headSha === event.headSha
        ? `${pr} is open again (reopened since it was closed): the run of its reopening handles it`
        : `${pr} is open again, at ${head} now: the run of its latest event handles it`;
    if (now.state === 'merged') return `${pr} was merged since it was closed: its merge job handles it`;
    return undefined;
  }
  if (now.state === 'merged')
    // Merged at this head: a merged release on record is driven as the merge job left it, and
    // nothing new is started (prepareModel).
    return now.headSha === event.headSha
      ? undefined
      : `${pr} was merged at ${head}: its merge job handles it`;
  if (now.state === 'closed')
    return `${pr} was closed (at ${head}): a closed PR's head is not analysed; reopen it to analyse it again`;
  if (now.headSha !== event.headSha) return `${pr} is at ${head} now: the run of its latest event handles it`;
  return undefined;
}
