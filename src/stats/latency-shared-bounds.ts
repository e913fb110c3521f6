/**
 * Latency histograms on the bucket bounds both arms have, for every latency judge (the gate's
 * sequential, threshold and Mann-Whitney judges, and `model-gate analyze`).
 */
import type { Bucket, QuantileReading } from '../metrics/histogram.js';
import { type ArmNames, UNNAMED_ARMS } from './counts.js';
import { finiteBounds, listBounds, onSharedBounds } from './shared-bounds.js';

/** A histogram on the given finite bounds only (and its `+Inf` total): exact, as cumulative counts are. */
export const onBounds = (buckets: readonly Bucket[], keep: ReadonlySet<number>): Bucket[] =>
  buckets.filter((b) => b.le === '+Inf' || keep.has(b.le));

/** Bounds in a note: six, then how many more. */
const listed = (bounds: number[]): string => listBounds(bounds, 6);

/** Why histograms with a `+Inf` bucket only (of the arms named `whose`) cannot be judged. */
export function infOnlyProblem(whose: string[]): string {
  const arms = whose.map((n) => `${n}'s`).join(' and ');
  return `${arms} latency histogram${whose.length > 1 ? 's have' : ' has'} a +Inf bucket only, which tells no latency: export it with bucket bounds (le)`;
}

/** Two arms' histograms on the bucket bounds both have, or why they cannot be compared. */
export type SharedLatencyBounds =
  | {
      canary: Bucket[];
      baseline: Bucket[];
      /** The finite bounds both arms have, ascending. */
      shared: number[];
      /** Says which bounds the comparison used when one arm's were dropped; undefined when none were. */
      note: string | undefined;
    }
  | { problem: string };

/**
 * The arms' histograms on the bucket bounds both have (onSharedBounds). Between bounds a histogram
 * only interpolates, so the same latencies read through different buckets give different quantiles
 * (0.337 s through le 0.1/0.4 where le 0.2 reads 0.2 s), and a cut-off at a bound one arm lacks was
 * counted at its next bound down: a candidate as fast as stable failed. Without a shared finite
 * bound, or with a `+Inf` bucket only, the histograms cannot be compared: `problem` says so.
 */
export function onSharedLatencyBounds(
  canary: readonly Bucket[],
  baseline: readonly Bucket[],
  names: ArmNames = UNNAMED_ARMS,
): SharedLatencyBounds {
  const infOnly = [
    finiteBounds(canary).length === 0 ? names.candidate : '',
    finiteBounds(baseline).length === 0 ? names.baseline : '',
  ].filter(Boolean);
  if (infOnly.length > 0) {
    return { problem: infOnlyProblem(infOnly) };
  }
  const s = onSharedBounds(canary, baseline);
  if (s.shared.length === 0) {
    return {
      problem: `${names.candidate}'s and ${names.baseline}'s latency histograms share no bucket bound (${names.candidate}: le ${listed(s.canaryOnly)}; ${names.baseline}: le ${listed(s.baselineOnly)}): export both with the same buckets`,
    };
  }
  const dropped = s.canaryOnly.length + s.baselineOnly.length > 0;
  return {
    canary: s.canary,
    baseline: s.baseline,
    shared: s.shared,
    note: dropped ? `judged on the bucket bounds both histograms have (le ${listed(s.shared)})` : undefined,
  };
}

/**
 * The bucket a histogram's quantile was interpolated inside: [the bound below (0 under the first),
 * the bound above]. The histogram only knows the quantile lies there; the value between is
 * Prometheus' straight line through the bucket (206 ms for a true 130 ms in le 0.1–0.25). Undefined
 * for a quantile exactly on a bound (the counts place it), beyond the last one (a floor) or none.
 */
export function bucketAround(
  buckets: readonly Bucket[],
  reading: QuantileReading | undefined,
): [number, number] | undefined {
  if (!reading || reading.beyondBounds) return undefined;
  let below = 0;
  for (const b of buckets) {
    if (b.le === '+Inf' || reading.value === b.le) return undefined;
    if (reading.value < b.le) return reading.value > below ? [below, b.le] : undefined;
    below = b.le;
  }
  return undefined;
}

/**
 * `100–250 ms (≈206)`: the bucket's bounds as exported, the unit if known, then the interpolated
 * value as `approx` writes it (without the unit), so that it does not read as measured.
 */
export const inBucketText = (range: [number, number], unit: string, approx: string): string =>
  `${bucketText(range, unit)} (≈${approx})`;

/** `100–250 ms`: a bucket's bounds as exported, and the unit if known. */
export const bucketText = (range: [number, number], unit: string): string =>
  `${boundText(range[0])}–${boundText(range[1])}${unit ? ` ${unit}` : ''}`;

/** A bucket bound as exported, without float noise (0.30000000000000004). */
const boundText = (x: number): string => String(Number(x.toPrecision(6)));
