import { formatDuration } from '../config/duration.js';
import { servesAfterEnd } from '../release/finish.js';
import { MERGED_BRIEF } from '../release/phase-notes.js';
import type { GateState, Release } from '../release/types.js';
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
 * no failed gate, no platform fault, a pending gate whose last look waited. Not an A/B's conversion
 * gate (its cap says why: ended-at-cap.ts), nor a webhook waiting for an approval.
 */
export function notEnoughData(r: Release): NotEnoughData | undefined {
  if (r.status !== 'failed' || r.phase < 0) return undefined;
  const e = r.ending;
  if (e?.platformFailed || e?.smokeFailed || e?.firstChangeRefused || e?.recordOnly) return undefined;
  if (r.gates.some((g) => g.verdict === 'fail' || (g.verdict === 'pending' && g.kind === 'conversion')))
    return undefined;
  const waiting = r.gates.filter(
    (g) => g.verdict === 'pending' && g.kind !== 'webhook' && g.last?.verdict === 'waiting',
  );
  const phase = r.phases.at(-1);
  if (waiting.length === 0 || phase?.endedAt === undefined) return undefined;
  const lasted = `in ${formatDuration(phase.endedAt - phase.startedAt)}`;
  const within = `${lasted} at ${phase.name}`;
  const counts = waiting.map(minRequestsOf);
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
  const each = waiting.map((g) => `${g.name} (${g.last?.note ?? 'waiting'})`).join(', ');
  return {
    what: `${each} ${within}`,
    brief: `${each} ${lasted}`,
    ...whatNext(r, 'raise step-duration'),
  };
}

function minRequestsOf(g: GateState): { served: number; needed: number } | undefined {
  const m = MIN_REQUESTS.exec(g.last?.note ?? '');
  if (!m) return undefined;
  return { served: g.last?.canaryRequests ?? Number(m[1]), needed: Number(m[2]) };
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
