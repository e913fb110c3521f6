import { ModelGateError } from '../core/errors.js';
import type { DriftRecord } from '../release/drift-alert.js';
import type { DriftReport } from '../release/drift-watch.js';
import type { Release } from '../release/types.js';

/** Another PR's release took the model's canary slot first: this one waits. */
export class SlotTakenError extends ModelGateError {
  constructor(
    model: string,
    readonly holder: { pr?: number; to: string },
  ) {
    super(`PR #${holder.pr} holds the canary slot of ${model} (${holder.to})`);
  }
}

/** The same release (of the same PR, begun at the same time), whatever its state. */
export const sameRelease = (a: Release, b: Release): boolean => a.pr === b.pr && a.startedAt === b.startedAt;

/**
 * Another run ended the release this run was driving (a workflow_dispatch rollback or abort), took
 * it on (a PR's job finished it, or moved it to its next phase) or superseded it (a new push):
 * `release` is the model's release as that run left it, `driven` the one this run was driving.
 */
export class EndedElsewhereError extends ModelGateError {
  constructor(
    readonly release: Release,
    driven: Release = release,
  ) {
    super(`${driven.model} ${driven.to} ${byAnother(release, driven)}`);
  }
}

function byAnother(theirs: Release, driven: Release): string {
  if (!sameRelease(theirs, driven))
    return `was superseded by another run: the release of ${theirs.model} is now ${theirs.to} (${theirs.status}: ${theirs.reason})`;
  if (theirs.status === 'analysing')
    return `is driven by another run, which moved it on (${theirs.reason}): this run leaves it to that run`;
  if (theirs.status === 'ready') return `was taken to ready by another run: ${theirs.reason}`;
  if (theirs.status === 'promoted') return `was promoted by another run: ${theirs.reason}`;
  return `was ended by another run: ${theirs.reason}`;
}

/**
 * The same release at the same point: nobody recorded a change to it between the two reads (every
 * state a run records is stamped with the time it was decided).
 */
export const sameRecord = (a: Release, b: Release): boolean =>
  sameRelease(a, b) &&
  a.updatedAt === b.updatedAt &&
  a.status === b.status &&
  a.phase === b.phase &&
  // A settled withdrawal or change to idle keeps its status: within the same millisecond, only these tell.
  a.withdrawPending === b.withdrawPending &&
  a.idlePending === b.idlePending &&
  a.ending?.serves === b.ending?.serves;

/**
 * A release's state that a ledger holds (a PR comment edited by hand), or is asked to hold, does
 * not parse: model-gate does not act on it.
 */
export class LedgerStateError extends ModelGateError {}

/** What served when: one entry per promotion or rollback, newest last. */
export interface LedgerEntry {
  model: string;
  kind: 'promotion' | 'rollback';
  version: string;
  previous: string;
  at: number;
  pr?: number;
  /** One sentence of evidence: why this version serves now. */
  summary: string;
}

/**
 * The same promotion or rollback: a run that recorded it and stopped before saving its release, or
 * whose answer from GitHub was lost, records it again on its re-run; the ledger keeps one.
 */
export const sameEntry = (
  a: Pick<LedgerEntry, 'kind' | 'version' | 'previous' | 'pr'>,
  b: Pick<LedgerEntry, 'kind' | 'version' | 'previous' | 'pr'>,
): boolean => a.kind === b.kind && a.version === b.version && a.previous === b.previous && a.pr === b.pr;

