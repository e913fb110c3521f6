import type { LedgerEntry } from '../ledger/ledger.js';
import type { RunResult } from '../release/pull-request.js';
import type { Release } from '../release/types.js';

/** The run's decision, worst first: one failed model makes the run failed. */
export type Decision = 'failed' | 'analysing' | 'ready' | 'promoted' | 'rolled-back' | 'aborted' | 'skipped';

const ORDER: Decision[] = ['failed', 'analysing', 'ready', 'promoted', 'rolled-back', 'aborted'];

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
      return 'aborted';
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
  switch (r.status) {
    case 'analysing':
      return `${r.model} ${r.to}: ${r.reason ?? 'analysing'}`;
    case 'ready':
      return `${r.model} ${r.to} passed every gate and is ready to merge`;
    case 'failed':
      return r.phase < 0 && r.reason?.startsWith('not deployed')
        ? `${r.model} ${r.to} was ${r.reason}`
        : `${r.model} ${r.to} was rolled back to ${r.from}: ${r.reason}`;
    case 'promoted':
      return `${r.model} ${r.to} was promoted (replacing ${r.from})`;
    case 'aborted':
    case 'superseded':
      return `${r.model} ${r.to} was withdrawn: ${r.reason}`;
  }
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

export function rollbackSentence(e: LedgerEntry): string {
  return `${e.model} now serves ${e.version} (was ${e.previous}): ${e.summary}`;
}
