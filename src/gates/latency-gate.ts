import type { LatencyGateConfig } from '../config/types.js';
import { type QuantileReading, readHistogramQuantile } from '../metrics/histogram.js';
import type { Measurement } from '../release/types.js';
import { latencyUnit } from '../report/format.js';
import { inUnit, judgeLatency, stepReference } from '../stats/latency.js';
import { onBounds, onSharedLatencyBounds } from '../stats/latency-shared-bounds.js';
import { armHistograms, endedLook } from './arm-histograms.js';
import { pct, quantileName, toleratedMax } from './bounds.js';
import { mannWhitneyLook, type Seen, thresholdLook } from './judge-looks.js';
import { armNames, evidenceOf, type StatisticalContext, slotWindow, verdictOf } from './ratio-gate.js';
import { unansweredLook } from './unanswered-look.js';

/**
 * One look at a latency gate: the arms' histograms over the step so far, the baseline's
 * quantile read from the stable version before the step (`reference`), judged by the gate's judge.
 * Every judge reads the arms on the bucket bounds both histograms have (onSharedLatencyBounds).
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
    const q = gate.quantile;
    const shared = onSharedLatencyBounds(arms.canary, arms.baseline, armNames(ctx));
    if ('problem' in shared) return { ...arms.seen, verdict: 'inconclusive', note: shared.problem };
    const quantiles = {
      canary: readHistogramQuantile(q, shared.canary),
      baseline: readHistogramQuantile(q, shared.baseline),
    };
    // The quantiles shown and thresholded are the shared bounds' too, as the judge's.
    const seen: Seen = { ...arms.seen, canary: quantiles.canary?.value, baseline: quantiles.baseline?.value };
    const histogram = async (slot: 'stable' | 'canary', since: number, until: number) =>
      await ctx.metrics.buckets?.(gate.buckets, slotWindow(ctx, slot, since, until));
    switch (gate.judge) {
      case 'sequential': {
        // The stable version's latency before the step places the quantile; with too little of it
        // (fewer than 20 requests beyond the quantile), the step's own baseline does.
        const before = await histogram('stable', ctx.since - gate.referenceMs, ctx.since);
        // Slow requests per request each arm served (its histogram's count), as the ratio gate.
        const j = judgeLatency({
          canary: { buckets: arms.canary },
          baseline: { buckets: arms.baseline },
          reference: stepReference(before && { buckets: before }, { buckets: arms.baseline }, q),
          quantile: q,
          maxIncrease: gate.maxIncrease,
          alpha: gate.alpha,
          unit: latencyUnit(gate.buckets) ?? '',
          names: armNames(ctx),
        });
        return { ...seen, verdict: verdictOf(j), note: j.note, evidence: evidenceOf(j) };
      }
      case 'threshold': {
        const beyond = beyondBoundsLook(gate, ctx, seen, quantiles);
        if (beyond) return withNote(beyond, shared.note);
        return withNote(thresholdLook(seen, gate.buckets, gate.maxIncrease, 'quantile'), shared.note);
      }
      case 'mann-whitney': {
        const beyond = beyondBoundsLook(gate, ctx, seen, quantiles, { failsHere: false });
        if (beyond) return withNote(beyond, shared.note);
        const bounds = new Set(shared.shared);
        const m = await mannWhitneyLook(
          ctx,
          seen,
          async (slot, from, to) => {
            const h = await histogram(slot, from, to);
            return (h && readHistogramQuantile(q, onBounds(h, bounds))?.value) ?? Number.NaN;
          },
          gate.maxIncrease,
        );
        return withNote(m, shared.note);
      }
    }
  } catch (err) {
    return unansweredLook(at, err);
  }
}

/** A look's note with `extra` after it (which bounds were compared). */
const withNote = (m: Measurement, extra: string | undefined): Measurement =>
  extra === undefined ? m : { ...m, note: m.note ? `${m.note}; ${extra}` : extra };

/**
 * A candidate whose quantile lies beyond its histogram's largest finite bound L: the histogram only
 * says it is above L, strictly (histogram_quantile reads L itself). Against a tolerated maximum (the
 * baseline's quantile × (1 + max-increase)) below L, or at L from a baseline within its bounds,
 * that is a failure, as the threshold judge's (quantile-beyond-buckets.ts); above L (or at L from a
 * baseline beyond it, itself a floor), nothing in the histogram tells whether it is over,
 * so the look is inconclusive, never a pass on L (a 5 s candidate read as 1 s passed a tolerated
 * 1.1 s). The Mann-Whitney judge (`failsHere: false`) is left to judge a tolerance below L itself:
 * its per-minute values are floors above it. At L they are floors at it, so that look stays
 * inconclusive. Undefined when the candidate's quantile is within the bounds, or the judge is left to decide.
 */
function beyondBoundsLook(
  gate: LatencyGateConfig,
  ctx: StatisticalContext,
  seen: Seen,
  quantiles: { canary: QuantileReading | undefined; baseline: QuantileReading | undefined },
  { failsHere = true }: { failsHere?: boolean } = {},
): Measurement | undefined {
  const { canary, baseline } = quantiles;
  if (!canary?.beyondBounds || baseline === undefined) return undefined;
  const f = (x: number) => inUnit(x, latencyUnit(gate.buckets) ?? '');
  const largest = canary.value;
  const tolerated = toleratedMax(baseline.value, gate.maxIncrease);
  const names = armNames(ctx);
  const p = quantileName(gate.quantile);
  const over = `${p} > ${f(largest)} on ${names.candidate} (beyond its histogram's largest bucket bound)`;
  const limit = `the tolerated ${f(tolerated)} (${names.baseline}'s ${baseline.beyondBounds ? '> ' : ''}${f(baseline.value)} + ${pct(gate.maxIncrease)})`;
  // A baseline beyond L too makes `tolerated` a floor (max-increase 0%: L itself): not known to be crossed.
  if (tolerated < largest || (tolerated === largest && !baseline.beyondBounds)) {
    if (failsHere) return { ...seen, verdict: 'fail', note: `${over} is over ${limit}` };
    if (tolerated < largest) return undefined;
  }
  // Data above what the histogram can place, not missing data: must-have-data: false does not
  // let it pass (tick.ts settle), as for a threshold gate's (quantile-beyond-buckets.ts).
  return {
    ...seen,
    verdict: 'inconclusive',
    beyondBuckets: true,
    note: `${over} against ${limit}: the histogram cannot tell whether it is over; export bucket bounds above ${f(largest)}`,
  };
}