/** The durable record: releases in flight (to resume them) and the audit trail. */
export interface Ledger {
  release(model: string): Promise<Release | undefined>;
  saveRelease(release: Release): Promise<void>;
  /** Adds `entry` to the model's history, unless its newest entry is the same (sameEntry). */
  record(entry: LedgerEntry): Promise<void>;
  /**
   * Completes the model's newest entry where it is `entry` (sameEntry) and its writing stopped half
   * way (GitHub: its Deployment made, its status refused; `history` counts it all the same). Returns
   * whether it wrote anything (`dryRun`: whether it would, writing nothing). Absent where an entry
   * is written whole or not at all (a local file).
   */
  finishRecord?(entry: LedgerEntry, opts?: { dryRun?: boolean }): Promise<boolean>;
  history(model: string): Promise<LedgerEntry[]>;
  /**
   * Whether `version` served the model (an entry's version or previous) in history older than
   * `history` returns, which reads only the newest (GitHub: one page of Deployments). Absent where
   * `history` returns it all (a local file).
   */
  servedEarlier?(model: string, version: string): Promise<boolean>;
  /**
   * A drift watch's verdict (drifted or not, never inconclusive) on the version serving, looked at
   * `at` (the clock's time): a drift's start and its end are recorded, never a drift on record
   * already. Says which (DriftRecord); the caller alerts on a start only. `dryRun`: says which,
   * recording nothing.
   */
  recordDrift(report: DriftReport, at: number, opts?: { dryRun?: boolean }): Promise<DriftRecord>;
  /** The release that holds the model's canary slot (analysing or ready), whichever PR it belongs to. */
  canaryHolder(model: string): Promise<Release | undefined>;
  /**
   * The release of `model` whose candidate is `version`, ended or not (command status, of a
   * candidate the target still gives traffic while no release holds the slot). Absent where
   * `release` returns the last one, ended or not (a local file).
   */
  releaseOfCandidate?(model: string, version: string): Promise<Release | undefined>;
  /**
   * Queue a PR's release behind the one holding the slot, to be started once it frees; absent
   * where nothing can start it (a local ledger: the user runs it again).
   */
  wait?(model: string, waiter: { pr: number; headSha: string; to: string }): Promise<void>;
  /**
   * The PRs waiting in the queue for the model's canary slot (those declaring version `to`, if
   * given) and still open at the head they queued with: a closed PR's candidate that one of them
   * waits to release stays deployed (tear-down.ts). Absent where nothing queues (a local file).
   */
  waiters?(model: string, to?: string): Promise<{ pr: number; to: string }[]>;
  /**
   * PR `job.pr`'s job at `job.headSha` has nothing of `model` to release (its version already
   * serves): the ledger lets go of its places in the queue for the model's canary slot, and of
   * the slot held for its run re-run from that queue, so the PR waiting next is started. Absent
   * where nothing queues for the slot (a local file: the user runs the next PR's job again).
   */
  nothingToRelease?(model: string, job: { pr: number; headSha: string }): Promise<void>;
  /**
   * The model's release as another run left it, when that run ended (a workflow_dispatch rollback
   * or abort), finished, moved on or superseded the release this run drives; undefined while it is
   * still this run's to drive. A release this run has not recorded yet (a schedule tick's, a re-run
   * resuming one) is anyone's: any change to its record since this run read it is another run's.
   * `fresh` reads the record again (before a traffic change); else a ledger may answer from its
   * last read where it is recent and the release is this run's. Absent where no other run can
   * write the record at the same time.
   */
  endedElsewhere?(release: Release, fresh: boolean): Promise<Release | undefined>;
  /**
   * The release as its record says now, read again, for a run that does not drive it (a schedule
   * tick). Absent where no other run can write the record at the same time.
   */
  reread?(release: Release): Promise<Release | undefined>;
  /**
   * Whether the claim of the model's canary slot that the release's analysis made is on record and
   * still held, made by this ledger's own writer for the release's PR, version and head: what a
   * merge job checks before promoting a `ready` read from a record others can write (a PR comment).
   * Absent where the record is the user's own (a local file): its word is taken.
   */
  claimHeld?(release: Release): Promise<boolean>;
  /**
   * Recorded releases holding their model's canary slot (so every one whose candidate may be live),
   * whatever their model, one the config no longer names included: those of PR `pr`; or, none
   * given, all the ledger can list without asking for more (a local file: every one; GitHub: those
   * in the PR comments this run has read, which a tick reads for each model's slot holder). What a
   * run checks for a candidate no run under its config would drive or withdraw
   * (release/undeclared-models.ts). Absent where a ledger cannot list its releases.
   */
  slotHolders?(pr?: number): Promise<Release[]>;
}

/**
 * The release's record as another run saved it since `release` was read (read again), or undefined
 * while it is as read. Unlike Ledger.endedElsewhere, it leaves the release this run's to save.
 */
export async function changedSince(release: Release, ledger: Ledger): Promise<Release | undefined> {
  const again = await ledger.reread?.(release);
  return again && !sameRecord(again, release) ? again : undefined;
}
