/**
 * The drift judge: a sequential two-sample test of distributions. Each arm's empirical CDF
 * stays within ε(n) of its true CDF at every n with probability 1 − α (Howard & Ramdas,
 * "Sequential estimation of quantiles with applications to A/B-testing and best-arm
 * identification", Bernoulli 2022, Theorem 2: the time-uniform Dvoretzky-Kiefer-Wolfowitz bound
 *
 *   ε(n) = 0.85 √((log log(e n) + 0.8 log(1612 / α)) / n)
 *
 * so the Kolmogorov-Smirnov distance D between the arms' true CDFs lies in
 * [D̂ − εc − εb, D̂ + εc + εb] at every look (α/2 per arm). Fail when the lower end exceeds the
 * tolerated distance, pass when the upper end is below it. PSI, Jensen-Shannon and Wasserstein
 * distances are reported as effect sizes with the usual bands (those of common drift monitors:
 * PSI 0.1 / 0.25, JS 0.1, Wasserstein 0.1 × the reference's standard deviation).
 */
import type { Bucket } from '../metrics/histogram.js';
import { fmt } from './counts.js';
import { histogramWasserstein, type WassersteinBeyond, wassersteinWords } from './histogram-wasserstein.js';
import { inconclusive, type Judgment } from './judgment.js';
import {
  type DriftArmNames,
  droppedBoundsNote,
  onSharedBounds,
  type SharedBounds,
  unsharedBoundsNote,
} from './shared-bounds.js';

export const DRIFT_METHOD = 'sequential-ks';

/** Time-uniform DKW radius for n samples at level alpha (Howard & Ramdas 2022, Thm 2, m = 1). */
export function dkwRadius(n: number, alpha: number): number {
  if (!(n >= 1)) return 1;
  return Math.min(1, 0.85 * Math.sqrt((Math.log(Math.log(Math.E * n)) + 0.8 * Math.log(1612 / alpha)) / n));
}

