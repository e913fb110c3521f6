import type { LatencyGateConfig } from '../config/types.js';
import { type QuantileReading, readHistogramQuantile } from '../metrics/histogram.js';
import type { Measurement } from '../release/types.js';
import { latencyUnit } from '../report/format.js';
import { judgeLatency, stepReference } from '../stats/latency.js';
import { bucketAround, bucketText, onBounds, onSharedLatencyBounds } from '../stats/latency-shared-bounds.js';
import { armHistograms, endedLook, inBucketOf } from './arm-histograms.js';
import { quantileName } from './bounds.js';
import { mannWhitneyLook, minuteReader, type Seen, thresholdLook } from './judge-looks.js';
import {
  beyondBoundsLook,
  everyMinuteBeyondLook,
  type MinuteReading,
  passedOnFloorsLook,
} from './latency-beyond-buckets.js';
import { observeLook } from './observed-look.js';
import { floorsOf } from './quantile-beyond-buckets.js';
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
    // A quantile beyond the largest bound is shown as `> L`, never L bare as if measured (Measurement.floors);
    // one inside a bucket as that bucket's range, the interpolated value an estimate (Measurement.inBucket).
    const { inBucket: _, ...started } = arms.seen;
    const seen: Seen = {
      ...started,
      canary: quantiles.canary?.value,
      baseline: quantiles.baseline?.value,
      ...floorsOf(quantiles.canary?.beyondBounds === true, quantiles.baseline?.beyondBounds === true),
      ...inBucketOf(q, shared),
    };
    const histogram = async (slot: 'stable' | 'canary', since: number, until: number) =>
      await ctx.metrics.buckets?.(gate.buckets, slotWindow(ctx, slot, since, until));
    switch (gate.judge) {
      case 'sequential': {
        // The stable version's latency before the step places the quantile; with too little of it
        // (fewer than 20 requests beyond the quantile), the step's own baseline does.
        const before = await histogram('stable', ctx.since - gate.referenceMs, ctx.since);
        const unit = latencyUnit(gate.buckets);
        observeLook(ctx, gate, {
          gate: gate.name,
          kind: 'latency',
          quantile: q,
          maxIncrease: gate.maxIncrease,
          alpha: gate.alpha,
          ...(unit === undefined ? {} : { unit }),
          canary: { buckets: arms.canary },
          baseline: { buckets: arms.baseline },
          ...(before ? { reference: { buckets: before } } : {}),
        });
        // Slow requests per request each arm served (its histogram's count), as the ratio gate.
        const j = judgeLatency({
          canary: { buckets: arms.canary },
          baseline: { buckets: arms.baseline },
          reference: stepReference(before && { buckets: before }, { buckets: arms.baseline }, q),
          quantile: q,
          maxIncrease: gate.maxIncrease,
          alpha: gate.alpha,
          unit: unit ?? '',
          names: armNames(ctx),
        });
        return { ...seen, verdict: verdictOf(j), note: j.note, evidence: evidenceOf(j) };
      }
      case 'threshold': {
        const beyond = beyondBoundsLook(gate, ctx, seen, quantiles);
        if (beyond) return withNote(beyond, shared.note);
        const look = thresholdLook(seen, gate.buckets, gate.maxIncrease, 'quantile');
        return withNote(
          withNote(look, look.note ? interpolatedNote(gate, ctx, seen) : undefined),
          shared.note,
        );
      }
      case 'mann-whitney': {
        const bounds = new Set(shared.shared);
        // A minute without a histogram (one scrape in it) is read over two, as the ratio gate's.
        const minuteHistogram = (slot: 'stable' | 'canary') =>
          minuteReader(ctx, (from, to) => histogram(slot, from, to));
        // Each minute's quantile, read once per look though both the proof below and the judge may ask.
        const read = new Map<string, Promise<QuantileReading | undefined>>();
        // Whether any minute's quantile was interpolated inside a bucket: the judge compares estimates.
        let interpolated = false;
        const minute: MinuteReading = (slot, from, to) => {
          const key = `${slot} ${from} ${to}`;
          const known = read.get(key);
          if (known) return known;
          const r = minuteHistogram(slot)(from, to).then((h) => {
            if (!h) return undefined;
            const b = onBounds(h, bounds);
            const reading = readHistogramQuantile(q, b);
            if (bucketAround(b, reading)) interpolated = true;
            return reading;
          });
          read.set(key, r);
          return r;
        };
        const proven = await everyMinuteBeyondLook(gate, ctx, seen, quantiles, minute);
        if (proven) return withNote(proven, shared.note);
        const beyond = beyondBoundsLook(gate, ctx, seen, quantiles, { failsHere: false });
        if (beyond) return withNote(beyond, shared.note);
        const floors = { beyond: 0, of: 0 };
        const m = await mannWhitneyLook(
          ctx,
          seen,
          async (slot, from, to) => {
            const r = await minute(slot, from, to);
            if (slot === 'canary' && r) floors.of++;
            if (slot === 'canary' && r?.beyondBounds) floors.beyond++;
            return r?.value ?? Number.NaN;
          },
          gate.maxIncrease,
          gate,
        );
        // A pass on minutes read as L itself is a pass on L, which the histogram does not show: where
        // most are (a slow minute or two of a healthy candidate do not decide its mean).
        if (m.verdict === 'pass' && floors.beyond * 2 > floors.of && quantiles.canary?.beyondBounds)
          return withNote(passedOnFloorsLook(gate, ctx, seen, floors), shared.note);
        const estimates =
          interpolated && m.note && m.evidence
            ? `the per-minute ${quantileName(q)} values compared are interpolated inside buckets: estimates, as are the shift and meanRatio`
            : undefined;
        return withNote(withNote(m, estimates), shared.note);
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
 * A threshold look's note on quantiles interpolated inside buckets: its percentage over the baseline
 * is of those estimates, not of measured values, so the note says where each arm's lies (the gate's
 * reason and the short lines quote the note, not the cells). Undefined when neither was.
 */
function interpolatedNote(gate: LatencyGateConfig, ctx: StatisticalContext, seen: Seen): string | undefined {
  const { canary, baseline } = seen.inBucket ?? {};
  if (!canary && !baseline) return undefined;
  const unit = latencyUnit(gate.buckets) ?? '';
  const names = armNames(ctx);
  const where = [
    canary ? `${names.candidate}'s lies in ${bucketText(canary, unit)}` : '',
    baseline ? `${names.baseline}'s in ${bucketText(baseline, unit)}` : '',
  ].filter(Boolean);
  return `the ${quantileName(gate.quantile)} values compared are interpolated inside buckets (${where.join(', ')}): estimates, not measurements`;
}
