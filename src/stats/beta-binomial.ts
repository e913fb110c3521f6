/**
 * The Beta-binomial mixture e-value behind the count judges (Lindon & Malek, "Anytime-Valid
 * Inference for Multinomial Count Data", NeurIPS 2022, with two categories).
 *
 * Each event (an error, a null prediction, a slow request) falls in the candidate arm with
 * probability p. Against a null value p0, the Bayes factor of a Beta(a, b) mixture
 *
 *   E(p0) = ∫ p^x (1-p)^y dBeta(p; a, b) / (p0^x (1-p0)^y) = B(a+x, b+y) / (B(a, b) p0^x (1-p0)^y)
 *
 * is a nonnegative martingale under p = p0 (x candidate events, y baseline events), so by
 * Ville's inequality P(ever E ≥ 1/alpha) ≤ alpha, however often it is looked at.
 * One-sided versions truncate the prior to p > p0 (or p < p0): every component's likelihood
 * ratio is then a supermartingale for every p on the other side of p0 (monotone likelihood
 * ratio), so the same bound holds for the whole one-sided null p ≤ p0 (or p ≥ p0).
 */
import { logBeta, logBetaIncTails } from './special.js';

export interface BetaPrior {
  a: number;
  b: number;
}

/**
 * A Beta prior with mean `m` whose standard deviation is `spread` × m(1-m): about `spread`
 * as a relative change of the odds (and, for small m, of the rate ratio).
 */
export function betaPriorAround(m: number, spread: number): BetaPrior {
  const kappa = 1 / (spread * spread * m * (1 - m)) - 1;
  const k = Math.max(kappa, 1e-6);
  return { a: k * m, b: k * (1 - m) };
}

const logLik = (x: number, y: number, p: number) =>
  (x > 0 ? x * Math.log(p) : 0) + (y > 0 ? y * Math.log1p(-p) : 0);

/** log E(p0) with the full (two-sided) Beta prior. */
export function logMixtureE(x: number, y: number, prior: BetaPrior, p0: number): number {
  return logBeta(prior.a + x, prior.b + y) - logBeta(prior.a, prior.b) - logLik(x, y, p0);
}

/** log E with the prior truncated to p > p0: evidence that p exceeds p0. */
export function logMixtureEAbove(x: number, y: number, prior: BetaPrior, p0: number): number {
  const post = logBetaIncTails(p0, prior.a + x, prior.b + y).upper;
  const pri = logBetaIncTails(p0, prior.a, prior.b).upper;
  return logMixtureE(x, y, prior, p0) + post - pri;
}

/** log E with the prior truncated to p < p0: evidence that p is below p0. */
export function logMixtureEBelow(x: number, y: number, prior: BetaPrior, p0: number): number {
  const post = logBetaIncTails(p0, prior.a + x, prior.b + y).lower;
  const pri = logBetaIncTails(p0, prior.a, prior.b).lower;
  return logMixtureE(x, y, prior, p0) + post - pri;
}

/** The one-sided tests at one null value p0, with the prior's parts computed once. */
export interface PointTest {
  /** Whether the mixture over p > p0 reaches `logThreshold` (evidence that p exceeds p0). */
  above(x: number, y: number, logThreshold: number): boolean;
  /** Whether the mixture over p < p0 reaches `logThreshold` (evidence that p is below p0). */
  below(x: number, y: number, logThreshold: number): boolean;
}

/**
 * The checks the judges make at every look. The full mixture bounds both one-sided ones (the
 * posterior share of a side is at most 1), so the incomplete beta function is only computed
 * when the full mixture is already past the threshold.
 */
export function pointTest(prior: BetaPrior, p0: number): PointTest {
  const priorTails = logBetaIncTails(p0, prior.a, prior.b);
  const logPriorBeta = logBeta(prior.a, prior.b);
  const logP0 = Math.log(p0);
  const log1mP0 = Math.log1p(-p0);
  // The last counts seen and their values: looks ask both sides, often for unchanged counts.
  let lastX = -1;
  let lastY = -1;
  let lastFull = 0;
  let lastTails: { lower: number; upper: number } | undefined;
  const full = (x: number, y: number) => {
    if (x !== lastX || y !== lastY) {
      lastX = x;
      lastY = y;
      lastTails = undefined;
      lastFull =
        logBeta(prior.a + x, prior.b + y) -
        logPriorBeta -
        (x > 0 ? x * logP0 : 0) -
        (y > 0 ? y * log1mP0 : 0);
    }
    return lastFull;
  };
  const posterior = (x: number, y: number) => {
    full(x, y);
    lastTails ??= logBetaIncTails(p0, prior.a + x, prior.b + y);
    return lastTails;
  };
  return {
    above(x, y, t) {
      const f = full(x, y);
      if (f - priorTails.upper < t) return false;
      return f + posterior(x, y).upper - priorTails.upper >= t;
    },
    below(x, y, t) {
      const f = full(x, y);
      if (f - priorTails.lower < t) return false;
      return f + posterior(x, y).lower - priorTails.lower >= t;
    },
  };
}

/** Point tests are pure: tests with the same prior and p0 (but other alphas) share one and its cache. */
const pointTests = new Map<string, PointTest>();
export function cachedPointTest(prior: BetaPrior, p0: number): PointTest {
  const key = `${prior.a}/${prior.b}/${p0}`;
  let t = pointTests.get(key);
  if (!t) {
    if (pointTests.size > 256) pointTests.clear();
    t = pointTest(prior, p0);
    pointTests.set(key, t);
  }
  return t;
}

/**
 * One-sided confidence bounds on p at level alpha each, from the same one-sided e-values
 * the decisions use: `lower` is the largest p0 that `logMixtureEAbove` still rejects,
 * `upper` the smallest that `logMixtureEBelow` rejects. Together a confidence sequence
 * with coverage at least 1 - 2 alpha, uniformly over time.
 */
export function mixtureBounds(x: number, y: number, prior: BetaPrior, alpha: number): [number, number] {
  const t = Math.log(1 / alpha);
  const phat = (x + prior.a) / (x + y + prior.a + prior.b);
  const lower = boundary((p) => logMixtureEAbove(x, y, prior, p) >= t, 1e-12, phat);
  const upper = boundary((p) => !(logMixtureEBelow(x, y, prior, p) >= t), phat, 1 - 1e-12);
  return [lower <= 1e-12 ? 0 : lower, upper >= 1 - 1e-12 ? 1 : upper];
}

/**
 * The point where `inside` flips from true (at `lo`) to false (at `hi`), by bisection on the
 * log-odds scale; `lo` when it is false already at `lo`.
 */
function boundary(inside: (p: number) => boolean, lo: number, hi: number): number {
  if (!inside(lo)) return lo;
  if (inside(hi)) return hi;
  let l = Math.log(lo / (1 - lo));
  let h = Math.log(hi / (1 - hi));
  for (let i = 0; i < 60 && h - l > 1e-10; i++) {
    const m = (l + h) / 2;
    if (inside(1 / (1 + Math.exp(-m)))) l = m;
    else h = m;
  }
  return 1 / (1 + Math.exp(-(l + h) / 2));
}
