import { servesAfterEnd, withdrawalUnderWay } from '../release/finish.js';
import { neverServedCallers } from '../release/phase-notes.js';
import type { Release } from '../release/types.js';
import { changeUnderWay, mayStillServe, rollbackNotTakenWithdrawn, rollingLeft } from '../report/decision.js';
import type { GitHubClient } from './client.js';
import type { Repo } from './repo-files.js';

type State = 'pending' | 'success' | 'failure' | 'error';

const STATE: Partial<Record<Release['status'], State>> = {
  analysing: 'pending',
  ready: 'success',
  promoted: 'success',
  failed: 'failure',
  aborted: 'error',
};

/**
 * The commit status `model-gate/<model>` on the PR's head, so branch protection can
 * require a passing analysis: pending while analysing, success when ready, failure when
 * rolled back. Superseded heads are left alone: their PR has moved on.
 */
export async function setReleaseStatus(
  client: GitHubClient,
  repo: Repo,
  release: Release,
  targetUrl?: string,
): Promise<void> {
  const state = STATE[release.status];
  if (!state || !release.headSha) return;
  await client.rest.repos.createCommitStatus({
    ...repo,
    sha: release.headSha,
    state,
    context: `model-gate/${release.model}`,
    // The client redacts and cuts it to GitHub's 140 characters.
    description: describe(release),
    ...(targetUrl ? { target_url: targetUrl } : {}),
  });
}

/**
 * The status's words: an end by command's traffic change under way, refused or unconfirmed, from
 * the record's fields (its reason, written before the change, says what was to be done); a rollback
 * or withdrawal that took on a later try, that first (the reason ends with it, past the 140
 * characters GitHub keeps), then why, or what serves where that is not the rollback's version; a
 * failed release's rollback that did not take, where its candidate may still serve first; else the
 * reason.
 */
function describe(r: Release): string {
  if (withdrawalUnderWay(r)) return changeUnderWay(r);
  const failed = r.ending?.withdrawFailed;
  if (r.withdrawPending && failed && r.status !== 'failed') {
    // Accepted, never read back (the comment: "probably withdrawn"): no failure. Its words come
    // first, as the platform's (a long note) would push them past GitHub's 140 characters.
    if (failed.unconfirmed)
      return `the command's traffic change was accepted, not yet confirmed by a read; ${r.to} is probably withdrawn, the next run checks`;
    return `the command's traffic change failed: ${failed.note}; ${r.to} may still get live traffic, the next run tries again`;
  }
  // A failed release's rollback that did not take: what may still serve first, before GitHub's 140
  // characters cut the why and the platform's words.
  if (r.withdrawPending && failed && r.status === 'failed') return rollbackNotTaken(r, failed);
  if (!r.withdrawPending && failed?.laterTry) {
    // A refused rollback by command whose candidate a later run withdrew: its reason names the
    // rollback's version, and another serves; the comment's words, which say which.
    const notTaken = rollbackNotTakenWithdrawn(r);
    if (notTaken) return notTaken;
    const done = r.status === 'failed' ? `rolled back to ${servesAfterEnd(r)}` : 'withdrawn';
    return `${r.to} ${done} on a later try: ${failed.why}`;
  }
  const why = r.reason ?? r.status;
  // A reason that names the candidate first ("v2 passed its phase; …") is not prefixed with it again.
  return why.startsWith(`${r.to} `) ? why : `${r.to}: ${why}`;
}

/** `v3 may still take all live traffic: the rollback to v1 failed; errors: 8.06% is above …`. */
function rollbackNotTaken(r: Release, failed: { why: string; note: string; unconfirmed?: true }): string {
  if (failed.unconfirmed)
    return `${r.to} is probably rolled back to ${r.from}, not yet confirmed by a read (the next run checks); ${failed.why}`;
  // A candidate that answered no caller (a smoke test on green, a shadow run): nothing to roll back.
  if (neverServedCallers(r)) return `${r.to} may still be deployed: withdrawing it failed; ${failed.why}`;
  const refused = rollingLeft(r)?.refused;
  const what = refused
    ? `the switch to ${refused} and the rollback to ${r.from} failed; ${failed.note}`
    : `the rollback to ${r.from} failed; ${failed.why}`;
  return `${r.to} ${mayStillServe(r)}: ${what}`;
}

/**
 * The status `model-gate/<model>` of a head that no longer changes the model's version (put back,
 * the file deleted) while the PR's candidate of it was withdrawn: success, saying why. A status
 * belongs to one commit, so without it a branch protection that requires the context would wait
 * on the new head for ever, for a model its merge no longer changes.
 */
export async function setNoLongerChangedStatus(
  client: GitHubClient,
  repo: Repo,
  change: { model: string; headSha: string; description: string },
  targetUrl?: string,
): Promise<void> {
  await client.rest.repos.createCommitStatus({
    ...repo,
    sha: change.headSha,
    state: 'success',
    context: `model-gate/${change.model}`,
    // The client redacts and cuts it to GitHub's 140 characters.
    description: change.description,
    ...(targetUrl ? { target_url: targetUrl } : {}),
  });
}
