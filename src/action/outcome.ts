import type { LedgerEntry } from '../ledger/ledger.js';
import type { RunResult } from '../release/pull-request.js';
import type { Release } from '../release/types.js';
import { terminalHead } from '../report/terminal.js';

/** One object of the `models` output. */
export interface ModelOutcome {
  model: string;
  from: string;
  to: string;
  /** The PR the candidate is of (a rollback's: the candidate in flight it withdrew), where known. */
  pr?: number;
  /** A release's status, or `rolled-back` for a rollback by command. */
  status: string;
  reason?: string;
  /**
   * Set where taking the candidate out of service did not take (its rollback or withdrawal refused,
   * or not confirmed yet), or was never tried (its record alone ended): it may still get live
   * traffic, however its status reads.
   */
  withdrawPending?: true;
}

/**
 * One object per model the run acted on: its release, or its rollback (from the version it
 * replaced to the one serving now), which stands for the candidate in flight it withdrew.
 */
export function modelOutcomes(releases: Release[], rollbacks: LedgerEntry[] = []): ModelOutcome[] {
  const rolledBack = new Map(rollbacks.map((e) => [e.model, e]));
  const outcomes = releases.map((r) => {
    const entry = rolledBack.get(r.model);
    if (!entry)
      return {
        model: r.model,
        from: r.from,
        to: r.to,
        ...prOf(r),
        status: r.status,
        reason: r.reason,
        ...pending(r),
      };
    rolledBack.delete(r.model);
    return rollbackOutcome(entry, r);
  });
  return [...outcomes, ...[...rolledBack.values()].map((e) => rollbackOutcome(e))];
}

function rollbackOutcome(e: LedgerEntry, withdrawn?: Release): ModelOutcome {
  const of = withdrawn?.pr === undefined ? '' : ` of PR #${withdrawn.pr}`;
  // A candidate that is the version rolled back to serves now: its analysis stopped, nothing was withdrawn.
  const ended = withdrawn?.to === e.version ? 'now serves as stable, its analysis stopped' : 'was withdrawn';
  const reason = withdrawn ? `${e.summary}; the candidate ${withdrawn.to}${of} ${ended}` : e.summary;
  return {
    model: e.model,
    from: e.previous,
    to: e.version,
    ...prOf(withdrawn),
    status: 'rolled-back',
    reason,
    ...pending(withdrawn),
  };
}

/** The release's PR, where it has one (a CLI run may have none). */
const prOf = (r: Release | undefined): Pick<ModelOutcome, 'pr'> => (r?.pr === undefined ? {} : { pr: r.pr });

/**
 * A candidate whose record alone was ended (an abort by hand of one deployed on a target the config
 * no longer names, deployed-target.ts endedWithoutWithdrawal) was never taken out either: it is
 * marked too, though its record holds no pending withdrawal (no later run is to try one there).
 */
const pending = (r: Release | undefined): Pick<ModelOutcome, 'withdrawPending'> =>
  r?.withdrawPending || r?.ending?.recordOnly ? { withdrawPending: true } : {};

/** The step log's account of the run: the report's heading and its one-line decisions. */
export function decisionLines(result: RunResult): string[] {
  return terminalHead(result);
}
