/**
 * The latency gate's looks at a candidate quantile beyond its histogram's largest finite bucket
 * bound L, which the histogram shows only as "> L": what it proves (a fail), and where it cannot
 * tell (inconclusive, `beyondBuckets`), for the threshold and the Mann-Whitney judges.
 */
import type { LatencyGateConfig } from '../config/types.js';
import type { QuantileReading } from '../metrics/histogram.js';
import type { Measurement } from '../release/types.js';
import { latencyUnit } from '../report/format.js';
import { fmt } from '../stats/counts.js';
import { inUnit } from '../stats/latency.js';
import { inBucketText } from '../stats/latency-shared-bounds.js';
import { pct, quantileName, toleratedMax } from './bounds.js';
import { MANN_WHITNEY_MIN_INTERVALS, minuteWindows, type Seen } from './judge-looks.js';
import { armNames, type StatisticalContext } from './ratio-gate.js';

/** One arm's quantile over one minute of the step, on the bucket bounds both arms share. */
export type MinuteReading = (
  slot: 'stable' | 'canary',
  from: number,
  to: number,
) => Promise<QuantileReading | undefined>;

/**
 * A candidate whose quantile lies beyond its histogram's largest finite bound L: the histogram only
 * says it is above L, strictly (histogram_quantile reads L itself). Against a tolerated maximum (the
 * baseline's quantile × (1 + max-increase)) below L, or at L from a baseline within its bounds,
 * that is a failure, as the threshold judge's (quantile-beyond-buckets.ts); above L (or at L from a
 * baseline beyond it, itself a floor), nothing in the histogram tells whether it is over,
 * so the look is inconclusive, never a pass on L (a 5 s candidate read as 1 s passed a tolerated
 * 1.1 s). The Mann-Whitney judge (`failsHere: false`) is left to judge a tolerance below L itself:
 * its per-minute values are floors above it. At L they are floors at it, so that look stays
 * inconclusive (everyMinuteBeyondLook fails it first when each minute proves it).
 * `minutes`: the arms' per-minute values (the candidate's floor, the baseline's slowest minute), said so.
 * Undefined when the candidate's quantile is within the bounds, or the judge is left to decide.
 */
