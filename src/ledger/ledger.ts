import { ModelGateError } from '../core/errors.js';
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

/** Another run (a workflow_dispatch rollback or abort) ended the release this run was driving. */
export class EndedElsewhereError extends ModelGateError {
  constructor(readonly release: Release) {
    super(`${release.model} ${release.to} was ended by another run: ${release.reason}`);
  }
}

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

/** The durable record: releases in flight (to resume them) and the audit trail. */
export interface Ledger {
  release(model: string): Promise<Release | undefined>;
  saveRelease(release: Release): Promise<void>;
  record(entry: LedgerEntry): Promise<void>;
  history(model: string): Promise<LedgerEntry[]>;
  /** A drift watch found the stable version's predictions drifted. */
  recordDrift(report: DriftReport): Promise<void>;
  /** The release that holds the model's canary slot (analysing or ready), whichever PR it belongs to. */
  canaryHolder(model: string): Promise<Release | undefined>;
  /**
   * Queue a PR's release behind the one holding the slot, to be started once it frees; absent
   * where nothing can start it (a local ledger: the user runs it again).
   */
  wait?(model: string, waiter: { pr: number; headSha: string; to: string }): Promise<void>;
  /**
   * The release as another run ended it (a workflow_dispatch rollback or abort) while this run
   * drives it, or undefined while it is still this run's to drive; `fresh` reads the record again
   * (before a traffic change), else it tells what the last read showed. Absent where no other run
   * can write the record at the same time.
   */
  endedElsewhere?(release: Release, fresh: boolean): Promise<Release | undefined>;
  /**
   * The release as its record says now, read again, for a run that does not drive it (a schedule
   * tick). Absent where no other run can write the record at the same time.
   */
  reread?(release: Release): Promise<Release | undefined>;
}
