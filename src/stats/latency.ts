/**
 * The latency judge: a quantile regression becomes a count of slow requests, judged by the
 * count test (counts.ts) against the requests each arm's histogram holds. The baseline's
 * q-quantile, read from a reference histogram (the stable version before the step, or the
 * baseline itself), is snapped to the nearest bucket bound e; a request of either arm is an
 * event when it is slower than e. The tolerance is the count test's: the candidate's share of
 * requests slower than e may exceed the baseline's by at most `maxIncrease` (relative), so with
 * q = 0.95 and 10%, 5.5% instead of 5% slower than e.
 * A p95 that grows by 10% typically means ~1.6× as many such requests, a tail-only slowdown
 * shows at q = 0.99. A slowdown shared by both arms moves both counts together and cannot
 * raise a false alarm. Why exceedances rather than Howard & Ramdas quantile confidence
 * sequences: docs/judges.md.
 */
import { type Bucket, type QuantileReading, readHistogramQuantile } from '../metrics/histogram.js';
import { type ArmNames, countNote, judgeCounts, percent, UNNAMED_ARMS } from './counts.js';
import { inconclusive, type Judgment } from './judgment.js';
import {
  bucketAround,
  inBucketText,
  infOnlyProblem,
  onBounds,
  onSharedLatencyBounds,
} from './latency-shared-bounds.js';
import { finiteBounds } from './shared-bounds.js';

export const LATENCY_METHOD = 'sequential-exceedance';

/** Latencies of one arm: cumulative histogram buckets (Prometheus style) or raw samples. */
export type LatencyData = { buckets: Bucket[] } | { samples: number[] };

export interface LatencyInput {
  canary: LatencyData;
  baseline: LatencyData;
  /** Where the baseline quantile comes from (e.g. the stable version before the step); default `baseline`. */
  reference?: LatencyData;
  /** The quantile judged, e.g. 0.95. */
  quantile: number;
  /** Tolerated relative increase of the share of requests slower than the baseline quantile. */
  maxIncrease: number;
  alpha: number;
  spread?: number;
  /** The latencies' unit for the note (default `ms`); `''` when the source does not say. */
  unit?: string;
  /** How the note names the arms: their versions where the caller knows them. */
  names?: ArmNames;
}

export function totalOf(d: LatencyData): number {
  if ('samples' in d) return d.samples.length;
  return d.buckets.at(-1)?.count ?? 0;
}

/** Requests slower than `edge` (for buckets: above the largest bound at or below `edge`). */
export function countAbove(d: LatencyData, edge: number): number {
  if ('samples' in d) {
    let n = 0;
    for (const v of d.samples) if (v > edge) n++;
    return n;
  }
  let atOrBelow = 0;
  for (const b of d.buckets) if (b.le !== '+Inf' && b.le <= edge) atOrBelow = b.count;
  return totalOf(d) - atOrBelow;
}

/** The q-quantile, flagged when a histogram can only say it is beyond its largest bound. */
export function readQuantile(d: LatencyData, q: number): QuantileReading | undefined {
  if ('buckets' in d) return readHistogramQuantile(q, d.buckets);
  if (d.samples.length === 0) return undefined;
  const sorted = [...d.samples].sort((a, b) => a - b);
  const value = sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  return value === undefined ? undefined : { value, beyondBounds: false };
}

export function quantileOf(d: LatencyData, q: number): number | undefined {
  return readQuantile(d, q)?.value;
}

/**
 * The arms and the reference on the bucket bounds both arms' histograms have, so that the cut-off
 * is a bound each arm counts exactly; or why they cannot be compared.
 */
function onArmBounds(
  input: LatencyInput,
  names: ArmNames,
):
  | { canary: LatencyData; baseline: LatencyData; reference: LatencyData; note?: string }
  | { problem: string } {
  const { canary, baseline } = input;
  const reference = input.reference ?? baseline;
  if ('samples' in canary && 'samples' in baseline) return { canary, baseline, reference };
  let arms: { canary: LatencyData; baseline: LatencyData; note?: string };
  let grid: Set<number>;
  if ('buckets' in canary && 'buckets' in baseline) {
    const s = onSharedLatencyBounds(canary.buckets, baseline.buckets, names);
    if ('problem' in s) return s;
    arms = {
      canary: { buckets: s.canary },
      baseline: { buckets: s.baseline },
      ...(s.note ? { note: s.note } : {}),
    };
    grid = new Set(s.shared);
  } else {
    // One arm as samples: the other's bounds are the grid, samples count exactly at any of them.
    const histogram = 'buckets' in canary ? canary : (baseline as { buckets: Bucket[] });
    const who = 'buckets' in canary ? names.candidate : names.baseline;
    grid = new Set(finiteBounds(histogram.buckets));
    if (grid.size === 0) {
      return { problem: infOnlyProblem([who]) };
    }
    arms = { canary, baseline };
  }
  if (reference === baseline) return { ...arms, reference: arms.baseline };
  if ('samples' in reference) return { ...arms, reference };
  // A reference exported with other buckets (stable before the step) is read at the arms' bounds;
  // sharing none of them, it cannot place the cut-off there: the step's own baseline does.
  const onGrid = onBounds(reference.buckets, grid);
  return { ...arms, reference: onGrid.length > 1 ? { buckets: onGrid } : arms.baseline };
}

/** Requests beyond the quantile a reference needs to place it; with fewer, it says too little. */
export const MIN_REFERENCE_TAIL = 20;

