import { type Bucket, histogramQuantile, readHistogramQuantile } from '../metrics/histogram.js';
import { armName } from '../metrics/matched-nothing.js';
import { showQuery } from '../metrics/show-query.js';
import type { Measurement } from '../release/types.js';
import { bucketAround } from '../stats/latency-shared-bounds.js';
import type { Seen } from './judge-looks.js';
import { type StatisticalContext, slotWindow, waitForRequests } from './ratio-gate.js';

/** Requests a cumulative histogram counted: its last bucket's count (0 for none). */
export const histogramTotal = (b: Bucket[] | undefined): number => b?.at(-1)?.count ?? 0;

/** Both arms' histograms over the phase so far, and what the look shows of them. */
export interface ArmHistograms {
  canary: Bucket[];
  baseline: Bucket[];
  seen: Seen;
}

/**
 * The start of a latency or drift gate's look: both arms' histograms of `query` over the phase so
 * far, each shown by its quantile `shown`; or the look's end when there is nothing to judge yet
 * (a source without histograms, too few candidate requests, an arm without a histogram: the note
 * names the arm and quotes the query, so a misspelt metric or label is found from the report).
 */
export async function armHistograms(
  query: string,
  ctx: StatisticalContext,
  what: { kind: 'latency' | 'drift'; histogram: string; shown: number },
): Promise<ArmHistograms | Measurement> {
  const at = ctx.now;
  const buckets = ctx.metrics.buckets?.bind(ctx.metrics);
  if (!buckets) {
    return {
      at,
      verdict: 'error',
      note: `the metrics source has no histograms (${what.kind} gates need a buckets query)`,
    };
  }
  const waited = await waitForRequests(ctx);
  if (typeof waited !== 'number') return waited;
  const canaryWindow = slotWindow(ctx, 'canary');
  const baselineWindow = slotWindow(ctx, 'stable');
  const canary = await buckets(query, canaryWindow);
  const baseline = await buckets(query, baselineWindow);
  const seen: Seen = {
    at,
    canary: canary ? histogramQuantile(what.shown, canary) : undefined,
    baseline: baseline ? histogramQuantile(what.shown, baseline) : undefined,
    canaryRequests: waited,
    baselineRequests: histogramTotal(baseline),
    // A latency look that ends here still shows its quantiles: as the bucket they lie in.
    ...(what.kind === 'latency' ? inBucketOf(what.shown, { canary, baseline }) : {}),
  };
  const empty = [
    { buckets: canary, window: canaryWindow },
    { buckets: baseline, window: baselineWindow },
  ].filter((arm) => histogramTotal(arm.buckets) === 0);
  if (!canary || !baseline || empty.length > 0) {
    const arms = empty.map((arm) => armName(arm.window)).join(' nor ');
    return {
      ...seen,
      verdict: 'inconclusive',
      note: `no ${what.histogram} for ${arms}: ${showQuery(query)}`,
    };
  }
  return { canary, baseline, seen };
}

/** Whether a look's start ended it (armHistograms). */
export const endedLook = (x: ArmHistograms | Measurement): x is Measurement => 'verdict' in x;

/**
 * Which arms' quantile `q` of these histograms was interpolated inside a bucket, and its bounds
 * (Measurement.inBucket); nothing when neither arm's was.
 */
export function inBucketOf(
  q: number,
  arms: { canary: Bucket[] | undefined; baseline: Bucket[] | undefined },
): Pick<Measurement, 'inBucket'> {
  const within = (b: Bucket[] | undefined) => (b ? bucketAround(b, readHistogramQuantile(q, b)) : undefined);
  const canary = within(arms.canary);
  const baseline = within(arms.baseline);
  return canary || baseline
    ? { inBucket: { ...(canary ? { canary } : {}), ...(baseline ? { baseline } : {}) } }
    : {};
}
