import type { LatencyGateConfig } from '../config/types.js';
import { histogramQuantile } from '../metrics/histogram.js';
import type { Measurement } from '../release/types.js';
import { latencyUnit } from '../report/format.js';
import { judgeLatency, stepReference } from '../stats/latency.js';
import { armHistograms, endedLook } from './arm-histograms.js';
import { mannWhitneyLook, thresholdLook } from './judge-looks.js';
import { armNames, evidenceOf, type StatisticalContext, slotWindow, verdictOf } from './ratio-gate.js';
import { unansweredLook } from './unanswered-look.js';

/**
 * One look at a latency gate: the arms' histograms over the step so far, the baseline's
 * quantile read from the stable version before the step (`reference`), judged by the gate's judge.
 */
export async function measureLatency(gate: LatencyGateConfig, ctx: StatisticalContext): Promise<Measurement> {
  const at = ctx.now;
  try {
    const arms = await armHistograms(gate.buckets, ctx, {
      kind: 'latency',
      histogram: 'latency histogram',
      shown: gate.quantile,
    });
    if (endedLook(arms)) return arms;
    const { canary, baseline, seen } = arms;
    const q = gate.quantile;
    const histogram = async (slot: 'stable' | 'canary', since: number, until: number) =>
      await ctx.metrics.buckets?.(gate.buckets, slotWindow(ctx, slot, since, until));
    switch (gate.judge) {
      case 'sequential': {
        // The stable version's latency before the step places the quantile; with too little of it
        // (fewer than 20 requests beyond the quantile), the step's own baseline does.
        const before = await histogram('stable', ctx.since - gate.referenceMs, ctx.since);
        // Slow requests per request each arm served (its histogram's count), as the ratio gate.
        const j = judgeLatency({
          canary: { buckets: canary },
          baseline: { buckets: baseline },
          reference: stepReference(before && { buckets: before }, { buckets: baseline }, q),
          quantile: q,
          maxIncrease: gate.maxIncrease,
          alpha: gate.alpha,
          unit: latencyUnit(gate.buckets) ?? '',
          names: armNames(ctx),
        });
        return { ...seen, verdict: verdictOf(j), note: j.note, evidence: evidenceOf(j) };
      }
      case 'threshold':
        return thresholdLook(seen, gate.buckets, gate.maxIncrease, 'quantile');
      case 'mann-whitney':
        return mannWhitneyLook(
          ctx,
          seen,
          async (slot, from, to) => {
            const h = await histogram(slot, from, to);
            return (h && histogramQuantile(q, h)) ?? Number.NaN;
          },
          gate.maxIncrease,
        );
    }
  } catch (err) {
    return unansweredLook(at, err);
  }
}
