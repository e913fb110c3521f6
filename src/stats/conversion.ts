/**
 * The conversion judge (A/B outcomes): Johari, Koomen, Pekelis & Walsh, "Peeking at A/B Tests"
 * (KDD 2017), the mixture SPRT on the difference of two proportions with a normal mixture over
 * the effect. With Δ̂ = p̂c − f p̂b (f = 1 ∓ margin), V its variance and τ the mixture's scale,
 *
 *   Λ = √(V / (V + τ²)) · exp(τ² Δ̂² / (2V(V + τ²)))                         (two-sided)
 *   Λ₋ = 2 Λ · Φ(−Δ̂ τ / √(V(V + τ²)))   (mixture over negative effects only: one-sided)
 *
 * and 1/Λ is an always-valid p-value: reject when Λ ≥ 1/alpha, at any look. V is the pooled
 * binomial variance (asymptotic validity, as in the paper), so at least 5 expected conversions
 * per arm are required before judging.
 */

import { fmt } from './counts.js';
import { sampleSizeNonInferiority, sampleSizeTwoProportions } from './fixed-horizon.js';
import { eThreshold, inconclusive, isCount, type Judgment, type Verdict } from './judgment.js';
import { normalCdf } from './special.js';

export const CONVERSION_METHOD = 'msprt-two-proportions';

export interface ConversionInput {
  canary: { conversions: number; total: number };
  baseline: { conversions: number; total: number };
  /**
   * Which change is a regression: `decrease` (the default: the candidate converts worse),
   * `increase`, or `either` (two-sided; pass means equivalent within the margin).
   */
  direction?: 'decrease' | 'increase' | 'either';
  /** Relative non-inferiority margin: 0.02 tolerates a 2% relative drop. Default 0 (superiority). */
  margin?: number;
  alpha: number;
  /** The mixture's scale relative to the baseline rate (τ = tau × p̂b); default 0.1. */
  tau?: number;
  /**
   * For the reported sample size: the relative effect to detect without a margin (default 0.1),
   * and the power (0.8). With a margin, the size is the one that shows non-inferiority.
   */
  mde?: number;
  power?: number;
}

/** The last values computed, per side: checks at several alphas ask for the same look. */
const recent = new Map<string, { diff: number; variance: number; tau: number; value: number }>();

/** Log of the mixture ratio: two-sided, or over negative (`less`) or positive (`greater`) effects. */
export function logMixtureNormal(
  diff: number,
  variance: number,
  tau: number,
  side: 'two' | 'less' | 'greater',
): number {
  const hit = recent.get(side);
  if (hit && hit.diff === diff && hit.variance === variance && hit.tau === tau) return hit.value;
  const value = computeMixtureNormal(diff, variance, tau, side);
  recent.set(side, { diff, variance, tau, value });
  return value;
}

function computeMixtureNormal(
  diff: number,
  variance: number,
  tau: number,
  side: 'two' | 'less' | 'greater',
): number {
  const t2 = tau * tau;
  const full =
    0.5 * Math.log(variance / (variance + t2)) + (t2 * diff * diff) / (2 * variance * (variance + t2));
  if (side === 'two') return full;
  const z = (diff * tau) / Math.sqrt(variance * (variance + t2));
  return full + Math.LN2 + Math.log(normalCdf(side === 'less' ? -z : z));
}

/** The half-width c with Λ₋(−c) = 1/alpha: a one-sided always-valid bound Δ̂ ± c. */
export function mixtureHalfWidth(variance: number, tau: number, alpha: number): number {
  const t = eThreshold(alpha);
  let lo = 0;
  let hi = Math.sqrt(variance) * 50 + tau;
  for (let i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (logMixtureNormal(-mid, variance, tau, 'less') >= t) hi = mid;
    else lo = mid;
  }
  return hi;
}

export interface ConversionTestOptions {
  direction?: 'decrease' | 'increase' | 'either';
  margin?: number;
  alpha: number;
  tau?: number;
}

/** The statistic of one side: Δ̂ = p̂c − f p̂b and its pooled variance. */
function statistic(xc: number, nc: number, xb: number, nb: number, factor: number) {
  const pooled = (xc + xb) / (nc + nb);
  return {
    diff: xc / nc - factor * (xb / nb),
    variance: pooled * (1 - pooled) * (1 / nc + (factor * factor) / nb),
  };
}

/** Fewer than 5 expected conversions (or non-conversions) in an arm: too early for the normal approximation. */
export function tooFewConversions(xc: number, nc: number, xb: number, nb: number): boolean {
  const pooled = (xc + xb) / (nc + nb);
  return !(Math.min(nc, nb) * Math.min(pooled, 1 - pooled) >= 5);
}

/**
 * The decision of the conversion judge after xc of nc candidate and xb of nb baseline requests
 * converted, with the log e-value behind it. Fail: a change beyond the margin in the regression
 * direction; pass: credibly within the margin (for `either`, only with a margin).
 */
