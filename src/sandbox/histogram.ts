/** Fixed-bucket histograms, shared by the Prometheus text and the exact JSON metrics. */

/** Upper bounds of the latency buckets, in ms (+Inf is implicit). */
export const LATENCY_BOUNDS_MS = [
  1, 2, 5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2500, 5000,
] as const;

/** Upper bounds of the score buckets: 0.05 steps over [0, 1], fine enough for drift gates. */
export const SCORE_BOUNDS = Array.from({ length: 20 }, (_, i) => (i + 1) / 20);

/** Upper bounds of |shadow score - primary score| for the agreement of a mirrored version. */
export const SCORE_DIFF_BOUNDS = [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1] as const;

export interface Histogram {
  readonly bounds: readonly number[];
  /** Non-cumulative: counts[i] is the bucket (bounds[i-1], bounds[i]]; the last one is (last bound, +Inf). */
  readonly counts: number[];
  sum: number;
  count: number;
}

export interface CumulativeBucket {
  le: number | '+Inf';
  count: number;
}

export function newHistogram(bounds: readonly number[]): Histogram {
  return { bounds, counts: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 };
}

export function observe(h: Histogram, value: number): void {
  let i = 0;
  while (i < h.bounds.length && value > (h.bounds[i] as number)) i++;
  h.counts[i] = (h.counts[i] ?? 0) + 1;
  h.sum += value;
  h.count++;
}

/** Adds `from` into `into` (same bounds). */
export function addInto(into: Histogram, from: Histogram): void {
  for (let i = 0; i < into.counts.length; i++) into.counts[i] = (into.counts[i] ?? 0) + (from.counts[i] ?? 0);
  into.sum += from.sum;
  into.count += from.count;
}

/** Prometheus-style cumulative buckets, ending with +Inf (== count). */
export function cumulativeBuckets(h: Histogram): CumulativeBucket[] {
  let running = 0;
  return h.counts.map((c, i) => {
    running += c;
    return { le: i < h.bounds.length ? (h.bounds[i] as number) : '+Inf', count: running };
  });
}
