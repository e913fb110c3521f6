import { formatElapsed } from '../config/duration.js';
import { usableLook } from '../gates/threshold-gate.js';
import type { GateState } from './types.js';

/**
 * The passed gates of a phase with a hold (a bake, a shadow run) that its end cannot rest on: looked
 * at in this phase, their last look a query error (the metric source down: said while waiting), or,
 * once the hold is over, their last answered look older than one look interval before its end. A
 * tolerated error keeps a gate's pass (foldMeasurement), but a bake watches the candidate for its
 * whole length: it passes only on a look of every gate answered at its end (each look covers the
 * whole phase so far), so data an outage hid (green turned bad in its last minutes) is never
 * promoted unseen. One interval of slack: looks are taken every `interval`, so a look one interval
 * before the end sees what any look mid-phase sees, and a single error on the very last look does
 * not roll back a bake watched to its end. Such a gate waits, and the step's deadline judges it as
 * one without data (must-have-data). A conversion gate's pass is final (its always-valid test
 * concluded: keepsPass), as is one carried into full traffic: neither is looked at, nor counted.
 */
export function unansweredAtHold(
  live: GateState[],
  looked: Set<string>,
  hold: { since: number; ms: number | undefined; held: boolean; intervalMs: number },
): GateState[] {
  if (!hold.ms) return [];
  const fresh = hold.since + hold.ms - hold.intervalMs;
  return live.filter((g) => {
    if (g.verdict !== 'pass' || !looked.has(g.name)) return false;
    if (!hold.held) return g.last?.verdict === 'error';
    return !answeredSince(g, hold.since, fresh);
  });
}

/** The gate's last answered look of the phase that began at `since` was taken at `fresh` or after. */
function answeredSince(g: GateState, since: number, fresh: number): boolean {
  const answered = usableLook(g, since);
  return answered !== undefined && answered.at >= fresh;
}

/**
 * A gate a deadline (`due`) would end for want of data only because its metric source did not
 * answer: its last look a query error, and no answered look in the phase within one interval of
 * `due`. Under schedule ticks a step gets one look a tick, often an hour apart and past its
 * deadline; one outage on it is no evidence of missing data. As the drift watch does with an
 * outage, the next tick looks again; the gate counts the error against its consecutive-error-limit
 * (foldMeasurement), so a source that never answers still ends the release. Data that answered
 * empty is judged as before.
 */
export function unansweredAtDeadline(
  g: GateState,
  phase: { since: number; due: number; intervalMs: number },
): boolean {
  if (g.verdict === 'fail' || g.last?.verdict !== 'error') return false;
  return !answeredSince(g, phase.since, phase.due - phase.intervalMs);
}

/** `errors (no answer from the metric source past its 10m deadline: …; the next look judges it, 1 unanswered in a row of the 4 consecutive-error-limit tolerates)`. */
export function unansweredAtDeadlineText(g: GateState, due: string, limit: number | undefined): string {
  const why = g.last?.note ? `: ${g.last.note}` : '';
  const count =
    limit === undefined
      ? ''
      : `, ${g.consecutiveErrors} unanswered in a row of the ${limit} consecutive-error-limit tolerates`;
  return `${g.name} (no answer from the metric source ${due}${why}; the next look judges it${count})`;
}

/** `errors (no answer from the metric source: …, 3m of the hold left; the hold ends only on an answered look)`. */
export function unansweredText(g: GateState, holdMs: number, elapsed: number): string {
  const why = g.last?.verdict === 'error' && g.last.note ? `: ${g.last.note}` : '';
  const left = holdMs > elapsed ? `, ${formatElapsed(holdMs - elapsed)} of the hold left` : '';
  return `${g.name} (no answer from the metric source${why}${left}; the hold ends only on an answered look)`;
}