export function decideConversion(
  o: ConversionTestOptions,
  xc: number,
  nc: number,
  xb: number,
  nb: number,
): { verdict: Verdict; logE: number } {
  if (tooFewConversions(xc, nc, xb, nb)) return { verdict: 'inconclusive', logE: 0 };
  const direction = o.direction ?? 'decrease';
  const margin = o.margin ?? 0;
  const pb = xb / nb;
  const tau = (o.tau ?? 0.1) * (pb > 0 ? pb : (xc + xb) / (nc + nb));
  const t = eThreshold(o.alpha);
  if (direction === 'either') {
    // Each side at alpha / 2.
    const lo = statistic(xc, nc, xb, nb, 1 - margin);
    const hi = statistic(xc, nc, xb, nb, 1 + margin);
    const eLow = logMixtureNormal(lo.diff, lo.variance, tau, 'less');
    const eHigh = logMixtureNormal(hi.diff, hi.variance, tau, 'greater');
    if (Math.max(eLow, eHigh) >= t + Math.LN2) return { verdict: 'fail', logE: Math.max(eLow, eHigh) };
    if (margin > 0) {
      const inside = Math.min(
        logMixtureNormal(lo.diff, lo.variance, tau, 'greater'),
        logMixtureNormal(hi.diff, hi.variance, tau, 'less'),
      );
      if (inside >= t + Math.LN2) return { verdict: 'pass', logE: inside };
    }
    return { verdict: 'inconclusive', logE: Math.max(eLow, eHigh) };
  }
  const s = statistic(xc, nc, xb, nb, direction === 'increase' ? 1 + margin : 1 - margin);
  // The two-sided mixture bounds each one-sided one by a factor 2: most looks stop here.
  if (logMixtureNormal(s.diff, s.variance, tau, 'two') + Math.LN2 < t) {
    return {
      verdict: 'inconclusive',
      logE: logMixtureNormal(s.diff, s.variance, tau, direction === 'increase' ? 'greater' : 'less'),
    };
  }
  const worse = logMixtureNormal(s.diff, s.variance, tau, direction === 'increase' ? 'greater' : 'less');
  if (worse >= t) return { verdict: 'fail', logE: worse };
  const better = logMixtureNormal(s.diff, s.variance, tau, direction === 'increase' ? 'less' : 'greater');
  if (better >= t) return { verdict: 'pass', logE: better };
  return { verdict: 'inconclusive', logE: worse };
}

export function judgeConversion(input: ConversionInput): Judgment {
  const { canary: c, baseline: b } = input;
  const method = CONVERSION_METHOD;
  if (![c.conversions, c.total, b.conversions, b.total].every(isCount)) {
    return inconclusive(method, 'missing or invalid counts (NaN, negative or absent)');
  }
  if (c.total === 0 || b.total === 0) return inconclusive(method, 'no requests on one of the arms');
  if (c.conversions > c.total || b.conversions > b.total) {
    return inconclusive(method, 'more conversions than requests: the counts are inconsistent');
  }
  const direction = input.direction ?? 'decrease';
  const pc = c.conversions / c.total;
  const pb = b.conversions / b.total;
  const arms = {
    canary: { events: c.conversions, total: c.total, value: pc },
    baseline: { events: b.conversions, total: b.total, value: pb },
  };
  if (tooFewConversions(c.conversions, c.total, b.conversions, b.total)) {
    return inconclusive(method, 'fewer than 5 expected conversions (or non-conversions) per arm', arms);
  }
  // With a margin, the size to show non-inferiority when nothing changed; without, the size to
  // detect a change of `mde`.
  const design = {
    alpha: input.alpha,
    power: input.power ?? 0.8,
    ratio: b.total / c.total,
    sided: direction === 'either' ? 2 : 1,
  } as const;
  const sampleSize = input.margin
    ? sampleSizeNonInferiority({
        ...design,
        baseline: pb,
        margin: input.margin,
        regression: direction === 'increase' ? 'increase' : 'decrease',
      })
    : sampleSizeTwoProportions({
        ...design,
        baseline: pb,
        candidate: pb * (direction === 'increase' ? 1 + (input.mde ?? 0.1) : 1 - (input.mde ?? 0.1)),
      });
  const { verdict, logE } = decideConversion(input, c.conversions, c.total, b.conversions, b.total);
  const tau = (input.tau ?? 0.1) * pb;
  const s = statistic(c.conversions, c.total, b.conversions, b.total, 1);
  const half = tau > 0 ? mixtureHalfWidth(s.variance, tau, input.alpha) : Number.NaN;
  const lift = pb > 0 ? pc / pb - 1 : undefined;
  const interval: [number, number] | undefined =
    pb > 0 && Number.isFinite(half) ? [(s.diff - half) / pb, (s.diff + half) / pb] : undefined;
  const eValue = Math.exp(logE);
  const evidence = {
    method,
    ...(lift === undefined ? {} : { effect: lift }),
    ...(interval ? { interval } : {}),
    eValue,
    pValue: Math.min(1, 1 / eValue),
    ...arms,
  };
  const liftText = `conversion ${pct(pc)} vs ${pct(pb)} (lift ${lift === undefined ? '–' : signedPct(lift)}, bounds ${interval ? `${signedPct(interval[0])} to ${signedPct(interval[1])}` : '–'})`;
  // The sample progress against the fixed-horizon size: how far along an undecided test is,
  // and how early a decided one stopped.
  const share = Number.isFinite(sampleSize) ? `${Math.round((100 * c.total) / sampleSize)}%` : '';
  const needs = `the ${sampleSize} candidate requests a fixed-horizon test would need`;
  const progress = !share
    ? ''
    : verdict === 'inconclusive'
      ? `; ${c.total} of ${needs} (${share})`
      : `; decided at ${share} of ${needs}`;
  const note =
    verdict === 'fail'
      ? `${liftText}: a regression beyond the margin (e-value ${fmt(eValue)})${progress}`
      : verdict === 'pass'
        ? `${liftText}: no regression beyond the margin (e-value ${fmt(eValue)})${progress}`
        : `${liftText}: not yet conclusive (e-value ${fmt(eValue)} < ${fmt(1 / input.alpha)})${progress}`;
  return { verdict, evidence, note };
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const signedPct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;
