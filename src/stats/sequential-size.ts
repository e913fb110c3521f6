/**
 * The planned sample of an always-valid test of two proportions (the conversion judge's mixture
 * SPRT): the candidate requests at which the test, looked at only then, rejects with the stated
 * power when the design's effect is true. Looking earlier as well can only make it stop sooner, so
 * the power by that size is at least the stated one (a little above it: about 0.85 for 0.8).
 *
 * It is larger than the fixed-horizon size (about twice, at alpha 0.05 and power 0.8): evidence
 * that stays valid at every look costs samples. Read at the fixed-horizon size instead, the test
 * would find an effect of the design's size only about half the time
 * (test/stats/sequential-size.test.ts simulates both).
 */
import { nullVariance } from './farrington-manning.js';
import { normalCdf } from './special.js';

export interface SequentialDesign {
  /** Baseline rate. */
  baseline: number;
  /** The candidate's rate under the design's alternative. */
  candidate: number;
  /** The tested ratio of the rates: 1, or 1 ∓ margin for non-inferiority. */
  factor: number;
  /** Baseline requests per candidate request. */
  ratio: number;
  power: number;
  /** The log e-value that rejects (ln(1/alpha), plus ln 2 for a two-sided test). */
  need: number;
  /** The one-sided log e-value of a difference `diff` with the test's variance `variance`. */
  logE: (diff: number, variance: number) => number;
}

/**
 * Candidate requests, rounded up; infinite when the design has no effect to find or an impossible
 * rate (a 10% rise on a baseline of 95%).
 */
export function sequentialSampleSize(d: SequentialDesign): number {
  const delta = Math.abs(d.candidate - d.factor * d.baseline);
  const rate = (p: number) => p > 0 && p < 1;
  if (!(delta > 0 && d.ratio > 0 && rate(d.candidate) && rate(d.baseline))) return Number.POSITIVE_INFINITY;
  // Per candidate request: the variance the test assumes (its null variance, farrington-manning.ts,
  // at the expected counts of one candidate and `ratio` baseline requests), and the one Δ̂ has.
  const assumed = nullVariance(d.candidate, 1, d.ratio * d.baseline, d.ratio, d.factor);
  const actual =
    d.candidate * (1 - d.candidate) + (d.factor * d.factor * d.baseline * (1 - d.baseline)) / d.ratio;
  if (!(assumed > 0 && actual > 0)) return Number.POSITIVE_INFINITY;
  const power = (n: number) => {
    const v = assumed / n;
    const z = boundary((z) => d.logE(z * Math.sqrt(v), v) >= d.need);
    return normalCdf((delta - z * Math.sqrt(v)) / Math.sqrt(actual / n));
  };
  let low = 0;
  let high = 1;
  while (power(high) < d.power) {
    low = high;
    high *= 2;
    if (high > 1e12) return Number.POSITIVE_INFINITY;
  }
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (power(mid) >= d.power) high = mid;
    else low = mid;
  }
  return high;
}

/** The smallest z (to 1e-6) the test rejects at; the e-value grows with z. */
function boundary(rejects: (z: number) => boolean): number {
  let low = 0;
  let high = 1;
  while (!rejects(high)) {
    low = high;
    high *= 2;
    if (high > 1e6) return Number.POSITIVE_INFINITY;
  }
  while (high - low > 1e-6) {
    const mid = (low + high) / 2;
    if (rejects(mid)) high = mid;
    else low = mid;
  }
  return high;
}
