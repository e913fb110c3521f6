/**
 * Sample ratio mismatch: is the observed split of requests the configured one? Lindon & Malek
 * (NeurIPS 2022): the Dirichlet-multinomial Bayes factor against the multinomial with the
 * configured probabilities θ,
 *
 *   E = Γ(K) / Γ(K + n) · Π Γ(κθᵢ + xᵢ) / Γ(κθᵢ) / Π θᵢ^xᵢ        (K = κ Σθᵢ = κ)
 *
 * a martingale under the configured split, so a mismatch is flagged when E ≥ 1/alpha at any look.
 * A mismatch invalidates the analysis (the other gates' rates are computed on the wrong
 * exposure): it is reported as such, not as a regression. The split counts as verified (pass)
 * once every arm's confidence sequence on its share lies within ±maxMismatch of the configured one.
 */
import { betaPriorAround, cachedPointTest, mixtureBounds } from './beta-binomial.js';
import { eValueText, fmt } from './counts.js';
import { eThreshold, inconclusive, isCount, type Judgment, type Verdict } from './judgment.js';
import { logGamma } from './special.js';

export const SRM_METHOD = 'srm-dirichlet-multinomial';

/** Relative sd of the arm shares the mixture expects: mismatches around 10% are found fastest. */
export const DEFAULT_SRM_SPREAD = 0.1;

/** A share within ±10% (relative) of the configured one counts as the configured split. */
export const DEFAULT_MAX_MISMATCH = 0.1;

/** Concentration κ so that the smallest arm's share has relative sd `spread` under the prior. */
export function srmConcentration(expected: readonly number[], spread = DEFAULT_SRM_SPREAD): number {
  const min = Math.min(...expected);
  return Math.max((1 - min) / (spread * spread * min) - 1, 1e-6);
}

/** The last two-arm value computed: checks at several alphas ask for the same look. */
let last = { c: -1, b: -1, theta: -1, kappa: -1, value: 0 };

/** log E of the Dirichlet-multinomial mixture against the configured probabilities. */
export function logSrmE(observed: readonly number[], expected: readonly number[], kappa: number): number {
  if (observed.length === 2) {
    const [c, b] = observed as [number, number];
    const theta = expected[0] as number;
    if (last.c === c && last.b === b && last.theta === theta && last.kappa === kappa) return last.value;
    const value = computeSrmE(observed, expected, kappa);
    last = { c, b, theta, kappa, value };
    return value;
  }
  return computeSrmE(observed, expected, kappa);
}

function computeSrmE(observed: readonly number[], expected: readonly number[], kappa: number): number {
  const n = observed.reduce((a, b) => a + b, 0);
  let e = logGamma(kappa) - logGamma(kappa + n);
  observed.forEach((x, i) => {
    const theta = expected[i] as number;
    e += logGamma(kappa * theta + x) - logGamma(kappa * theta) - (x > 0 ? x * Math.log(theta) : 0);
  });
  return e;
}

/** The fixed parts of a split check, reused look after look. */
export interface SrmTest {
  kappa: number;
  /** `fail`: mismatch; `pass`: every arm's share verified within the tolerance; else `inconclusive`. */
  decide(observed: readonly number[]): Verdict;
  /** Its two halves: a mismatch is flagged; the split is verified within the tolerance. */
  mismatch(observed: readonly number[]): boolean;
  verified(observed: readonly number[]): boolean;
}

export function srmTest(
  expected: readonly number[],
  alpha: number,
  maxMismatch: number,
  spread?: number,
): SrmTest {
  const kappa = srmConcentration(expected, spread);
  const t = eThreshold(alpha);
  // Per-arm checks (arm vs the rest) at the tolerance's edges, alpha split across the arms.
  const tArm = eThreshold(alpha / expected.length);
  const arms = expected.map((theta) => {
    const prior = betaPriorAround(theta, spread ?? DEFAULT_SRM_SPREAD);
    const high = (1 + maxMismatch) * theta;
    return {
      low: cachedPointTest(prior, (1 - maxMismatch) * theta),
      high: high < 1 ? cachedPointTest(prior, high) : undefined,
    };
  });
  const mismatch = (observed: readonly number[]) =>
    observed.some((x) => x > 0) && logSrmE(observed, expected, kappa) >= t;
  const verified = (observed: readonly number[]) => {
    const n = observed.reduce((a, b) => a + b, 0);
    return (
      n > 0 &&
      arms.every((arm, i) => {
        const x = observed[i] as number;
        return arm.low.above(x, n - x, tArm) && (arm.high === undefined || arm.high.below(x, n - x, tArm));
      })
    );
  };
  return {
    kappa,
    decide: (observed) => (mismatch(observed) ? 'fail' : verified(observed) ? 'pass' : 'inconclusive'),
    mismatch,
    verified,
  };
}

export interface SrmInput {
  /** Units per arm, e.g. [canary, baseline]: requests, or users where they were split. */
  observed: number[];
  /** What `observed` counts, for the notes (plural); default "requests". */
  units?: string;
  /** Configured shares per arm (normalized here), e.g. [0.05, 0.95]. */
  expected: number[];
  alpha: number;
  /** Largest relative deviation of a share that still counts as the configured split; default 0.1. */
  maxMismatch?: number;
  spread?: number;
}

export function judgeSrm(input: SrmInput): Judgment {
  const method = SRM_METHOD;
  const { observed } = input;
  if (observed.length < 2 || observed.length !== input.expected.length || !observed.every(isCount)) {
    return inconclusive(method, 'missing or invalid request counts');
  }
  const sum = input.expected.reduce((a, b) => a + b, 0);
  if (!(sum > 0) || input.expected.some((w) => !(w > 0))) {
    return inconclusive(method, 'the configured split has an arm with no share');
  }
  const expected = input.expected.map((w) => w / sum);
  const n = observed.reduce((a, b) => a + b, 0);
  const canary = { total: n, events: observed[0] as number, value: n > 0 ? (observed[0] as number) / n : 0 };
  if (n === 0) return inconclusive(method, 'no requests yet');
  const tolerance = input.maxMismatch ?? DEFAULT_MAX_MISMATCH;
  const test = srmTest(expected, input.alpha, tolerance, input.spread);
  const logE = logSrmE(observed, expected, test.kappa);
  const verdict = test.decide(observed);
  // The candidate arm's share relative to the configured one, with the same per-arm alpha.
  const theta = expected[0] as number;
  const x = observed[0] as number;
  const [lo, hi] = mixtureBounds(
    x,
    n - x,
    betaPriorAround(theta, input.spread ?? DEFAULT_SRM_SPREAD),
    input.alpha / observed.length,
  );
  const first: [number, number] = [lo / theta, hi / theta];
  const eValue = Math.exp(logE);
  const observedShare = (observed[0] as number) / n;
  const configured = expected[0] as number;
  const split = `candidate share ${pct(observedShare)} of ${n} ${input.units ?? 'requests'}, configured ${pct(configured)}`;
  const note =
    verdict === 'fail'
      ? `sample ratio mismatch: ${split} (e-value ${eValueText(eValue)}); the analysis is invalid`
      : verdict === 'pass'
        ? `${split}: the split is as configured (within ±${pct(tolerance)})`
        : `${split}: split not yet verified (observed/configured ${fmt(first[0])}–${fmt(first[1])})`;
  return {
    verdict,
    evidence: {
      method,
      effect: observedShare / configured,
      interval: first,
      eValue,
      canary,
      baseline: { total: n, events: n - (observed[0] as number), value: 1 - observedShare },
    },
    note,
  };
}

const pct = (x: number) => `${Number((100 * x).toPrecision(3))}%`;