/** Two-sample Kolmogorov-Smirnov statistic sup |F_a − F_b| (scipy.stats.ks_2samp's statistic). */
export function ksStatistic(a: readonly number[], b: readonly number[]): number {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i] as number, y[j] as number);
    while (i < x.length && (x[i] as number) <= v) i++;
    while (j < y.length && (y[j] as number) <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/** Probabilities per bucket from cumulative buckets (the +Inf bucket last). */
export function bucketShares(buckets: readonly Bucket[]): number[] {
  const total = buckets.at(-1)?.count ?? 0;
  let prev = 0;
  return buckets.map((b) => {
    const share = total > 0 ? (b.count - prev) / total : 0;
    prev = b.count;
    return share;
  });
}

/** KS distance between two histograms at the bucket bounds both have (onSharedBounds). */
export function ksBuckets(a: readonly Bucket[], b: readonly Bucket[]): number {
  const s = onSharedBounds(a, b);
  const ta = s.canary.at(-1)?.count ?? 0;
  const tb = s.baseline.at(-1)?.count ?? 0;
  let d = 0;
  s.canary.forEach((bucket, i) => {
    d = Math.max(d, Math.abs(bucket.count / ta - (s.baseline[i]?.count ?? 0) / tb));
  });
  return d;
}

/** PSI's usual band (`no`, `moderate`, `major` shift: an effect size, not a test); none for a PSI that is not a number. */
export function psiBand(value: number): string | undefined {
  if (!Number.isFinite(value)) return undefined;
  return value >= 0.25 ? 'major' : value >= 0.1 ? 'moderate' : 'no';
}

/** The Jensen-Shannon distance's usual band (`notable` shift at 0.1 or more, base 2); none for a value that is not a number. */
export function jsBand(value: number): string | undefined {
  if (!Number.isFinite(value)) return undefined;
  return value >= 0.1 ? 'notable' : 'no notable';
}

/**
 * The Wasserstein distance's usual band, in the reference's standard deviations (`0.43 × the
 * reference's sd: notable shift`, notable at 0.1 or more); none where that sd is unknown (values
 * beyond a histogram's finite bounds, whose place is not known) or 0.
 */
export function wassersteinBand(sizes: DriftSizes, reference = 'reference'): string | undefined {
  const sd = sizes.referenceSd;
  if (sd === undefined || !(sd > 0) || !Number.isFinite(sizes.wasserstein)) return undefined;
  const ratio = sizes.wasserstein / sd;
  return `${fmt(ratio)} × the ${reference}'s sd: ${ratio >= 0.1 ? 'notable' : 'no notable'} shift`;
}

/**
 * Population stability index Σ (aᵢ − eᵢ) ln(aᵢ / eᵢ) over bins, empty bins floored at `floor`.
 * Usual bands: < 0.1 no shift, 0.1-0.25 moderate, ≥ 0.25 major.
 */
export function psi(expected: readonly number[], actual: readonly number[], floor = 1e-4): number {
  const e = normalize(expected).map((p) => Math.max(p, floor));
  const a = normalize(actual).map((p) => Math.max(p, floor));
  return e.reduce((sum, ei, i) => sum + ((a[i] as number) - ei) * Math.log((a[i] as number) / ei), 0);
}

/**
 * Jensen-Shannon distance (the square root of the divergence, base 2, in [0, 1]): what
 * scipy.spatial.distance.jensenshannon(p, q, base=2) returns. Usual band: ≥ 0.1 is drift.
 */
export function jensenShannon(p: readonly number[], q: readonly number[]): number {
  const a = normalize(p);
  const b = normalize(q);
  let div = 0;
  a.forEach((ai, i) => {
    const bi = b[i] as number;
    const m = (ai + bi) / 2;
    if (ai > 0) div += 0.5 * ai * Math.log2(ai / m);
    if (bi > 0) div += 0.5 * bi * Math.log2(bi / m);
  });
  return Math.sqrt(Math.max(0, div));
}

/**
 * Wasserstein-1 distance ∫|F_u − F_v| between weighted samples (scipy.stats.wasserstein_distance).
 * Usual band: ≥ 0.1 × the reference's standard deviation is drift.
 */
export function wasserstein(
  u: readonly number[],
  v: readonly number[],
  uWeights?: readonly number[],
  vWeights?: readonly number[],
): number {
  const points = [...new Set([...u, ...v])].sort((a, b) => a - b);
  const cdf = (values: readonly number[], weights?: readonly number[]) => {
    const w = weights ?? values.map(() => 1);
    const total = w.reduce((a, b) => a + b, 0);
    const mass = new Map<number, number>();
    values.forEach((x, i) => {
      mass.set(x, (mass.get(x) ?? 0) + (w[i] as number));
    });
    let acc = 0;
    return points.map((p) => {
      acc += mass.get(p) ?? 0;
      return acc / total;
    });
  };
  const fu = cdf(u, uWeights);
  const fv = cdf(v, vWeights);
  let d = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    d +=
      Math.abs((fu[i] as number) - (fv[i] as number)) * ((points[i + 1] as number) - (points[i] as number));
  }
  return d;
}

const normalize = (xs: readonly number[]) => {
  const total = xs.reduce((a, b) => a + b, 0);
  return xs.map((x) => (total > 0 ? x / total : 0));
};

export type DriftData = { buckets: Bucket[] } | { samples: number[] };

export interface DriftInput {
  canary: DriftData;
  baseline: DriftData;
  alpha: number;
  /** Tolerated KS distance between the distributions; default 0.1. */
  maxDistance?: number;
  /** How the note names the arms; default the candidate and the baseline. */
  names?: DriftArmNames;
}

/** Effect sizes reported next to the verdict. */
export interface DriftSizes {
  ks: number;
  psi: number;
  jensenShannon: number;
  /** On histograms, each bucket's mass spread over the bucket (histogramWasserstein). */
  wasserstein: number;
  /** Histogram values past the finite bounds, counted at them: `wasserstein` is then a lower bound. */
  wassersteinBeyond?: WassersteinBeyond;
  /**
   * The baseline's (reference's) standard deviation, Wasserstein's yardstick (wassersteinBand): on
   * histograms with each bucket's mass spread over the bucket, as `wasserstein` reads them; none
   * where values lie beyond the finite bounds.
   */
  referenceSd?: number;
}

