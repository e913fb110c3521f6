/** A cumulative histogram bucket, as Prometheus exposes them. */
export interface Bucket {
  le: number | '+Inf';
  count: number;
}

/**
 * The q-quantile by linear interpolation inside the bucket that holds it, as
 * Prometheus' histogram_quantile does; undefined for an empty histogram.
 */
export function histogramQuantile(q: number, buckets: Bucket[]): number | undefined {
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      // The open-ended bucket has no upper edge: report the last finite one.
      if (b.le === '+Inf') return lowerBound;
      const inBucket = b.count - lowerCount;
      return inBucket > 0 ? lowerBound + ((b.le - lowerBound) * (rank - lowerCount)) / inBucket : b.le;
    }
    if (b.le !== '+Inf') lowerBound = b.le;
    lowerCount = b.count;
  }
  return lowerBound;
}

export function histogramMean(h: { sum: number; count: number }): number | undefined {
  return h.count > 0 ? h.sum / h.count : undefined;
}
