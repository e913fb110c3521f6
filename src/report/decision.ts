import type { LedgerEntry } from '../ledger/ledger.js';
import { endedByRollbackToIt, endedUndecided, neverServedCallers } from '../release/phase-notes.js';
import type { RunResult, ServingState } from '../release/pull-request.js';
import type { Release } from '../release/types.js';

/** The run's decision, worst first: one failed model makes the run failed. */
export type Decision = 'failed' | 'analysing' | 'ready' | 'promoted' | 'rolled-back' | 'aborted' | 'skipped';

/**
 * A rollback outranks a promotion: beside this run's rollback, a promotion can only be an earlier
 * run's (the stored release of the PR that introduced the version now rolled back).
 */
const ORDER: Decision[] = ['failed', 'analysing', 'ready', 'rolled-back', 'promoted', 'aborted'];

export function releaseDecision(r: Release): Decision {
  switch (r.status) {
    case 'failed':
      return 'failed';
    case 'analysing':
      return 'analysing';
    case 'ready':
      return 'ready';
    case 'promoted':
      return 'promoted';
    default:
      // Its candidate serves, put there by a rollback (that run reports the rollback): nothing was withdrawn.
      return endedByRollbackToIt(r) ? 'skipped' : 'aborted';
  }
}

export function runDecision(result: RunResult): Decision {
  const seen = new Set(result.releases.map(releaseDecision));
  if (result.rollbacks?.length) seen.add('rolled-back');
  if (result.drift?.some((d) => d.drifted)) seen.add('failed');
  return ORDER.find((d) => seen.has(d)) ?? 'skipped';
}

/** One sentence for one model: what happened and, when it matters, why. */
export function releaseSentence(r: Release): string {
  if (!r.withdrawPending) return endSentence(r);
  return `${endSentence(r)}. ${r.to} may still get live traffic: withdrawing it failed, and a re-run of this job or the next schedule tick tries again`;
}

function endSentence(r: Release): string {
  switch (r.status) {
    case 'analysing':
      return `${r.model} ${r.to}: ${r.reason ?? 'analysing'}`;
    case 'ready':
      return readySentence(r);
    case 'failed':
      if (notDeployed(r)) return `${r.model} ${r.to} was ${r.reason}`;
      return neverServedCallers(r)
        ? `${r.model} ${r.to} ${failedUnseen(r)}`
        : `${r.model} ${r.to} was rolled back to ${r.from}: ${r.reason}`;
    case 'promoted':
      return `${r.model} ${r.to} was promoted (replacing ${r.from})`;
    case 'aborted':
    case 'superseded':
      if (endedByRollbackToIt(r)) return `${r.model} ${r.reason}`;
      return `${r.model} ${r.to} was withdrawn: ${r.reason}`;
  }
}

/**
 * Ready, and whether every gate decided: must-have-data: false lets a phase end without a decision
 * from every gate, the last phase (its gates still pending) or an earlier one (its record says so).
 */
function readySentence(r: Release): string {
  const earlier = r.phases.slice(0, -1).filter(endedUndecided);
  const undecided = r.gates.filter((g) => g.verdict !== 'pass').map((g) => g.name);
  const last = r.phases.at(-1);
  const words = earlier.map((p) => `${p.name} ${p.note}`);
  if (undecided.length > 0)
    words.push(
      earlier.length > 0 && last && endedUndecided(last)
        ? `${last.name} ${last.note}`
        : `${undecided.join(', ')} did not decide by the deadline`,
    );
  if (words.length === 0) return `${r.model} ${r.to} passed every gate and is ready to merge`;
  const which = words.length === 1 ? 'the phase' : 'those phases';
  return `${r.model} ${r.to} is ready to merge, but ${words.join('; ')} (must-have-data: false let ${which} pass)`;
}

/** Failed where it answered no caller (a smoke test on green, a shadow run): nothing was rolled back. */
function failedUnseen(r: Release): string {
  const phase = r.phases.at(-1)?.name ?? '';
  const again = `${phase} failed: `;
  const why = r.reason?.startsWith(again) ? r.reason.slice(again.length) : r.reason;
  return `failed in ${phase}: ${why}; it never served callers${r.withdrawPending ? '' : ' and was withdrawn'}`;
}

export const DECISION_TITLE: Record<Decision, string> = {
  failed: '❌ Rolled back',
  analysing: '⏳ Analysing',
  ready: '✅ Ready to merge',
  promoted: '🚀 Promoted',
  'rolled-back': '↩️ Rolled back by command',
  aborted: '⏹️ Withdrawn',
  skipped: 'ℹ️ Nothing to release',
};

/**
 * The report's heading: the decision's; a candidate whose withdrawal failed comes first; a status
 * report with nothing in flight says that.
 */
export function reportTitle(result: RunResult): string {
  if (result.releases.some((r) => r.withdrawPending))
    return '⚠️ Rollback incomplete: a candidate may still get live traffic';
  const decision = runDecision(result);
  if (decision === 'skipped' && result.serving?.length) return 'ℹ️ Status: nothing in flight';
  if (decision !== 'failed' || result.releases.some(rolledBack)) return DECISION_TITLE[decision];
  // Nothing was rolled back: candidates that never served callers, or a stable model's drift.
  return result.releases.some((r) => r.status === 'failed') ? '❌ Failed' : '❌ Drift detected';
}

/** A pre-deploy (offline) gate failed: the candidate was never deployed. */
const notDeployed = (r: Release) => r.phase < 0 && r.reason?.startsWith('not deployed') === true;

/** A failed release whose candidate served callers, and was rolled back. */
const rolledBack = (r: Release) => r.status === 'failed' && !notDeployed(r) && !neverServedCallers(r);

/** What a model serves now and since when, for command status. */
export function servingSentence(s: ServingState): string {
  const last = s.last && describeEntry(s.last);
  if (s.version === undefined)
    return `${s.model}: the target could not be read (${s.unread}); ${last ? `the ledger's last entry: ${last}` : 'the ledger has no promotion or rollback'}`;
  if (!last) return `${s.model} serves ${s.version}; the ledger has no promotion or rollback of it`;
  if (s.last?.version !== s.version)
    return `${s.model} serves ${s.version}, yet the ledger's last entry is ${last}: changed outside model-gate?`;
  return `${s.model} serves ${s.version} since ${last}`;
}

const describeEntry = (e: LedgerEntry) =>
  `${e.kind === 'promotion' ? 'the promotion' : 'the rollback'} ${e.previous} → ${e.version} at ${utc(e.at)}${e.pr === undefined ? '' : ` (PR #${e.pr})`}: ${e.summary}`;

const utc = (ms: number) => `${new Date(ms).toISOString().replace('T', ' ').slice(0, 16)} UTC`;

export function rollbackSentence(e: LedgerEntry): string {
  return `${e.model} now serves ${e.version} (was ${e.previous}): ${e.summary}`;
}
