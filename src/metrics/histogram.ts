/** A cumulative histogram bucket, as Prometheus exposes them. */
export interface Bucket {
  le: number | '+Inf';
  count: number;
}

/** A quantile as a histogram can tell it. */
export interface QuantileReading {
  value: number;
  /**
   * The quantile fell in the `+Inf` bucket: the requests there are slower than every finite
   * bound, so `value` (the largest finite bound, as histogram_quantile reports it) is a floor.
   */
  beyondBounds: boolean;
}

/**
 * The q-quantile by linear interpolation inside the bucket that holds it, as Prometheus'
 * histogram_quantile does (promql/quantile.go bucketQuantile); undefined where it answers NaN:
 * an empty histogram, or one without a finite bound (a `+Inf` bucket only), which says nothing
 * about the latency. Read as 0, such a histogram passed every threshold.
 */
export function readHistogramQuantile(q: number, buckets: Bucket[]): QuantileReading | undefined {
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0 || !buckets.some((b) => b.le !== '+Inf')) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [i, b] of buckets.entries()) {
    if (b.count >= rank) {
      // The open-ended bucket has no upper edge: report the last finite one, a floor.
      if (b.le === '+Inf') return { value: lowerBound, beyondBounds: true };
      // A first bound at or below 0 holds it: Prometheus reports that bound, nothing to interpolate from.
      if (i === 0 && b.le <= 0) return { value: b.le, beyondBounds: false };
      const inBucket = b.count - lowerCount;
      const value = inBucket > 0 ? lowerBound + ((b.le - lowerBound) * (rank - lowerCount)) / inBucket : b.le;
      return { value, beyondBounds: false };
    }
    if (b.le !== '+Inf') lowerBound = b.le;
    lowerCount = b.count;
  }
  return { value: lowerBound, beyondBounds: true };
}

/** The q-quantile's value (readHistogramQuantile); undefined where Prometheus answers NaN. */
export function histogramQuantile(q: number, buckets: Bucket[]): number | undefined {
  return readHistogramQuantile(q, buckets)?.value;
}

export function histogramMean(h: { sum: number; count: number }): number | undefined {
  return h.count > 0 ? h.sum / h.count : undefined;
}
