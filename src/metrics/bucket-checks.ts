/**
 * What a cumulative histogram must be before a judge reads it, wherever it comes from: the JSON
 * metric sources (selectBuckets) and the lines of `model-gate analyze` check it alike, so the
 * replay refuses what the live gate refuses.
 */
import type { Bucket } from './histogram.js';

const bound = (b: Bucket) => (b.le === '+Inf' ? Number.POSITIVE_INFINITY : b.le);

/**
 * The buckets in order of `le`, or what is wrong with them, worded to follow what holds them
 * (`… has no "+Inf" bucket, so the total is unknown`): a `+Inf` bucket (the total), no `le`
 * twice, and each count at least the one below it (cumulative, as Prometheus' `le` buckets).
 */
export function checkedBuckets(buckets: readonly Bucket[]): { buckets: Bucket[] } | { problem: string } {
  const sorted = [...buckets].sort((a, b) => bound(a) - bound(b));
  if (sorted.at(-1)?.le !== '+Inf') return { problem: 'has no "+Inf" bucket, so the total is unknown' };
  for (let i = 1; i < sorted.length; i++) {
    const [lower, upper] = [sorted[i - 1] as Bucket, sorted[i] as Bucket];
    if (bound(lower) === bound(upper))
      return { problem: `has two buckets with "le" ${JSON.stringify(upper.le)}` };
    if (upper.count < lower.count) {
      return {
        problem: `is not cumulative ("le" ${JSON.stringify(upper.le)} counts ${upper.count}, fewer than the ${lower.count} at or below ${JSON.stringify(lower.le)}): each count must include the buckets below it`,
      };
    }
  }
  return { buckets: sorted };
}
