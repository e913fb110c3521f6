import type { Release } from '../release/types.js';
import type { CanaryClaim } from './deployments.js';
import { STARTED_HOLDS_MS } from './slot-queue.js';

/** A canary claim in progress naming a PR, a head and the versions: what a release is rebuilt from. */
export type NamedClaim = CanaryClaim & { pr: number; head: string };

/**
 * How long a claim's record must have been seen missing before it is taken for lost. A live job
 * writes its record again at its next publish (a watch-mode job within 5 minutes, its comment made
 * anew if deleted); three such periods leave room for a slow step in between (a target change, a
 * metrics query), so a deleted comment alone does not withdraw a release its job still drives.
 */
export const RECORD_MISSING_MS = 15 * 60_000;

const MARK = 'model-gate: record missing since ';

/** The status description that marks a claim whose record a run saw missing at `now`. */
export const recordMissingMark = (now: number): string => `${MARK}${new Date(now).toISOString()}`;

/** When a run first saw the claim's record missing, if its newest status is such a mark. */
export function recordMissingSince(claim: CanaryClaim): number | undefined {
  if (!claim.note?.startsWith(MARK)) return undefined;
  const at = Date.parse(claim.note.slice(MARK.length));
  return Number.isNaN(at) ? undefined : at;
}

/**
 * When a claim of the slot whose PR's comment records no release of its model, first seen missing at
 * `since`, may be taken for lost (the comment deleted, or its section edited away, by a job that no
 * longer runs): the record missing RECORD_MISSING_MS, time for a live job to write it again, and the
 * claim STARTED_HOLDS_MS old, as a job records its release only before its candidate gets traffic.
 */
export const lostFrom = (claim: CanaryClaim, since: number): number =>
  Math.max(claim.at + STARTED_HOLDS_MS, since + RECORD_MISSING_MS);

/**
 * The release a claim stands for, rebuilt from the claim alone once its record is lost: its
 * candidate may still get live traffic that nothing watches, so it is ended (aborted, no verdict),
 * its withdrawal under way (withdrawPending, `from` to serve alone): a tick's withdrawal retry takes
 * the candidate out, records the end in the PR's comment and ends the claim, as for any end whose
 * run stopped before its change.
 */
export function releaseOfLostRecord(model: string, claim: NamedClaim, now: number): Release {
  return {
    model,
    from: claim.from,
    to: claim.to,
    pr: claim.pr,
    headSha: claim.head,
    status: 'aborted',
    phase: -1,
    phaseStartedAt: claim.at,
    startedAt: claim.at,
    updatedAt: now,
    gates: [],
    phases: [],
    reason: `the PR comment lost its record (deleted, or edited by hand) while its canary claim (Deployment ${claim.id}) was in progress: nothing watched ${claim.to} since`,
    canaryDeployment: claim.id,
    withdrawPending: true,
    ending: { serves: claim.from },
  };
}

/**
 * The log's warning for a claim in progress whose PR's comment records no release of its model, seen
 * missing since `since`.
 */
export function unrecordedClaimNote(
  model: string,
  claim: CanaryClaim & { pr: number },
  since: number,
  now: number,
): string {
  const what = `${model}: the canary claim of PR #${claim.pr} (Deployment ${claim.id}, ${claim.from} -> ${claim.to}) is in progress, but the PR's comment records no release of ${model} (deleted, or edited by hand)`;
  const lost = lostFrom(claim, since);
  if (now >= lost)
    return `${what} since ${new Date(since).toISOString()}: ${claim.to} may still get live traffic that nothing watches, so the release is rebuilt from the claim and ended: a schedule tick withdraws ${claim.to} and records the end in that comment`;
  const left = Math.ceil((lost - now) / 60_000);
  return `${what}: unless a job of PR #${claim.pr} still runs and writes it again, ${claim.to} may get live traffic that nothing watches; the slot stays held, and the first schedule tick from ${new Date(lost).toISOString()} (in ${left} min) withdraws ${claim.to} if the record is still missing`;
}
