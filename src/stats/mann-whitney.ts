/**
 * The Mann-Whitney U test (Wilcoxon rank-sum) and the Hodges-Lehmann shift with its
 * confidence interval, as Kayenta computes them (a port of R's wilcox.test, asymptotic,
 * with continuity and tie corrections). Fixed-horizon: valid at one planned look only.
 */
import { normalQuantile, normalSf } from './special.js';

export type Alternative = 'two-sided' | 'less' | 'greater';

export interface MannWhitneyResult {
  /** U statistic of `x` (pairs with x > y, ties counting ½). */
  u: number;
  z: number;
  pValue: number;
}

/** Ascending copy as a typed array (a numeric sort without a comparator). */
export const sortedCopy = (values: readonly number[]): Float64Array => Float64Array.from(values).sort();

/**
 * Rank sum of the values x − mu among x − mu and y (average ranks for ties) and Σ(t³ − t) over
 * the groups of ties, by merging the two sorted samples.
 */
function rankSum(xs: Float64Array, ys: Float64Array, mu: number): { rankSum: number; tieTerm: number } {
  const n1 = xs.length;
  const n2 = ys.length;
  let i = 0;
  let j = 0;
  let sum = 0;
  let tieTerm = 0;
  let position = 0;
  while (i < n1 || j < n2) {
    const xv = i < n1 ? (xs[i] as number) - mu : Number.POSITIVE_INFINITY;
    const yv = j < n2 ? (ys[j] as number) : Number.POSITIVE_INFINITY;
    const v = Math.min(xv, yv);
    let inX = 0;
    let inY = 0;
    while (i < n1 && (xs[i] as number) - mu === v) {
      inX++;
      i++;
    }
    while (j < n2 && (ys[j] as number) === v) {
      inY++;
      j++;
    }
    const t = inX + inY;
    sum += inX * (position + (t + 1) / 2);
    tieTerm += t * t * t - t;
    position += t;
  }
  return { rankSum: sum, tieTerm };
}

/** Mann-Whitney on samples already sorted ascending (see `mannWhitneyU`). */
export function mannWhitneySorted(
  xs: Float64Array,
  ys: Float64Array,
  alternative: Alternative = 'two-sided',
  continuity = true,
): MannWhitneyResult {
  const n1 = xs.length;
  const n2 = ys.length;
  const { rankSum: r1, tieTerm } = rankSum(xs, ys, 0);
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const n = n1 + n2;
  const mu = (n1 * n2) / 2;
  const sd = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const u = alternative === 'less' ? u2 : alternative === 'greater' ? u1 : Math.max(u1, u2);
  const z = sd > 0 ? (u - mu - (continuity ? 0.5 : 0)) / sd : 0;
  const p = normalSf(z) * (alternative === 'two-sided' ? 2 : 1);
  return { u: u1, z, pValue: Math.min(1, Math.max(0, p)) };
}

/**
 * Asymptotic Mann-Whitney U test of x against y with tie-corrected variance and continuity
 * correction (scipy.stats.mannwhitneyu(x, y, method='asymptotic')). `greater`: x tends larger.
 */
export function mannWhitneyU(
  x: readonly number[],
  y: readonly number[],
  alternative: Alternative = 'two-sided',
  continuity = true,
): MannWhitneyResult {
  return mannWhitneySorted(sortedCopy(x), sortedCopy(y), alternative, continuity);
}

export interface ShiftEstimate {
  /** Hodges-Lehmann estimate of the shift of x relative to y. */
  estimate: number;
  interval: [number, number];
}

/**
 * The rank-sum statistic of x − mu against y, centred, with R's continuity correction, divided
 * by its tie-corrected sd: R wilcox.test's `wdiff` (two-sided, correct = TRUE).
 */
function centredZ(xs: Float64Array, ys: Float64Array, mu: number): number {
  const n1 = xs.length;
  const n2 = ys.length;
  const n = n1 + n2;
  const r = rankSum(xs, ys, mu);
  const dz = r.rankSum - (n1 * (n1 + 1)) / 2 - (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - r.tieTerm / (n * (n - 1))));
  // Every value tied at this shift: the statistic sits exactly at its mean.
  if (!(sigma > 0)) return 0;
  return (dz - Math.sign(dz) * 0.5) / sigma;
}

/**
 * Hodges-Lehmann shift of x relative to y and its asymptotic confidence interval, as R's
 * wilcox.test(x, y, conf.int = TRUE, exact = FALSE) and Kayenta compute them: the roots in mu
 * of the centred statistic at 0 and at ±z(1 − (1 − confidence)/2), by bisection on
 * [min x − max y, max x − min y]. Undefined when every value is tied.
 */
export function hodgesLehmann(
  x: readonly number[],
  y: readonly number[],
  confidence: number,
): ShiftEstimate | undefined {
  return hodgesLehmannSorted(sortedCopy(x), sortedCopy(y), confidence);
}

/**
 * The shift mu at which the centred statistic of x − mu against y crosses `target` (R's
 * uniroot on wdiff), for samples sorted ascending; undefined when every value is the same.
 * (R stops where all values tie at a shift; here the statistic is taken at its mean there.)
 * The statistic is a step function of mu: 36 halvings place the step to ~1e-11 of the range.
 */
export function shiftRoot(xs: Float64Array, ys: Float64Array, target: number): number | undefined {
  if (xs.length === 0 || ys.length === 0) return undefined;
  const muMin = (xs[0] as number) - (ys[ys.length - 1] as number);
  const muMax = (xs[xs.length - 1] as number) - (ys[0] as number);
  const x0 = xs[0] as number;
  if (x0 === xs[xs.length - 1] && x0 === ys[0] && x0 === ys[ys.length - 1]) return undefined;
  const f = (mu: number) => centredZ(xs, ys, mu) - target;
  if (f(muMin) <= 0) return muMin;
  if (f(muMax) >= 0) return muMax;
  let lo = muMin;
  let hi = muMax;
  for (let k = 0; k < 36; k++) {
    const mid = (lo + hi) / 2;
    if (f(mid) > 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** z(1 − (1 − confidence)/2): where the interval's roots sit. */
export const shiftQuantile = (confidence: number) => normalQuantile(1 - (1 - confidence) / 2);

/** `hodgesLehmann` on samples already sorted ascending. */
export function hodgesLehmannSorted(
  xs: Float64Array,
  ys: Float64Array,
  confidence: number,
): ShiftEstimate | undefined {
  const estimate = shiftRoot(xs, ys, 0);
  if (estimate === undefined) return undefined;
  const zq = shiftQuantile(confidence);
  return { estimate, interval: [shiftRoot(xs, ys, zq) as number, shiftRoot(xs, ys, -zq) as number] };
}

/** The exact Hodges-Lehmann estimate: the median of all pairwise differences x − y. */
export function hodgesLehmannExact(x: readonly number[], y: readonly number[]): number {
  const d: number[] = [];
  for (const a of x) for (const b of y) d.push(a - b);
  d.sort((a, b) => a - b);
  const m = d.length >> 1;
  return d.length % 2 ? (d[m] as number) : ((d[m - 1] as number) + (d[m] as number)) / 2;
}
