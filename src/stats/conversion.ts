/**
 * The conversion judge (A/B outcomes): Johari, Koomen, Pekelis & Walsh, "Peeking at A/B Tests"
 * (KDD 2017), the mixture SPRT on the difference of two proportions with a normal mixture over
 * the effect. With Δ̂ = p̂c − f p̂b (f = 1 ∓ margin), V its variance and τ the mixture's scale,
 *
 *   Λ = √(V / (V + τ²)) · exp(τ² Δ̂² / (2V(V + τ²)))                         (two-sided)
 *   Λ₋ = 2 Λ · Φ(−Δ̂ τ / √(V(V + τ²)))   (mixture over negative effects only: one-sided)
 *
 * and 1/Λ is an always-valid p-value: reject when Λ ≥ 1/alpha, at any look. V is Δ̂'s binomial
 * variance under the tested null pc = f·pb (asymptotic validity, as in the paper): pooled without
 * a margin, at the rates restricted to the null with one (Farrington & Manning; the pooled one
 * understates a candidate at the margin when the baseline carries most of the traffic, and passed
 * it far more often than alpha; farrington-manning.ts). So at least 5 expected conversions per arm
 * are required before judging.
 *
 * The reported interval on the lift r = p̂c / p̂b − 1 inverts these same tests (f = 1 + r, the
 * verdict's level per side): the lifts none of them rejects. So a verdict that rejects at the
 * margin has an interval beyond it, and an undecided one has an interval that covers it.
 *
 * The note shows one sample size, the planned one (the evidence's `sampleSize`): the candidate
 * exposures at which this test has the design's power (`mde` and `power`, or `margin`;
 * sequential-size.ts), where an A/B still undecided ends. It is about twice what a fixed-horizon
 * test of the same design would need (fixed-horizon.ts); that figure is left out, since showing
 * two sizes for one A/B reads as a contradiction. Without a margin it is planned for the larger of
 * a rise and a drop of `mde`: the A/B passes only on a winner.
 */

import { type ArmNames, fmt, UNNAMED_ARMS } from './counts.js';
import { nullVariance } from './farrington-manning.js';
import { eThreshold, inconclusive, isCount, type Judgment, type Verdict } from './judgment.js';
import { sequentialSampleSize } from './sequential-size.js';
import { normalCdf } from './special.js';

export const CONVERSION_METHOD = 'msprt-two-proportions';

export interface ConversionInput {
  canary: { conversions: number; total: number };
  baseline: { conversions: number; total: number };
  /**
   * Which change is a regression: `decrease` (the default: the candidate converts worse),
   * `increase` (a rate where lower is better), or `either`: the two-sided test, each side at
   * alpha / 2, where a significant rise passes (a winner) and a significant drop fails.
   */
  direction?: 'decrease' | 'increase' | 'either';
  /**
   * Relative non-inferiority margin: 0.02 tolerates a 2% relative change in the regression
   * direction (a drop, or a rise for `increase`). Default 0: only a significant winner passes.
   */
  margin?: number;
  alpha: number;
  /** The mixture's scale relative to the baseline rate (τ = tau × p̂b); default 0.1. */
  tau?: number;
  /**
   * For the reported and planned sample sizes: the relative effect to detect without a margin
   * (default 0.1), and the power (0.8). With a margin, the size is the one that shows
   * non-inferiority.
   */
  mde?: number;
  power?: number;
  /** How the note names the arms: their versions where the caller knows them. */
  names?: ArmNames;
  /** What the counts are of, as the note names the planned sample (gates/conversion-unit.ts); `exposures` by default. */
  unit?: 'exposures' | 'users';
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

type Direction = 'decrease' | 'increase' | 'either';

export interface ConversionTestOptions {
  direction?: Direction;
  margin?: number;
  alpha: number;
  tau?: number;
}

type Side = 'less' | 'greater';

/**
 * One look's tests of "the lift is r" (p̂c = (1 + r) p̂b) for any r: the log e-value of the
 * mixture over effects below (`less`) or above (`greater`) it, on Δ̂ = p̂c − (1 + r) p̂b with its
 * variance under that null (farrington-manning.ts: pooled at r = 0, at the rates restricted to
 * pc = (1 + r) pb otherwise). The verdict tests the lifts at the margin; the interval is the set
 * of lifts these same tests do not reject.
 */
class LiftTests {
  private readonly pc: number;
  private readonly pb: number;
  /** The mixture's scale. */
  readonly tau: number;
  /** The observed lift p̂c / p̂b − 1. */
  readonly lift: number;

