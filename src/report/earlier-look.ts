import { seriesSecond } from '../release/series.js';
import type { GateState, PhaseRecord, Release } from '../release/types.js';

/** The values a gate last read, from its series, and the phase that read them. */
export interface EarlierValues {
  canary?: number;
  baseline?: number;
  phase: PhaseRecord;
}

/**
 * What a gate whose last look shows no value last read: a new phase clears its looks (tick.ts
 * freshForPhase), a look at 100% of traffic has no stable arm, a failed read no values. Its series
 * (whole seconds since the release started) keeps each look's values: the last point, placed in
 * the phase it was read in. A look in a phase's first second is the one that ended the phase
 * before: a phase's own looks come an interval after its switch.
 * Undefined when the last look has a value, or the series has none.
 */
export function earlierValues(g: GateState, release: Release): EarlierValues | undefined {
  if (g.last?.canary !== undefined || g.last?.baseline !== undefined) return undefined;
  const point = g.series?.findLast(([, canary, baseline]) => canary !== null || baseline !== null);
  if (!point) return undefined;
  // In the series' own unit: a phase's start rounded to the second as a look then would be. The
  // look that ended a phase, ms before the next began, rounds to the next's second or before it;
  // compared in ms it fell in the next phase whenever it rounded up.
  const phase =
    release.phases.findLast((p) => seriesSecond(p.startedAt, release.startedAt) < point[0]) ??
    release.phases[0];
  if (!phase) return undefined;
  const [, canary, baseline] = point;
  return { ...(canary === null ? {} : { canary }), ...(baseline === null ? {} : { baseline }), phase };
}
