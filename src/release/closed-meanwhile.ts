import type { Config } from '../config/types.js';
import { announceEnd, endThenWithdraw } from './finish.js';
import { contextFor, type Ports, type PullRequestState } from './ports.js';
import type { SkippedLine } from './pull-request.js';
import type { Release } from './types.js';

// A PR closed (or merged) while GitHub was down: its job died on its first GitHub read, before it
// recorded anything, and a close job's post step has no candidate saved to withdraw. The release
// stays "analysing", and every schedule tick would go on driving the closed PR's candidate (half
// the users of an A/B) for days; or "ready", holding the model's canary slot for ever, the model's
// next PR queued behind it. So a tick asks GitHub for the PR's state before it drives or settles
// its release.

/** What a schedule tick does with a release after asking for its PR's state. */
export interface PullRequestCheck {
  /** The release ended here (its PR closed unmerged), its candidate withdrawn; not to be driven. */
  ended?: Release;
  /** A line for the tick's report: what a dry run would do, or what the user must do. */
  line?: SkippedLine;
  /** The same line for the PR's comment (not in a dry run). */
  notify?: { pr: number; model: string; why: string };
}

/**
 * Asks for the PR of an analysing or ready `release` (ports.pullRequestState, one request) and acts
 * on it: closed without merging, the release is ended as aborted and its candidate withdrawn as a
 * close job does (endThenWithdraw), freeing the slot, saying why; merged without the merge on record
 * (`mergedAt`, so no tick promotes it), left as it is with a line asking for the merge job again.
 * Open, unknown (no such port, no PR, a PR job's own) or unreadable (GitHub failing, said in a
 * warning): left as before. One with the merge on record is merged: nothing to ask.
 */
export async function checkPullRequest(
  config: Config,
  release: Release,
  ports: Ports,
  opts: { dryRun?: boolean },
): Promise<PullRequestCheck> {
  const { pr } = release;
  const model = config.models[release.model];
  if (!model || pr === undefined || !ports.pullRequestState) return {};
  const asked = release.status === 'analysing' || release.status === 'ready';
  if (!asked || release.withdrawPending || release.mergedAt !== undefined) return {};
  let state: PullRequestState | undefined;
  try {
    state = await ports.pullRequestState(pr);
  } catch (err) {
    // Not knowing is no reason to end a healthy release: the next tick asks again.
    const then = release.status === 'ready' ? 'leaves' : 'drives';
    ports.log.warn(
      `${release.model}: could not read the state of PR #${pr} (${(err as Error).message}); this tick ${then} ${release.to} as before`,
    );
    return {};
  }
  if (state === 'merged') {
    // A ready one's merge job promotes it (whatever on-merge says), recording no merge first.
    const why =
      release.status === 'ready'
        ? `PR #${pr} was merged, but its merge job has not promoted ${release.to}, which passed its analysis, and no schedule tick promotes it: unless that job is still running, re-run the merge job of PR #${pr} (on-merge: ${model.onMerge})`
        : `PR #${pr} was merged, but its merge job did not record it, so no schedule tick promotes ${release.to}: re-run the merge job of PR #${pr} (on-merge: ${model.onMerge})`;
    ports.log.warn(`${release.model}: ${why}`);
    const line = { model: release.model, why, kind: 'note' as const };
    // A dry run writes no comment.
    return opts.dryRun ? { line } : { line, notify: { pr, model: release.model, why } };
  }
  if (state !== 'closed') return {};
  const closed = `PR #${pr} was closed without merging, but its close job did not record it (it stopped before it could: GitHub not answering, say)`;
  if (opts.dryRun)
    return {
      line: { model: release.model, why: `would withdraw ${release.to}: ${closed}`, kind: 'dry-run' },
    };
  // A run that recorded the end meanwhile (the close job re-run): its record stands.
  const theirs = await ports.ledger.endedElsewhere?.(release, true);
  if (theirs) return { ended: theirs };
  const end = { status: 'aborted' as const, why: `${closed}; ${release.to} withdrawn by a schedule tick` };
  const { release: ended } = await endThenWithdraw(
    release,
    end,
    contextFor(model, ports),
    ports.ledger,
    announceEnd(ports),
  );
  ports.log.warn(`${release.model}: ${ended.reason}`);
  return { ended };
}
