import type { Release } from '../release/types.js';
import type { CanaryClaim } from './deployments.js';
import { STARTED_HOLDS_MS } from './slot-queue.js';

/** A canary claim in progress naming a PR, a head and the versions: what a release is rebuilt from. */
export type NamedClaim = CanaryClaim & { pr: number; head: string };

/**
 * Whether a claim of the slot whose PR's comment records no release of its model is old enough to
 * take the record for lost (the comment deleted, or its section edited away): a job records its
 * release before its candidate gets any traffic, so before then its job may be writing it still.
 */
export const recordLost = (claim: CanaryClaim, now: number): boolean => now - claim.at >= STARTED_HOLDS_MS;

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

/** The log's warning for a claim in progress whose PR's comment records no release of its model. */
export function unrecordedClaimNote(model: string, claim: CanaryClaim & { pr: number }, now: number): string {
  const what = `${model}: the canary claim of PR #${claim.pr} (Deployment ${claim.id}, ${claim.from} -> ${claim.to}) is in progress, but the PR's comment records no release of ${model} (deleted, or edited by hand)`;
  if (recordLost(claim, now))
    return `${what}: ${claim.to} may still get live traffic that nothing watches, so the release is rebuilt from the claim and ended: a schedule tick withdraws ${claim.to} and records the end in that comment`;
  const left = Math.ceil((claim.at + STARTED_HOLDS_MS - now) / 60_000);
  return `${what}: unless a job of PR #${claim.pr} is writing it now, ${claim.to} may get live traffic that nothing watches; the slot stays held, and a schedule tick withdraws it in ${left} min if no record comes`;
}