/** Effect sizes; two histograms are compared on the bucket bounds both have (onSharedBounds). */
export function driftSizes(canary: DriftData, baseline: DriftData): DriftSizes {
  if ('buckets' in canary && 'buckets' in baseline) {
    const s = onSharedBounds(canary.buckets, baseline.buckets);
    const ec = bucketShares(s.canary);
    const eb = bucketShares(s.baseline);
    const w = histogramWasserstein(s);
    return {
      ks: ksBuckets(s.canary, s.baseline),
      psi: psi(eb, ec),
      jensenShannon: jensenShannon(eb, ec),
      wasserstein: w.distance,
      ...(w.beyond === undefined ? { referenceSd: spreadSd(s) } : { wassersteinBeyond: w.beyond }),
    };
  }
  if ('samples' in canary && 'samples' in baseline) {
    const edges = decileEdges(baseline.samples);
    const bin = (xs: number[]) => histogramCounts(xs, edges);
    return {
      ks: ksStatistic(canary.samples, baseline.samples),
      psi: psi(bin(baseline.samples), bin(canary.samples)),
      jensenShannon: jensenShannon(bin(baseline.samples), bin(canary.samples)),
      wasserstein: wasserstein(canary.samples, baseline.samples),
      referenceSd: sampleSd(baseline.samples),
    };
  }
  throw new TypeError('drift: both arms must be buckets or both samples');
}

/** The population standard deviation of samples (numpy's std); NaN with none. */
function sampleSd(xs: readonly number[]): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length);
}

/**
 * The baseline histogram's standard deviation with each bucket's mass spread evenly over it (the
 * first from 0 when its bound is positive, a point at its bound otherwise), as histogramWasserstein
 * reads it: the midpoints' variance plus each bucket's width² / 12. Only where no value lies
 * beyond the finite bounds; NaN with no predictions.
 */
function spreadSd(s: SharedBounds): number {
  const buckets = s.baseline;
  const total = buckets.at(-1)?.count ?? 0;
  const first = s.shared[0];
  if (!(total > 0) || first === undefined) return Number.NaN;
  // The first bucket from 0 when its bound is positive, a point at its bound otherwise.
  let lo = Math.min(first, 0);
  let below = 0;
  let m1 = 0;
  let m2 = 0;
  s.shared.forEach((hi, i) => {
    const count = buckets[i]?.count ?? below;
    const p = (count - below) / total;
    m1 += (p * (lo + hi)) / 2;
    m2 += (p * (lo * lo + lo * hi + hi * hi)) / 3;
    below = count;
    lo = hi;
  });
  return Math.sqrt(Math.max(0, m2 - m1 * m1));
}

/** Inner decile edges of the reference: PSI and JS on raw samples use its ten deciles as bins. */
function decileEdges(samples: readonly number[]): number[] {
  const s = [...samples].sort((a, b) => a - b);
  return [1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => s[Math.floor((k / 10) * (s.length - 1))] as number);
}

function histogramCounts(xs: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const x of xs) {
    let i = 0;
    while (i < edges.length && x > (edges[i] as number)) i++;
    counts[i] = (counts[i] as number) + 1;
  }
  return counts;
}

const sizeOf = (d: DriftData) => ('samples' in d ? d.samples.length : (d.buckets.at(-1)?.count ?? 0));

const DEFAULT_NAMES: DriftArmNames = { canary: 'candidate', baseline: 'baseline' };

/**
 * Two histograms on the bounds both have: why they cannot be compared, else what the re-binning
 * dropped, if anything. No shared finite bound leaves nothing to compare; one left after dropping
 * others leaves a single share, not the distribution either arm's exporter meant to show.
 */