  constructor(
    private readonly xc: number,
    private readonly nc: number,
    private readonly xb: number,
    private readonly nb: number,
    tauScale = 0.1,
  ) {
    const pooled = (xc + xb) / (nc + nb);
    this.pc = xc / nc;
    this.pb = xb / nb;
    this.tau = tauScale * (this.pb > 0 ? this.pb : pooled);
    this.lift = this.pc / this.pb - 1;
  }

  logE(r: number, side: Side | 'two'): number {
    const factor = 1 + r;
    const variance = nullVariance(this.xc, this.nc, this.xb, this.nb, factor);
    const diff = this.pc - factor * this.pb;
    if (variance === 0) return certain(diff, side);
    return logMixtureNormal(diff, variance, this.tau, side);
  }
}

/**
 * A null with no variance (a lift of −100%: the candidate never converts) is refuted outright by
 * a difference on the tested side (a single conversion), and never by none: the limit of the test
 * as the variance goes to 0.
 */
function certain(diff: number, side: Side | 'two'): number {
  const refuted = side === 'two' ? diff !== 0 : side === 'less' ? diff < 0 : diff > 0;
  return refuted ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
}

/** Fewer than 5 expected conversions (or non-conversions) in an arm: too early for the normal approximation. */
export function tooFewConversions(xc: number, nc: number, xb: number, nb: number): boolean {
  const pooled = (xc + xb) / (nc + nb);
  return !(Math.min(nc, nb) * Math.min(pooled, 1 - pooled) >= 5);
}

/**
 * The lift a verdict tests, and the log e-value each side needs: `decrease` tests −margin (a
 * drop beyond it fails, a lift credibly above it passes: with no margin, a significant winner),
 * `increase` +margin (the mirror image). `either` is the two-sided test: it tests −margin as
 * `decrease` does, but each side at alpha / 2, so a change in either direction is found at alpha
 * overall; the side of the change decides (a rise passes, a drop fails).
 */
function tested(o: ConversionTestOptions) {
  const direction = o.direction ?? 'decrease';
  const margin = o.margin ?? 0;
  const need = eThreshold(o.alpha) + (direction === 'either' ? Math.LN2 : 0);
  return { direction, margin, need, lifts: [direction === 'increase' ? margin : -margin] };
}

/**
 * The decision of the conversion judge after xc of nc candidate and xb of nb baseline requests
 * converted, with the log e-value behind it. Fail: a change beyond the margin in the regression
 * direction; pass: credibly on the other side of the margin (with no margin, a significant winner).
 */
export function decideConversion(
  o: ConversionTestOptions,
  xc: number,
  nc: number,
  xb: number,
  nb: number,
): { verdict: Verdict; logE: number } {
  if (tooFewConversions(xc, nc, xb, nb)) return { verdict: 'inconclusive', logE: 0 };
  return decideLift(o, new LiftTests(xc, nc, xb, nb, o.tau));
}

function decideLift(o: ConversionTestOptions, at: LiftTests): { verdict: Verdict; logE: number } {
  const { direction, need, lifts } = tested(o);
  const r = lifts[0] as number;
  const harm: Side = direction === 'increase' ? 'greater' : 'less';
  const good: Side = direction === 'increase' ? 'less' : 'greater';
  // Undecided: the evidence against the margin, on the harmful side; two-sided, on the stronger
  // side (its p-value, 2 / e, is the two-sided one).
  const undecided = (worse: number) => ({
    verdict: 'inconclusive' as const,
    logE: direction === 'either' ? Math.max(worse, at.logE(r, good)) : worse,
  });
  // The two-sided mixture bounds each one-sided one by a factor 2: most looks stop here.
  if (at.logE(r, 'two') + Math.LN2 < need) return undecided(at.logE(r, harm));
  const worse = at.logE(r, harm);
  if (worse >= need) return { verdict: 'fail', logE: worse };
  const better = at.logE(r, good);
  if (better >= need) return { verdict: 'pass', logE: better };
  return undecided(worse);
}

/**
 * The lift's always-valid bounds: the lifts the verdict's own tests (same statistic, same
 * level) do not reject. The upper bound is where the `less` test starts to reject above the
 * observed lift, the lower where the `greater` test does below it. Each search passes through
 * the lifts the verdict tested first, so a bound is beyond a tested lift exactly when the test
 * there rejected: the interval and the verdict cannot disagree, even where the variance's growth
 * with (1 + r)² makes a far lift unrejected again. An unbounded side is ±Infinity.
 */
function liftBounds(o: ConversionTestOptions, at: LiftTests): [number, number] {
  const { need, lifts } = tested(o);
  const rejects = (side: Side) => (r: number) => at.logE(r, side) >= need;
  const up = [...lifts].filter((r) => r > at.lift).sort((a, b) => a - b);
  const down = [...lifts].filter((r) => r < at.lift).sort((a, b) => b - a);
  return [
    firstRejected(rejects('greater'), at.lift, down, -1),
    firstRejected(rejects('less'), at.lift, up, 1),
  ];
}

/**
 * From `start` (not rejected) in `direction`: the first of `lifts` the test rejects, refined to
 * where rejection begins after the previous unrejected one; past the last, the first rejected
 * lift found by doubling steps. Below −100% a lift is impossible: the lower search stops there.
 */
function firstRejected(
  rejected: (r: number) => boolean,
  start: number,
  lifts: number[],
  direction: 1 | -1,
): number {
  let clear = start;
  for (const r of lifts) {
    if (rejected(r)) return edge(rejected, clear, r);
    clear = r;
  }
  if (direction < 0 && clear > -1) return rejected(-1) ? edge(rejected, clear, -1) : -1;
  for (let step = 1e-3 * Math.max(1, Math.abs(clear)), i = 0; i < 80; i++, step *= 2) {
    const r = clear + direction * step;
    if (rejected(r)) return edge(rejected, clear, r);
    clear = r;
  }
  return direction * Number.POSITIVE_INFINITY;
}

/** Bisection between an unrejected lift and a rejected one; returns the rejected end. */
function edge(rejected: (r: number) => boolean, clear: number, hit: number): number {
  let a = clear;
  let b = hit;
  for (let i = 0; i < 200 && Math.abs(b - a) > 1e-12 * Math.max(1, Math.abs(b)); i++) {
    const mid = (a + b) / 2;
    if (mid === a || mid === b) break;
    if (rejected(mid)) b = mid;
    else a = mid;
  }
  return b;
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
  const design = { power: input.power ?? 0.8, ratio: b.total / c.total } as const;
  const at = new LiftTests(c.conversions, c.total, b.conversions, b.total, input.tau);
  const { verdict, logE } = decideLift(input, at);
  const { margin, need } = tested(input);
  // The planned size: with a margin, the size to show non-inferiority when nothing changed;
  // without, the size to detect a change of `mde`. It is this always-valid test's, about twice a
  // fixed-horizon test's: where an A/B ends undecided, since read at the fixed size it would have
  // well under the power.
  const sequential = (candidate: number, factor: number) =>
    sequentialSampleSize({
      baseline: pb,
      candidate,
      factor,
      ratio: design.ratio,
      power: design.power,
      need,
      logE: (diff, variance) => logMixtureNormal(diff, variance, at.tau, 'greater'),
    });
  // Without a margin the A/B passes only on a winner, a change the other way from the regression;
  // a rate further from ½ has less variance, so the smaller side's size would leave the other
  // short of the power (a 30% rise from 5% found 62% of the time by a drop's size). So the plan is
  // the larger side's, skipping an impossible rate.
  const mde = input.mde ?? 0.1;
  const planned = input.margin
    ? sequential(pb, direction === 'increase' ? 1 + input.margin : 1 - input.margin)
    : largest([pb * (1 + mde), pb * (1 - mde)].map((rate) => sequential(rate, 1)).filter(plannable));
  const lift = pb > 0 ? at.lift : undefined;
  const bounds = lift === undefined ? undefined : liftBounds(input, at);
  const interval = bounds?.every(Number.isFinite) ? bounds : undefined;
  const eValue = Math.exp(logE);
  // The e-value clears exp(need): 1/alpha on one side, 2/alpha for `either` (alpha/2 per side).
  const threshold = Math.exp(need);
  const evidence = {
    method,
    ...(lift === undefined ? {} : { effect: lift }),
    ...(interval ? { interval } : {}),
    eValue,
    pValue: Math.min(1, (direction === 'either' ? 2 : 1) / eValue),
    ...(plannable(planned) ? { sampleSize: planned } : {}),
    ...arms,
  };
  const names = input.names ?? UNNAMED_ARMS;
  const stats = `(lift ${lift === undefined ? '–' : signedPct(lift)}${bounds ? `; ${boundsText(bounds, direction, input.alpha)}` : ''})`;
  // The sample progress against the planned size: how far along an undecided test is (and its
  // power there), and how early a decided one stopped. None when no size could be planned.
  const share = plannedShareText(c.total, planned);
  const plan = `${thousands(planned)} planned candidate ${input.unit ?? 'exposures'}`;
  const progress = !plannable(planned)
    ? ''
    : verdict === 'inconclusive'
      ? `; ${thousands(c.total)} of ${plan} (${share}), where it has ${Math.round(100 * design.power)}% power`
      : `; decided at ${share} of the ${plan}`;
  const where = bounds && verdict !== 'inconclusive' ? `: ${placement(verdict, direction, margin)}` : '';
  // The plain verdict first, the statistics after. The e-value itself is left to the evidence the
  // report prints after the note (rows.ts describeEvidence): here it would read twice.
  const note =
    verdict === 'inconclusive'
      ? `${NOT_YET_CONCLUSIVE} (needs more data; decides at an e-value of ${fmt(threshold)}): ${pct(pc)} on ${names.candidate} vs ${pct(pb)} on ${names.baseline} ${stats}${progress}`
      : `${outcome(verdict, direction, margin, names)}: ${pct(pc)} vs ${pct(pb)} ${stats}${where}${progress}`;
  return { verdict, evidence, note };
}

const NOT_YET_CONCLUSIVE = 'not yet conclusive';

/**
 * An undecided look's note without its live words (`not yet conclusive (needs more data; …): `):
 * what the arms showed, for a report of an A/B that ended at its planned sample, where more data
 * is no longer what it waits for. Any other note as it is.
 */
export const withoutNeedsMoreData = (note: string): string =>
  note.replace(new RegExp(`^${NOT_YET_CONCLUSIVE} \\(needs more data; [^)]*\\): `), '');

/**
 * A decided verdict in plain words, naming the arms. With no margin the test is for a significant
 * change: a winner passes, a change the other way is a drop (or, for `increase`, a rise) that
 * fails. `either` tests the margin as `decrease` does.
 */
function outcome(verdict: 'pass' | 'fail', direction: Direction, margin: number, names: ArmNames): string {
  const { candidate: c, baseline: b } = names;
  const lowerIsBetter = direction === 'increase';
  const worse = lowerIsBetter ? 'higher' : 'worse';
  if (margin > 0) {
    const beyond = `beyond the ${level(margin)} margin`;
    return verdict === 'pass'
      ? `${c} converts no ${worse} than ${b} ${beyond}`
      : `${c} converts ${worse} than ${b} ${beyond} (a regression)`;
  }
  if (verdict === 'pass')
    return `${c} converts ${lowerIsBetter ? 'lower' : 'better'} than ${b}, a significant winner${lowerIsBetter ? ' (lower is better)' : ''}`;
  return `${c} converts ${worse} than ${b}, a significant ${lowerIsBetter ? 'rise' : 'drop'} (a regression)`;
}

/**
 * What the interval is: with one regression direction each bound is one-sided at alpha (so the
 * pair covers at 1 − 2 alpha); with `either` each side is at alpha / 2 (1 − alpha).
 */
function boundsText(bounds: [number, number], direction: Direction, alpha: number): string {
  const range = `${liftPct(bounds[0])} to ${liftPct(bounds[1])}`;
  if (direction === 'either') return `${level(1 - alpha)} always-valid interval ${range}`;
  return `${level(1 - 2 * alpha)} always-valid interval ${range}, each bound ${level(1 - alpha)}`;
}

/** Where a decided interval lies against the margin (`either` tests it as `decrease` does). */
function placement(verdict: Verdict, direction: Direction, margin: number): string {
  const at = (r: number) => (r === 0 ? '0' : signedPct(r));
  const r = direction === 'increase' ? margin : -margin;
  const above = (verdict === 'fail') === (direction === 'increase');
  return `the interval lies ${above ? 'above' : 'below'} ${at(r)}`;
}

const largest = (sizes: number[]) => (sizes.length > 0 ? Math.max(...sizes) : Number.NaN);

/** A sample size a design can plan for: none when the design's rate is impossible or equal to the baseline. */
const plannable = (size: number) => Number.isFinite(size) && size > 0;

/** A count with thousands separators, as people read sizes: `827,067`. */
/**
 * The share of an A/B's planned sample reached, as every text of it says it (the look's note, the
 * release's waiting and capped lines): rounded down, so it never reads 100% before it is (`0.7%`,
 * `20%` for 20.55%, `<0.1%`); past the plan the share it is (`1,468%`), not a 100% that hides how far.
 */
export function plannedShareText(reached: number, planned: number): string {
  const pct = (100 * reached) / planned;
  if (pct > 0 && pct < 0.1) return '<0.1%';
  return pct < 10 ? `${Math.floor(pct * 10) / 10}%` : `${thousands(Math.floor(pct))}%`;
}

export const thousands = (n: number) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
/**
 * A relative lift as the notes write it: `+2.0%`, `-10.0%`. Rounded first: one that rounds to zero
 * reads `+0.0%`, as an equal one does, not `-0.0%` (30.00% vs 30.01%).
 */
export const signedPct = (x: number) => {
  const rounded = Number((100 * x).toFixed(1));
  return `${rounded >= 0 ? '+' : ''}${(rounded === 0 ? 0 : rounded).toFixed(1)}%`;
};
const liftPct = (x: number) => (Number.isFinite(x) ? signedPct(x) : x > 0 ? '+∞' : '−∞');
const level = (x: number) => `${Number((100 * x).toPrecision(4))}%`;
