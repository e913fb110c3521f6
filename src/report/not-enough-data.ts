import { formatDuration } from '../config/duration.js';
import { usableLook } from '../gates/threshold-gate.js';
import { passesAtDeadline } from '../release/deadline-pass.js';
import { servesAfterEnd } from '../release/finish.js';
import { MERGED_BRIEF } from '../release/phase-notes.js';
import type { GateState, Measurement, Release } from '../release/types.js';
import { mergedPrAdvice } from '../release/withdrawn-meanwhile.js';
import { reopenFirst } from './reopen-first.js';

/** A min-requests look's note (threshold-gate.ts, ratio-gate.ts): the only record of what was needed. */
const MIN_REQUESTS = /^(\d+) of (\d+) candidate requests$/;

/**
 * What was short (`what`, `brief` for a commit status's 140 characters) and what to do (`next`,
 * `nextBrief` for the status).
 */
export interface NotEnoughData {
  what: string;
  brief: string;
  next: string;
  nextBrief: string;
}

/**
 * A failed release that no gate failed, ended at its step's deadline with a gate still waiting for
 * data (a `waiting` look: too few candidate requests, scrapes or intervals): no verdict on the
 * candidate, and one a longer step (or a lower min-requests) would give. From the record's fields:
 * no failed gate, no platform fault, and every gate the deadline could not pass (tick.ts settle)
 * waiting. Not where one of them had no data or an unanswered query (its look `inconclusive` or
 * `error`): a longer step brings no data a query does not find, and the engine's reason names that
 * gate with its note. Nor an A/B's conversion gate (its cap says why: ended-at-cap.ts), nor a
 * webhook waiting for an approval.
 */
export function notEnoughData(r: Release): NotEnoughData | undefined {
  if (r.status !== 'failed' || r.phase < 0) return undefined;
  const e = r.ending;
  if (e?.platformFailed || e?.smokeFailed || e?.firstChangeRefused || e?.recordOnly) return undefined;
  if (r.gates.some((g) => g.verdict === 'fail' || (g.verdict === 'pending' && g.kind === 'conversion')))
    return undefined;
  const phase = r.phases.at(-1);
  if (phase?.endedAt === undefined) return undefined;
  // The look the deadline judged: the one before a tolerated query error (threshold-gate.ts).
  const looked = (g: GateState) => usableLook(g, phase.startedAt);
  // As the deadline judged them (tick.ts settle): a pre-deploy gate is not one, and a gate that saw
  // the data without a regression passed it, so neither is what was short.
  const waiting = r.gates.filter(
    (g) => g.verdict === 'pending' && g.kind !== 'offline' && !passesAtDeadline(g, looked(g)),
  );
  const waited = (g: GateState) => g.kind !== 'webhook' && looked(g)?.verdict === 'waiting';
  if (waiting.length === 0 || !waiting.every(waited)) return undefined;
  const lasted = `in ${formatDuration(phase.endedAt - phase.startedAt)}`;
  const within = `${lasted} at ${phase.name}`;
  const counts = waiting.map((g) => minRequestsOf(looked(g)));
  // min-requests is the strategy's: every gate waits on the same count, the most any look saw.
  if (counts.every((c) => c !== undefined)) {
    const served = Math.max(...counts.map((c) => c.served));
    const needed = Math.max(...counts.map((c) => c.needed));
    return {
      what: `${served} of the ${needed} candidate requests needed ${within}`,
      brief: `${served} of ${needed} candidate requests ${lasted}`,
      ...whatNext(r, 'raise step-duration or lower min-requests'),
    };
  }
  const each = waiting.map((g) => `${g.name} (${looked(g)?.note ?? 'waiting'})`).join(', ');
  return {
    what: `${each} ${within}`,
    brief: `${each} ${lasted}`,
    ...whatNext(r, 'raise step-duration'),
  };
}

function minRequestsOf(look: Measurement | undefined): { served: number; needed: number } | undefined {
  const m = MIN_REQUESTS.exec(look?.note ?? '');
  if (!m) return undefined;
  return { served: look?.canaryRequests ?? Number(m[1]), needed: Number(m[2]) };
}

/**
 * `change`, then what analyses again: a new commit while the PR is open (reopened first, if closed:
 * reopenFirst); once its merge is on record (merge-job.ts endedOnMerge), which no commit follows, a
 * new PR (mergedPrAdvice).
 */
function whatNext(r: Release, change: string): Pick<NotEnoughData, 'next' | 'nextBrief'> {
  if (r.mergedAt === undefined)
    return {
      next: `${change}, then push a new commit${reopenFirst(r)}`,
      nextBrief: `${change}, push a new commit`,
    };
  return {
    next: `${change}; ${mergedPrAdvice(r.to, servesAfterEnd(r), 'its version')}`,
    nextBrief: MERGED_BRIEF,
  };
}