export function beyondBoundsLook(
  gate: LatencyGateConfig,
  ctx: StatisticalContext,
  seen: Seen,
  quantiles: { canary: QuantileReading | undefined; baseline: QuantileReading | undefined },
  { failsHere = true, minutes }: { failsHere?: boolean; minutes?: number } = {},
): Measurement | undefined {
  const { canary, baseline } = quantiles;
  if (!canary?.beyondBounds || baseline === undefined) return undefined;
  const f = (x: number) => inUnit(x, latencyUnit(gate.buckets) ?? '');
  const largest = canary.value;
  const tolerated = toleratedMax(baseline.value, gate.maxIncrease);
  const names = armNames(ctx);
  const p = quantileName(gate.quantile);
  if (baseline.beyondBounds) {
    // Both are floors: either arm may be the slower, by any amount. Only larger buckets can tell.
    return {
      ...seen,
      verdict: 'inconclusive',
      beyondBuckets: true,
      note: `${p} > ${f(largest)} on ${names.candidate} and > ${f(baseline.value)} on ${names.baseline} (both beyond their histograms' largest bucket bound): the histograms cannot tell whether ${names.candidate}'s is within ${pct(gate.maxIncrease)} of ${names.baseline}'s; export bucket bounds above ${f(Math.max(largest, baseline.value))}`,
    };
  }
  const each =
    minutes === undefined ? '' : minutes === 1 ? ' in its one minute' : ` in each of ${minutes} minutes`;
  const over = `${p} > ${f(largest)} on ${names.candidate}${each} (beyond its histogram's largest bucket bound)`;
  const of = minutes === undefined ? `${names.baseline}'s` : `${names.baseline}'s slowest minute`;
  // The step's baseline interpolated inside a bucket says so, as its cell does (Measurement.inBucket).
  const range = minutes === undefined ? seen.inBucket?.baseline : undefined;
  const unit = latencyUnit(gate.buckets) ?? '';
  const base = range ? inBucketText(range, unit, inUnit(baseline.value, '')) : f(baseline.value);
  const limit = `the tolerated ${f(tolerated)} (${of} ${base} + ${pct(gate.maxIncrease)})`;
  if (tolerated <= largest) {
    // Per minute, the judge's own values: say where the histogram stops, and how to see further.
    const more = minutes === undefined ? '' : `; export bucket bounds above ${f(largest)} to see by how much`;
    if (failsHere) return { ...seen, verdict: 'fail', note: `${over} is over ${limit}${more}` };
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

/**
 * `judge: mann-whitney`, from its tenth minute on, on a candidate beyond the largest bound L while
 * the baseline is within: when every candidate minute's quantile is beyond L and L is at or above
 * the baseline's slowest minute × (1 + max-increase), every candidate value is above every
 * baseline value by more than the tolerance, whatever the candidate's real values: the buckets
 * prove the regression, so the look fails, naming L. (The judge on the floors reported a shift and
 * a mean ratio of L itself, not the candidate's, and a tolerance of exactly L stayed inconclusive
 * to the deadline.) Undefined when the minutes prove nothing: the look goes on as before.
 */
export async function everyMinuteBeyondLook(
  gate: LatencyGateConfig,
  ctx: StatisticalContext,
  seen: Seen,
  quantiles: { canary: QuantileReading | undefined; baseline: QuantileReading | undefined },
  minute: MinuteReading,
): Promise<Measurement | undefined> {
  if (!quantiles.canary?.beyondBounds || quantiles.baseline?.beyondBounds !== false) return undefined;
  const windows = minuteWindows(ctx);
  if (windows.length < MANN_WHITNEY_MIN_INTERVALS) return undefined;
  const canary: QuantileReading[] = [];
  const baseline: QuantileReading[] = [];
  for (const [from, to] of windows) {
    const c = await minute('canary', from, to);
    const b = await minute('stable', from, to);
    // A minute without requests is left out, as the judge leaves out its NaN.
    if (c) canary.push(c);
    if (b) baseline.push(b);
  }
  if (canary.length === 0 || baseline.length === 0) return undefined;
  if (!canary.every((r) => r.beyondBounds) || baseline.some((r) => r.beyondBounds)) return undefined;
  const lowest = canary.reduce((a, r) => (r.value < a.value ? r : a));
  const slowest = baseline.reduce((a, r) => (r.value > a.value ? r : a));
  const look = beyondBoundsLook(
    gate,
    ctx,
    seen,
    { canary: lowest, baseline: slowest },
    { minutes: canary.length },
  );
  return look?.verdict === 'fail' ? look : undefined;
}

/**
 * `judge: mann-whitney` passed a candidate whose quantile is beyond the largest bound L over the
 * step, on minutes it read as L (a floor): its real values may be any amount above L, so the pass
 * is not shown (a p95 over 1 s every minute passed as 1 s against a 0.51 s mean, 100% tolerated).
 * Inconclusive and `beyondBuckets`, as a threshold judge's look that cannot tell (beyondBoundsLook).
 */
export function passedOnFloorsLook(
  gate: LatencyGateConfig,
  ctx: StatisticalContext,
  seen: Seen,
  floors: { beyond: number; of: number },
): Measurement {
  // The judge's shift and mean ratio are of the floors, not the candidate's: not shown as evidence.
  const L = inUnit(seen.canary ?? Number.NaN, latencyUnit(gate.buckets) ?? '');
  const p = quantileName(gate.quantile);
  const { candidate } = armNames(ctx);
  return {
    ...seen,
    verdict: 'inconclusive',
    beyondBuckets: true,
    note: `${p} > ${L} on ${candidate} in ${floors.beyond} of ${floors.of} minutes (beyond its histogram's largest bucket bound): the judge passed them read as ${L}, but the histogram cannot tell whether their real values are within the tolerated meanRatio ${fmt(1 + gate.maxIncrease)}; export bucket bounds above ${L}`,
  };
}