/**
 * Where the baseline's q-quantile is read from: `before` (the stable version before the step) when
 * it holds at least MIN_REFERENCE_TAIL requests beyond the quantile, else the step's own baseline.
 */
export function stepReference(
  before: LatencyData | undefined,
  baseline: LatencyData,
  q: number,
): LatencyData {
  return before && totalOf(before) * (1 - q) >= MIN_REFERENCE_TAIL ? before : baseline;
}

/**
 * The latency slow requests are counted above: the reference's q-quantile, snapped to the nearest
 * of `grid` (the bucket bounds the arms count exactly at), by default the reference's own bounds
 * for a histogram. Undefined when the data cannot place it.
 */
export function exceedanceEdge(
  reference: LatencyData,
  q: number,
  grid: readonly number[] | undefined = 'buckets' in reference ? finiteBounds(reference.buckets) : undefined,
): number | undefined {
  const qRef = quantileOf(reference, q);
  if (qRef === undefined || !Number.isFinite(qRef)) return undefined;
  if (grid === undefined) return qRef;
  let nearest: number | undefined;
  for (const le of grid) {
    if (nearest === undefined || Math.abs(le - qRef) < Math.abs(nearest - qRef)) nearest = le;
  }
  return nearest;
}

/** The bounds the arms count exactly at: a histogram arm's finite bounds (after onArmBounds, shared). */
const armGrid = (canary: LatencyData, baseline: LatencyData): number[] | undefined => {
  const histogram = 'buckets' in canary ? canary : 'buckets' in baseline ? baseline : undefined;
  return histogram && finiteBounds(histogram.buckets);
};

export function judgeLatency(input: LatencyInput): Judgment {
  const name = `p${pct(input.quantile)}`;
  if (totalOf(input.canary) === 0 || totalOf(input.baseline) === 0) {
    return inconclusive(LATENCY_METHOD, 'no latency data for one of the arms');
  }
  const names = input.names ?? UNNAMED_ARMS;
  const arms = onArmBounds(input, names);
  if ('problem' in arms) return inconclusive(LATENCY_METHOD, arms.problem);
  const { canary, baseline, reference } = arms;
  const edge =
    totalOf(reference) > 0 ? exceedanceEdge(reference, input.quantile, armGrid(canary, baseline)) : undefined;
  if (edge === undefined)
    return inconclusive(LATENCY_METHOD, `no reference latency to place the baseline ${name}`);
  const judged = judgeCounts({
    canary: { events: countAbove(canary, edge), total: totalOf(canary) },
    baseline: { events: countAbove(baseline, edge), total: totalOf(baseline) },
    maxIncrease: input.maxIncrease,
    alpha: input.alpha,
    ...(input.spread === undefined ? {} : { spread: input.spread }),
    method: LATENCY_METHOD,
    ...(input.names === undefined ? {} : { names: input.names }),
  });
  const rc = readQuantile(canary, input.quantile);
  const rb = readQuantile(baseline, input.quantile);
  const qc = rc?.value;
  const qb = rb?.value;
  const c = judged.evidence.canary;
  const b = judged.evidence.baseline;
  const slow = (a: typeof c) => (a?.events === undefined || !a.total ? '–' : percent(a.events / a.total));
  const unit = input.unit ?? 'ms';
  const t = (x: number | undefined) => inUnit(x, unit);
  // Beyond the largest bound, the histogram only knows the quantile is above it: `> 1 s`. Inside a
  // bucket, only that it lies between its bounds: `100–250 ms (≈206)`, the straight line's value
  // an estimate (a true 130 ms read 206). The judge counts requests at a bound, exactly.
  const shown = (d: LatencyData, r: QuantileReading | undefined) => {
    if (r?.beyondBounds) return `> ${t(r.value)}`;
    const range = 'buckets' in d ? bucketAround(d.buckets, r) : undefined;
    return range && r ? inBucketText(range, unit, inUnit(r.value, '')) : t(r?.value);
  };
  // The quantiles first, as the gate table shows them; the slow requests the judge counted after.
  const what = `${name} ${shown(canary, rc)} on ${names.candidate} vs ${shown(baseline, rb)} on ${names.baseline}; slower than ${t(edge)}: ${slow(c)} of ${names.candidate}'s requests vs ${slow(b)} of ${names.baseline}'s`;
  const { effect, interval, eValue } = judged.evidence;
  const none = c?.events === 0 && b?.events === 0;
  const judgedNote = none
    ? `${what}: nothing points to a regression yet`
    : interval === undefined || eValue === undefined
      ? `${what}: ${judged.note}`
      : countNote(what, judged.verdict, {
          ...(effect === undefined ? {} : { effect }),
          interval,
          maxIncrease: input.maxIncrease,
          eValue,
          alpha: input.alpha,
        });
  const note = arms.note ? `${judgedNote}; ${arms.note}` : judgedNote;
  return {
    verdict: judged.verdict,
    evidence: {
      ...judged.evidence,
      ...(c ? { canary: { ...c, ...(qc === undefined ? {} : { value: qc }) } } : {}),
      ...(b ? { baseline: { ...b, ...(qb === undefined ? {} : { value: qb }) } } : {}),
    },
    note,
  };
}

const pct = (q: number) => String(Math.round(q * 1000) / 10);
/** A latency in a note: 3 significant digits and the unit, if any (`0.337`, `76.4 ms`). */
export const inUnit = (x: number | undefined, unit: string) =>
  x === undefined ? '–' : `${Number(x.toPrecision(3))}${unit ? ` ${unit}` : ''}`;
