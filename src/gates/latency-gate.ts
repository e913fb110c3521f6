import type { LatencyGateConfig } from '../config/types.js';
import { MetricsError } from '../core/errors.js';
import { type Bucket, histogramQuantile } from '../metrics/histogram.js';
import type { Measurement } from '../release/types.js';
import { judgeMannWhitney } from '../stats/kayenta.js';
import { judgeLatency } from '../stats/latency.js';
import { boundViolations } from './bounds.js';
import {
  evidenceOf,
  MANN_WHITNEY_MIN_INTERVALS,
  minuteWindows,
  type StatisticalContext,
  slotWindow,
  verdictOf,
  waitForRequests,
} from './ratio-gate.js';

const NO_BUCKETS = 'the metrics source has no histograms (latency gates need a buckets query)';

const totalOf = (b: Bucket[] | undefined) => b?.at(-1)?.count ?? 0;

/**
 * One look at a latency gate: the arms' histograms over the step so far, the baseline's
 * quantile read from the stable version before the step (`reference`), judged by the gate's judge.
 */
export async function measureLatency(gate: LatencyGateConfig, ctx: StatisticalContext): Promise<Measurement> {
  const at = ctx.now;
  const source = ctx.metrics;
  try {
    if (!source.buckets) return { at, verdict: 'error', note: NO_BUCKETS };
    const histogram = async (slot: 'stable' | 'canary', since = ctx.since, until = ctx.now) =>
      source.buckets ? await source.buckets(gate.buckets, slotWindow(ctx, slot, since, until)) : undefined;
    const waited = await waitForRequests(ctx);
    if (typeof waited !== 'number') return waited;
    const canary = await histogram('canary');
    const baseline = await histogram('stable');
    const q = gate.quantile;
    const seen = {
      at,
      canary: canary ? histogramQuantile(q, canary) : undefined,
      baseline: baseline ? histogramQuantile(q, baseline) : undefined,
      canaryRequests: waited,
      baselineRequests: totalOf(baseline),
    };
    if (!canary || !baseline || totalOf(canary) === 0 || totalOf(baseline) === 0) {
      return { ...seen, verdict: 'inconclusive', note: 'no latency histogram for one of the slots' };
    }
    switch (gate.judge) {
      case 'sequential': {
        // The stable version's latency before the step places the quantile; with too little of it
        // (fewer than 20 requests beyond the quantile), the step's own baseline does.
        const before = await histogram('stable', ctx.since - gate.referenceMs, ctx.since);
        const reference = before && totalOf(before) * (1 - q) >= 20 ? before : baseline;
        const j = judgeLatency({
          canary: { buckets: canary },
          baseline: { buckets: baseline },
          reference: { buckets: reference },
          quantile: q,
          maxIncrease: gate.maxIncrease,
          alpha: gate.alpha,
          ...(ctx.weight === undefined ? {} : { split: ctx.weight / 100 }),
        });
        return { ...seen, verdict: verdictOf(j), note: j.note, evidence: evidenceOf(j) };
      }
      case 'threshold': {
        if (seen.canary === undefined || seen.baseline === undefined) {
          return { ...seen, verdict: 'inconclusive', note: 'no quantile for one of the slots' };
        }
        const query = `latency-p${Math.round(q * 1000) / 10}`;
        const violations = boundViolations(
          query,
          { maxIncrease: gate.maxIncrease },
          seen.canary,
          seen.baseline,
        );
        return violations.length > 0
          ? { ...seen, verdict: 'fail', note: violations.join('; ') }
          : { ...seen, verdict: 'pass' };
      }
      case 'mann-whitney': {
        const minutes = minuteWindows(ctx);
        if (minutes.length < MANN_WHITNEY_MIN_INTERVALS) {
          return {
            ...seen,
            verdict: 'waiting',
            note: `${minutes.length} of ${MANN_WHITNEY_MIN_INTERVALS} one-minute intervals for the Mann-Whitney judge`,
          };
        }
        const series = async (slot: 'stable' | 'canary') => {
          const values: number[] = [];
          for (const [from, to] of minutes) {
            const h = await histogram(slot, from, to);
            values.push((h && histogramQuantile(q, h)) ?? Number.NaN);
          }
          return values;
        };
        // Kayenta's own settings (confidence 0.98): a fixed-horizon judge, outside the alpha budget.
        const j = judgeMannWhitney(await series('stable'), await series('canary'), { direction: 'increase' });
        return { ...seen, verdict: verdictOf(j), note: j.note, evidence: evidenceOf(j) };
      }
    }
  } catch (err) {
    if (err instanceof MetricsError) return { at, verdict: 'error', note: err.message };
    throw err;
  }
}
