import type { DriftGateConfig } from '../config/types.js';
import { histogramQuantile } from '../metrics/histogram.js';
import type { Measurement } from '../release/types.js';
import { judgeDrift } from '../stats/drift.js';
import { histogramTotal, noHistogramNote } from './missing-histogram.js';
import { evidenceOf, type StatisticalContext, slotWindow, waitForRequests } from './ratio-gate.js';
import { unansweredLook } from './unanswered-look.js';

const NO_BUCKETS = 'the metrics source has no histograms (drift gates need a buckets query)';

/**
 * One look at a drift gate: the candidate's prediction histogram over the phase so far against
 * the baseline's, by the time-uniform KS judge. Per slot the report shows the median prediction.
 */
export async function measureDrift(gate: DriftGateConfig, ctx: StatisticalContext): Promise<Measurement> {
  const at = ctx.now;
  const source = ctx.metrics;
  try {
    if (!source.buckets) return { at, verdict: 'error', note: NO_BUCKETS };
    const waited = await waitForRequests(ctx);
    if (typeof waited !== 'number') return waited;
    const canary = await source.buckets(gate.buckets, slotWindow(ctx, 'canary'));
    const baseline = await source.buckets(gate.buckets, slotWindow(ctx, 'stable'));
    const seen = {
      at,
      canary: canary ? histogramQuantile(0.5, canary) : undefined,
      baseline: baseline ? histogramQuantile(0.5, baseline) : undefined,
      canaryRequests: waited,
      baselineRequests: histogramTotal(baseline),
    };
    const missing = noHistogramNote('prediction histogram', gate.buckets, [
      { buckets: canary, window: slotWindow(ctx, 'canary') },
      { buckets: baseline, window: slotWindow(ctx, 'stable') },
    ]);
    if (missing || !canary || !baseline) return { ...seen, verdict: 'inconclusive', note: missing };
    const j = judgeDrift({
      canary: { buckets: canary },
      baseline: { buckets: baseline },
      alpha: gate.alpha,
      maxDistance: gate.maxDistance,
    });
    // Undecided with bounds computed is waiting for evidence; without them (NaN counts) it is
    // missing data, which inconclusive-limit counts and a deadline never passes.
    const verdict =
      j.verdict !== 'inconclusive' ? j.verdict : j.evidence.interval ? 'waiting' : 'inconclusive';
    return { ...seen, verdict, note: j.note, evidence: evidenceOf(j) };
  } catch (err) {
    return unansweredLook(at, err);
  }
}
