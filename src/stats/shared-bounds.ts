/**
 * Two cumulative histograms on the bucket bounds both have. A cumulative count at a bound is
 * exact (requests at or below it), so dropping the bounds only one arm has re-bins both onto the
 * same buckets without guessing; comparing them bucket by bucket instead pairs unrelated bounds.
 */
import type { Bucket } from '../metrics/histogram.js';

export interface SharedBounds {
  /** Each arm's buckets at the shared finite bounds, ascending, then `+Inf` holding its total. */
  canary: Bucket[];
  baseline: Bucket[];
  /** The finite bounds both arms have, ascending. */
  shared: number[];
  /** Finite bounds only that arm has: dropped from its histogram. */
  canaryOnly: number[];
  baselineOnly: number[];
}

/** A histogram's finite bucket bounds (every `le` but `+Inf`), in its order. */
export const finiteBounds = (buckets: readonly Bucket[]): number[] =>
  buckets.flatMap((b) => (b.le === '+Inf' ? [] : [b.le]));

/** The arm's total: its `+Inf` bucket, else (a histogram without one) its last bucket. */
const totalOf = (buckets: readonly Bucket[]): number =>
  buckets.find((b) => b.le === '+Inf')?.count ?? buckets.at(-1)?.count ?? 0;

export function onSharedBounds(canary: readonly Bucket[], baseline: readonly Bucket[]): SharedBounds {
  const inCanary = new Set(finiteBounds(canary));
  const inBaseline = new Set(finiteBounds(baseline));
  const ascending = (xs: Iterable<number>) => [...xs].sort((a, b) => a - b);
  const shared = ascending([...inCanary].filter((le) => inBaseline.has(le)));
  const rebin = (buckets: readonly Bucket[]): Bucket[] => {
    const countAt = new Map(buckets.flatMap((b) => (b.le === '+Inf' ? [] : [[b.le, b.count] as const])));
    return [
      ...shared.map((le) => ({ le, count: countAt.get(le) as number })),
      { le: '+Inf' as const, count: totalOf(buckets) },
    ];
  };
  return {
    canary: rebin(canary),
    baseline: rebin(baseline),
    shared,
    canaryOnly: ascending([...inCanary].filter((le) => !inBaseline.has(le))),
    baselineOnly: ascending([...inBaseline].filter((le) => !inCanary.has(le))),
  };
}

/** How the judge's note names the two arms: `candidate`/`baseline`, or a watch's `window`/`reference`. */
export interface DriftArmNames {
  canary: string;
  baseline: string;
}

/** Bounds listed in a note: a few, then how many more. */
/** Bounds in a note: the first `shown`, then how many more. */
export const listBounds = (bounds: number[], shown = 5): string =>
  bounds.length <= shown
    ? bounds.join(', ')
    : `${bounds.slice(0, shown).join(', ')} and ${bounds.length - shown} more`;

/** The bounds only one arm has, per arm: `the candidate's le 4`. */
const ownBounds = (s: SharedBounds, names: DriftArmNames): string[] =>
  [
    s.canaryOnly.length > 0 ? `the ${names.canary}'s le ${listBounds(s.canaryOnly)}` : '',
    s.baselineOnly.length > 0 ? `the ${names.baseline}'s le ${listBounds(s.baselineOnly)}` : '',
  ].filter(Boolean);

/**
 * What the re-binning dropped, in words (`compared on the 3 bucket bounds both histograms share;
 * dropped: the candidate's le 4`), or undefined when both arms had the same bounds.
 */
export function droppedBoundsNote(s: SharedBounds, names: DriftArmNames): string | undefined {
  const dropped = ownBounds(s, names);
  if (dropped.length === 0) return undefined;
  return `compared on the ${s.shared.length} bucket bounds both histograms share; dropped: ${dropped.join(' and ')}`;
}

/** Why histograms with too few shared bounds (drift.ts) cannot be compared, and what to do. */
export function unsharedBoundsNote(s: SharedBounds, names: DriftArmNames): string {
  const arms = `the ${names.canary}'s and the ${names.baseline}'s histograms`;
  const theirs = ownBounds(s, names);
  if (theirs.length === 0 && s.shared.length === 0)
    return `${arms} have a +Inf bucket only, no distribution to compare: export them with bucket bounds`;
  const share =
    s.shared.length === 0 ? 'share no bucket bounds' : `share one bucket bound only (le ${s.shared[0]})`;
  return `${arms} ${share}: export both with the same buckets${theirs.length > 0 ? ` (${theirs.join('; ')})` : ''}`;
}
