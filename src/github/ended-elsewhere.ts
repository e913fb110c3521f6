import type { Clock } from '../core/clock.js';
import { sameRecord, sameRelease } from '../ledger/ledger.js';
import { inFlight, type Release } from '../release/types.js';
import type { Deployments } from './deployments.js';
import type { PrRecords } from './pr-records.js';

/**
 * How often a job driving a release reads its PR's comment, when nothing else made it read it,
 * to notice a rollback or abort by workflow_dispatch: one request per 5 min, not per poll.
 */
const RECHECK_MS = 5 * 60_000;

/** Tells a job driving a release when another run ended it: by the PR's comment, or by its canary claim. */
export class EndedElsewhere {
  /**
   * Per PR and model (`pr model`), the canary claim last found held, and the PR's comment as read
   * then (commentSeen): while the comment reads the same, no write since (this run's own included)
   * can have dropped another run's end of the release from it, so the claim is not read again.
   */
  private readonly claimsSeenHeld = new Map<string, { id: number; comment: string }>();

  constructor(
    private readonly records: PrRecords,
    private readonly deployments: Deployments,
    private readonly clock: Clock,
  ) {}

  /**
   * Reads the comment again, fresh or not, when its last read is older than `RECHECK_MS`, and for a
   * release this run has not saved: its record as read is what another run may be driving (a
   * schedule tick's, whose PR's job runs; a re-run's), so it is checked before every step. `fresh`
   * (before a traffic change) also asks the release's canary claim, where the comment shows the
   * release as this run knows it (claimEnded).
   */
  async check(release: Release, fresh: boolean): Promise<Release | undefined> {
    const { pr, model } = release;
    if (pr === undefined) return undefined;
    const ours = this.records.isSaved(pr, model);
    const stale = this.clock.now() - (this.records.lastReadAt(pr) ?? 0) >= RECHECK_MS;
    if (fresh || stale || !ours) await this.records.refresh(pr);
    const given = this.records.endedByOther(pr, model);
    if (given?.driven === release.startedAt) return given.theirs;
    const theirs = this.records.known(pr, model);
    if (!ours && theirs && !sameRecord(theirs, release)) {
      this.records.noteEndedByOther(pr, model, { driven: release.startedAt, theirs });
      return theirs;
    }
    return fresh ? this.claimEnded(release, theirs) : undefined;
  }

  /**
   * The release in flight as another run left it, when that run ended its canary claim though the
   * PR's comment still shows it as this run knows it: a write that read the comment before that
   * run's record of the end and wrote after it (this run's own lease or step, a sibling's) dropped
   * the record, but not the claim's end, a Deployment status (statuses are only ever added). Left
   * to the comment alone, this run gave the candidate traffic again over a rollback, for good. The
   * end is this run's to write back (endKnownByClaim), as near as GitHub tells it: promoted when the
   * model's newest promotion is the release's, else aborted (failed, where the claim ended failing),
   * what served before it serving again. The claim is read once per change of the comment: while
   * the comment reads as when the claim was last found held, no write can have dropped an end.
   */
  private async claimEnded(release: Release, recorded: Release | undefined): Promise<Release | undefined> {
    const { pr, model } = release;
    if (pr === undefined || !recorded || !sameRelease(recorded, release)) return undefined;
    const id = recorded.canaryDeployment;
    if (id === undefined || !inFlight(release) || release.withdrawPending) return undefined;
    const key = `${pr} ${model}`;
    const comment = this.records.commentSeen(pr);
    const seen = this.claimsSeenHeld.get(key);
    if (seen?.id === id && seen.comment === comment) return undefined;
    const end = await this.deployments.claimEnd(id);
    if (!end) {
      this.claimsSeenHeld.set(key, { id, comment });
      return undefined;
    }
    const newest = await this.deployments.newestEntry(model);
    const promoted =
      newest?.kind === 'promotion' &&
      newest.pr === pr &&
      newest.version === release.to &&
      newest.previous === release.from;
    const theirs = endByClaim(recorded, { id, state: end.state, promoted });
    this.records.adoptEndByClaim(pr, model, release.startedAt, theirs);
    return theirs;
  }
}

/**
 * `recorded` (in flight) as the run that ended its canary claim `id` (its end `state`) left it, as far
 * as GitHub tells: promoted (`promoted`: the model's newest promotion is the release's), or else
 * aborted (failed, where the claim ended failing), its candidate withdrawn and its open phase ended.
 * Stamped with `recorded`'s time, the last this run knows of: that run's own record of the end,
 * decided later, is the newer one wherever the two meet.
 */
function endByClaim(recorded: Release, end: { id: number; state: string; promoted: boolean }): Release {
  const { watchedUntil: _, idlePending: __, ...rest } = recorded;
  const at = recorded.updatedAt;
  const claim = `its canary claim (Deployment ${end.id}) ${end.state === 'deleted' ? 'was deleted' : `is ${end.state}`}`;
  const lost = "a stale write had dropped that run's record from the PR comment";
  if (end.promoted) {
    const reason = `${recorded.to} is now the stable version (was ${recorded.from}): another run promoted it, and ${claim}; ${lost}`;
    return { ...rest, status: 'promoted', updatedAt: at, reason };
  }
  return {
    ...rest,
    status: end.state === 'failure' ? 'failed' : 'aborted',
    phases: recorded.phases.map((p) =>
      p.endedAt === undefined ? { ...p, endedAt: at, outcome: 'withdrawn' as const } : p,
    ),
    updatedAt: at,
    reason: `${claim}: another run ended the release, and ${lost}`,
  };
}
