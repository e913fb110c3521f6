/**
 * Fixed-horizon two-proportion tests: the sample size for a stated power and the one-look
 * z-test. Used for the sample size the conversion judge reports and by the benchmark's
 * fixed-horizon method; valid only when looked at once, at the planned size.
 */
import { normalQuantile, normalSf } from './special.js';

export interface SampleSizeInput {
  /** Baseline rate, e.g. 0.01. */
  baseline: number;
  /** The candidate's rate under the alternative to detect, e.g. 0.02. */
  candidate: number;
  /** Tolerated relative change in the tested direction (a non-inferiority margin); default 0. */
  margin?: number;
  alpha: number;
  power: number;
  /** Baseline requests per candidate request (the allocation ratio), e.g. 99 at a 1% share. */
  ratio: number;
  sided?: 1 | 2;
}

/**
 * Candidate requests needed so a one-look z-test of "candidate rate ≤ (1 + margin) × baseline"
 * (or ≥ (1 − margin) × baseline for a decrease) rejects with the stated power
 * (Chow, Shao & Wang, Sample Size Calculations in Clinical Research, §4.2, unpooled variance).
 */
export function sampleSizeTwoProportions(o: SampleSizeInput): number {
  const increase = o.candidate >= o.baseline;
  const factor = increase ? 1 + (o.margin ?? 0) : 1 - (o.margin ?? 0);
  const delta = o.candidate - factor * o.baseline;
  if ((increase && delta <= 0) || (!increase && delta >= 0)) return Number.POSITIVE_INFINITY;
  const variance =
    o.candidate * (1 - o.candidate) + (factor * factor * o.baseline * (1 - o.baseline)) / o.ratio;
  return sizeFor(o, variance, delta);
}

export interface NonInferiorityInput extends Omit<SampleSizeInput, 'candidate' | 'margin'> {
  margin: number;
  /** The change the margin bounds: `decrease` (the default) tolerates a drop of `margin`. */
  regression?: 'increase' | 'decrease';
}

/**
 * Candidate requests a one-look z-test needs to show non-inferiority ("candidate rate ≥
 * (1 − margin) × baseline", or ≤ (1 + margin) × baseline when an increase is the regression)
 * with the stated power when the two rates are in fact equal (Chow, Shao & Wang, §4.2).
 */
export function sampleSizeNonInferiority(o: NonInferiorityInput): number {
  const factor = o.regression === 'increase' ? 1 + o.margin : 1 - o.margin;
  const p = o.baseline;
  return sizeFor(o, p * (1 - p) + (factor * factor * p * (1 - p)) / o.ratio, p - factor * p);
}

/** (z_α + z_β)² V / Δ², rounded up; infinite when there is no difference to detect. */
function sizeFor(
  o: { alpha: number; power: number; sided?: 1 | 2 },
  variance: number,
  delta: number,
): number {
  if (delta === 0) return Number.POSITIVE_INFINITY;
  const za = normalQuantile(1 - o.alpha / (o.sided ?? 1));
  const zb = normalQuantile(o.power);
  return Math.ceil(((za + zb) ** 2 * variance) / (delta * delta));
}

export interface ZTestResult {
  z: number;
  pValue: number;
}

/**
 * One-sided Wald z-test of "candidate rate ≤ factor × baseline rate" (factor = 1 + margin):
 * z = (p̂c − factor p̂b) / √(p̂c(1−p̂c)/nc + factor² p̂b(1−p̂b)/nb); pass `factor` < 1 and
 * `direction: 'decrease'` to test a drop instead.
 */
export function zTestProportions(
  canary: { events: number; total: number },
  baseline: { events: number; total: number },
  factor = 1,
  direction: 'increase' | 'decrease' = 'increase',
): ZTestResult {
  const pc = canary.events / canary.total;
  const pb = baseline.events / baseline.total;
  const se = Math.sqrt((pc * (1 - pc)) / canary.total + (factor * factor * pb * (1 - pb)) / baseline.total);
  const diff = pc - factor * pb;
  const z = se > 0 ? diff / se : diff === 0 ? 0 : Math.sign(diff) * Number.POSITIVE_INFINITY;
  const signed = direction === 'increase' ? z : -z;
  return { z, pValue: normalSf(signed) };
}
