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
 * (seconds since the release started) keeps each look's values: the last point, placed in the
 * phase it was read in. A look at a phase's start is the one that ended the phase before.
 * Undefined when the last look has a value, or the series has none.
 */
export function earlierValues(g: GateState, release: Release): EarlierValues | undefined {
  if (g.last?.canary !== undefined || g.last?.baseline !== undefined) return undefined;
  const point = g.series?.findLast(([, canary, baseline]) => canary !== null || baseline !== null);
  if (!point) return undefined;
  const at = release.startedAt + point[0] * 1000;
  const phase = release.phases.findLast((p) => p.startedAt < at) ?? release.phases[0];
  if (!phase) return undefined;
  const [, canary, baseline] = point;
  return { ...(canary === null ? {} : { canary }), ...(baseline === null ? {} : { baseline }), phase };
}