function boundsOf(input: DriftInput): { unshared: string } | { dropped?: string } {
  const { canary, baseline } = input;
  if (!('buckets' in canary && 'buckets' in baseline)) return {};
  const names = input.names ?? DEFAULT_NAMES;
  const s = onSharedBounds(canary.buckets, baseline.buckets);
  const dropped = droppedBoundsNote(s, names);
  if (s.shared.length === 0 || (s.shared.length === 1 && dropped !== undefined))
    return { unshared: unsharedBoundsNote(s, names) };
  return dropped === undefined ? {} : { dropped };
}

/** An undecided look's words while its release runs: more data may yet show a drift. */
const NO_DRIFT_YET = 'no drift shown yet (needs more data)';

/**
 * An undecided look's note without its live words (`no drift shown yet (needs more data): `), for a
 * release that ended with it undecided: no more data comes. Any other note as it is.
 */
export const withoutDriftWait = (note: string): string =>
  note.startsWith(`${NO_DRIFT_YET}: `) ? `no drift shown: ${note.slice(NO_DRIFT_YET.length + 2)}` : note;

export interface DriftJudgment extends Judgment {
  sizes?: DriftSizes;
  /** Two histograms with different bounds: what comparing them on the shared ones dropped. */
  droppedBounds?: string;
}

/**
 * `PSI 0.287 (major shift), JS 0.143 (notable shift), Wasserstein 0.05 (0.21 × the baseline's sd:
 * notable shift)`: the effect sizes with their usual bands, where a size has one.
 */
function bandedSizes(sizes: DriftSizes, baseline: string): string {
  const inBand = (band: string | undefined) => (band === undefined ? '' : ` (${band})`);
  const shift = (band: string | undefined) => band && `${band} shift`;
  return `PSI ${fmt(sizes.psi)}${inBand(shift(psiBand(sizes.psi)))}, JS ${fmt(sizes.jensenShannon)}${inBand(shift(jsBand(sizes.jensenShannon)))}, ${wassersteinWords(sizes)}${inBand(wassersteinBand(sizes, baseline))}`;
}

export function judgeDrift(input: DriftInput): DriftJudgment {
  const nc = sizeOf(input.canary);
  const nb = sizeOf(input.baseline);
  if (nc === 0 || nb === 0) return inconclusive(DRIFT_METHOD, 'no data for one of the arms');
  const bad = (d: DriftData) =>
    'samples' in d
      ? d.samples.some((x) => !Number.isFinite(x))
      : d.buckets.some((b) => !Number.isFinite(b.count));
  if (bad(input.canary) || bad(input.baseline))
    return inconclusive(DRIFT_METHOD, 'NaN or infinite values in the data');
  const bounds = boundsOf(input);
  if ('unshared' in bounds) return inconclusive(DRIFT_METHOD, bounds.unshared);
  const sizes = driftSizes(input.canary, input.baseline);
  const radius = dkwRadius(nc, input.alpha / 2) + dkwRadius(nb, input.alpha / 2);
  const lo = Math.max(0, sizes.ks - radius);
  const hi = Math.min(1, sizes.ks + radius);
  const max = input.maxDistance ?? 0.1;
  const verdict = lo > max ? 'fail' : hi < max ? 'pass' : 'inconclusive';
  const what = `KS distance ${fmt(sizes.ks)} (bounds ${fmt(lo)}–${fmt(hi)}, tolerated ${fmt(max)}); ${bandedSizes(sizes, (input.names ?? DEFAULT_NAMES).baseline)}${bounds.dropped === undefined ? '' : `; ${bounds.dropped}`}`;
  return {
    verdict,
    evidence: {
      method: DRIFT_METHOD,
      effect: sizes.ks,
      interval: [lo, hi],
      canary: { total: nc },
      baseline: { total: nb },
    },
    // Plain words first, for each verdict: an undecided look has shown no drift, but not its absence.
    note:
      verdict === 'fail'
        ? `drift: ${what}`
        : verdict === 'pass'
          ? `no drift beyond tolerance: ${what}`
          : `${NO_DRIFT_YET}: ${what}`,
    sizes,
    ...(bounds.dropped === undefined ? {} : { droppedBounds: bounds.dropped }),
  };
}
