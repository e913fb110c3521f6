/**
 * The count judge (errors, null predictions, timeouts, latency exceedances): given the requests
 * each arm served, which arm did each event come from? Under "the candidate's rate is at most
 * (1 + maxIncrease) × the baseline's", an event is the candidate's with probability at most
 *
 *   p0 = s (1 + δ) / (s (1 + δ) + 1 - s)        (s: candidate share of requests, δ: maxIncrease)
 *
 * whatever the overall level of traffic or of events. A shock that multiplies both arms' rates
 * (an upstream outage, a traffic burst) leaves p0 unchanged, so it cannot raise a false alarm.
 * Fail: the Beta-binomial mixture e-value for p > p0 reaches 1/alpha. Pass ("no regression beyond
 * tolerance", so a step may end early): the mixture for p < p0 reaches 1/alpha.
 * Lindon & Malek (NeurIPS 2022), two categories; see beta-binomial.ts.
 *
 * s is the share of requests each arm actually served in the window, never the configured split:
 * rates are per request (as Kayenta and Flagger compare them), and a candidate that gets 30% of the
 * requests at a configured 25% has 30% of the events when healthy. Judged against 25%, that would
 * be a regression (×1.29) that is not there; the `srm` gate is what reports the split itself.
 */
import {
  type BetaPrior,
  betaPriorAround,
  logMixtureEAbove,
  logMixtureEBelow,
  mixtureBounds,
  type PointTest,
  pointTest,
} from './beta-binomial.js';
import {
  type ArmSummary,
  eThreshold,
  inconclusive,
  isCount,
  type Judgment,
  type Verdict,
} from './judgment.js';

export const COUNTS_METHOD = 'sequential-binomial';

/** Prior spread: sd of the relative rate change the mixture expects, about ±100% (×1.2 to ×3 regressions). */
export const DEFAULT_SPREAD = 1;

export interface CountTestOptions {
  /** Candidate share of the requests (exposure), in (0, 1). */
  share: number;
  /** Tolerated relative increase of the candidate's event rate: 0.1 means 10%. */
  maxIncrease: number;
  alpha: number;
  spread?: number;
}

/** The fixed parts of a count test for one share and tolerance, for the looks at that share. */
export interface CountTest {
  p0: number;
  prior: BetaPrior;
  logThreshold: number;
  /** The verdict after x candidate events and y baseline events. */
  decide(x: number, y: number): Verdict;
  /** Its two halves: evidence of a regression beyond the tolerance, and evidence of none. */
  fails(x: number, y: number): boolean;
  passes(x: number, y: number): boolean;
}

export function countTest(o: CountTestOptions): CountTest {
  const s = o.share;
  const p0 = (s * (1 + o.maxIncrease)) / (s * (1 + o.maxIncrease) + 1 - s);
  const { prior, at } = pointTestAt(p0, o.spread ?? DEFAULT_SPREAD);
  return new ShareTest(p0, prior, eThreshold(o.alpha), at);
}

class ShareTest implements CountTest {
  constructor(
    readonly p0: number,
    readonly prior: BetaPrior,
    readonly logThreshold: number,
    private readonly at: PointTest,
  ) {}
  decide(x: number, y: number): Verdict {
    if (x + y === 0) return 'inconclusive';
    if (this.at.above(x, y, this.logThreshold)) return 'fail';
    if (this.at.below(x, y, this.logThreshold)) return 'pass';
    return 'inconclusive';
  }
  fails(x: number, y: number): boolean {
    return x + y > 0 && this.at.above(x, y, this.logThreshold);
  }
  passes(x: number, y: number): boolean {
    return x + y > 0 && this.at.below(x, y, this.logThreshold);
  }
}

/**
 * The point tests of the last few shares judged. The share is observed, so it changes from look
 * to look and a lasting cache would only churn; but within a look the gates counting the same
 * requests (errors, timeouts, slow requests) judge the same share, at their own alphas.
 */
const recent: { p0: number; spread: number; prior: BetaPrior; at: PointTest }[] = [];
function pointTestAt(p0: number, spread: number): { prior: BetaPrior; at: PointTest } {
  const hit = recent.find((r) => r.p0 === p0 && r.spread === spread);
  if (hit) return hit;
  const prior = betaPriorAround(p0, spread);
  const made = { p0, spread, prior, at: pointTest(prior, p0) };
  if (recent.unshift(made) > 4) recent.pop();
  return made;
}

/** Events and requests of one arm over the window judged. */
export interface ArmCounts {
  events: number;
  total: number;
}

export interface CountInput {
  canary: ArmCounts;
  baseline: ArmCounts;
  maxIncrease: number;
  alpha: number;
  spread?: number;
  /** The method name in the evidence (the latency judge reuses this one). */
  method?: string;
  /** How the note names the arms: their versions where the caller knows them. */
  names?: ArmNames;
}

/** The arms as a note names them: `v3`, `v1`. */
export interface ArmNames {
  candidate: string;
  baseline: string;
}

export const UNNAMED_ARMS: ArmNames = { candidate: 'the candidate', baseline: 'the baseline' };

/**
 * The candidate's share of the requests the arms served (their exposure), NaN without requests.
 *
 * Why judging against it keeps false alarms at alpha: the test conditions on the requests. Given
 * them, each event is the candidate's with probability sθ / (sθ + 1 − s), θ the rate ratio: the
 * classical conditional comparison of two Poisson rates with known exposures. The requests are
 * the exposure itself, not a noisy guess at a split, and say nothing about θ. Across looks the
 * mixture needs p0 to hold still; with the arms served at a steady share (a step's), the
 * cumulative share settles at the pace of the requests, which outnumber the events 20× (p95
 * exceedances) to 100× (a 1% error rate) and more, so it moves far less than the evidence does.
 * A share drifting within a step while a shock hits both arms' rates could tilt p slightly; the
 * benchmark (Poisson noise in the share, shared shocks) stays under alpha.
 */
export function observedShare(canaryRequests: number, baselineRequests: number): number {
  const all = canaryRequests + baselineRequests;
  return all > 0 ? canaryRequests / all : Number.NaN;
}

/** Candidate rate / baseline rate as a function of p, the candidate's share of events. */
const rateRatio = (p: number, s: number) =>
  p >= 1 ? Number.POSITIVE_INFINITY : (p * (1 - s)) / ((1 - p) * s);

export function judgeCounts(input: CountInput): Judgment {
  const method = input.method ?? COUNTS_METHOD;
  const { canary: c, baseline: b } = input;
  if (![c.events, c.total, b.events, b.total].every(isCount)) {
    return inconclusive(method, 'missing or invalid counts (NaN, negative or absent)');
  }
  const arms = summaries(c, b);
  if (c.events > c.total || b.events > b.total) {
    return inconclusive(method, 'more events than requests: the counts are inconsistent', arms);
  }
  const share = observedShare(c.total, b.total);
  if (!(share > 0 && share < 1)) {
    return inconclusive(method, 'no requests on one of the arms: the split is unknown', arms);
  }
  // No events in either arm is data, not its absence: nothing to compare yet, and nothing that
  // points to a regression (e-value 1), so a step's deadline passes it as no regression found. A
  // null-prediction or timeout gate of a healthy model often sees no event at all.
  if (c.events + b.events === 0) {
    const evidence = { ...arms, eValue: 1, interval: [0, Number.POSITIVE_INFINITY] as [number, number] };
    return inconclusive(method, 'no events in either arm yet: nothing points to a regression', evidence);
  }
  const test = countTest({ share, maxIncrease: input.maxIncrease, alpha: input.alpha, spread: input.spread });
  const verdict = test.decide(c.events, b.events);
  const [lo, hi] = mixtureBounds(c.events, b.events, test.prior, input.alpha);
  const eFail = Math.exp(logMixtureEAbove(c.events, b.events, test.prior, test.p0));
  const ePass = Math.exp(logMixtureEBelow(c.events, b.events, test.prior, test.p0));
  const effect = b.events > 0 ? c.events / c.total / (b.events / b.total) : undefined;
  const evidence = {
    method,
    ...(effect === undefined ? {} : { effect }),
    interval: [rateRatio(lo, share), rateRatio(hi, share)] as [number, number],
    eValue: verdict === 'pass' ? ePass : eFail,
    ...arms,
  };
  const names = input.names ?? UNNAMED_ARMS;
  const seen = `${percent(c.events / c.total)} on ${names.candidate} vs ${percent(b.events / b.total)} on ${names.baseline}`;
  const note = countNote(seen, verdict, {
    ...(effect === undefined ? {} : { effect }),
    interval: evidence.interval,
    maxIncrease: input.maxIncrease,
    eValue: evidence.eValue,
    alpha: input.alpha,
  });
  return { verdict, evidence, note };
}

function summaries(c: ArmCounts, b: ArmCounts): { canary: ArmSummary; baseline: ArmSummary } {
  const arm = (a: ArmCounts): ArmSummary => ({
    events: a.events,
    total: a.total,
    ...(a.total > 0 ? { value: a.events / a.total } : {}),
  });
  return { canary: arm(c), baseline: arm(b) };
}

/** What a count judgment's note needs beyond what each arm saw. */
export interface CountFigures {
  effect?: number;
  interval: [number, number];
  maxIncrease: number;
  eValue: number;
  alpha: number;
}

/**
 * A count judgment's note, for a reader who is no statistician: what each arm saw first (`seen`),
 * then how many times the baseline's rate that is, the end of its bounds that decided and the
 * tolerance, and last the evidence against its threshold:
 *   fail: `14.1% on v3 vs 0.24% on v1 (×58, at least ×6.9; tolerated ×1.1); e-value 2.49e+10 ≥ 40`
 *   pass: `no regression beyond ×1.1: 0.5% on v2 vs 0.49% on v1 (×1.02, at most ×1.08); e-value 45 ≥ 40`
 *   else: `0.51% on v2 vs 0.5% on v1 (×1.02, between ×0.51 and ×2.1; tolerated ×1.1); e-value 1.3 < 40`
 * An undecided look says no conclusion: the gate's standing (pending, or passed by a deadline) does.
 */
export function countNote(seen: string, verdict: Verdict, f: CountFigures): string {
  const tolerated = Math.round((1 + f.maxIncrease) * 1000) / 1000;
  const tolerance = `×${tolerated}`;
  const [lo, hi] = f.interval;
  const ratio = f.effect === undefined ? [] : [times(f.effect, 'nearest')];
  const bounds =
    verdict === 'fail'
      ? `at least ${boundApart(lo, 'down', tolerated)}`
      : verdict === 'pass'
        ? `at most ${boundApart(hi, 'up', tolerated)}`
        : Number.isFinite(hi)
          ? `between ${times(lo, 'down')} and ${times(hi, 'up')}`
          : `${times(lo, 'down')} or more`;
  const threshold = `e-value ${eValueText(f.eValue)} ${verdict === 'inconclusive' ? '<' : '≥'} ${fmt(1 / f.alpha)}`;
  if (verdict === 'pass')
    return `no regression beyond ${tolerance}: ${seen} (${[...ratio, bounds].join(', ')}); ${threshold}`;
  return `${seen} (${[...ratio, bounds].join(', ')}; tolerated ${tolerance}); ${threshold}`;
}

/**
 * The bound that decided, in as many more digits as tell it from the tolerance it cleared:
 * `at least ×1.1; tolerated ×1.1` would read as a failure within the tolerance (`×1.1004`).
 */
function boundApart(bound: number, direction: 'down' | 'up', tolerated: number): string {
  let text = times(bound, direction);
  for (let extra = 1; extra <= 4 && bound !== tolerated && Number(text.slice(1)) === tolerated; extra++)
    text = times(bound, direction, extra);
  return text;
}

/** A share of requests as a percentage in 3 significant digits: `14.1%`, `0.24%`. */
export const percent = (x: number) => (Number.isFinite(x) ? `${Number((100 * x).toPrecision(3))}%` : '–');

/**
 * A rate ratio as a reviewer reads it: `×58`, `×6.9`, `×0.24`, `×1.02` (3 digits from 1 to 2, where
 * tolerances lie); a bound rounded away from the estimate, so that `at least` never claims more.
 */
export function times(x: number, direction: 'nearest' | 'down' | 'up', extraDigits = 0): string {
  if (!Number.isFinite(x)) return x > 0 ? '×∞' : '×–';
  if (x <= 0) return '×0';
  const digits = (x >= 1 && x < 2 ? 3 : 2) + extraDigits;
  const step = 10 ** (Math.floor(Math.log10(x)) - digits + 1);
  // The nudge keeps a value that is a whole number of steps (6.9) from flooring to the one below.
  const steps = x / step;
  const n =
    direction === 'down'
      ? Math.floor(steps + 1e-9)
      : direction === 'up'
        ? Math.ceil(steps - 1e-9)
        : Math.round(steps);
  const r = Number((n * step).toPrecision(digits));
  return `×${r >= 1e5 ? r.toExponential(1) : String(r)}`;
}

/** A number in 3 significant digits for notes; ∞ and – for the edge cases. */
export function fmt(x: number | undefined): string {
  if (x === undefined || Number.isNaN(x)) return '–';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  if (x !== 0 && (Math.abs(x) >= 1e5 || Math.abs(x) < 1e-3)) return x.toExponential(2);
  return String(Number(x.toPrecision(3)));
}

/** Past this an e-value says nothing more to a reader: it reads `>10¹²`, not 1e+308 or ∞. */
export const E_VALUE_SHOWN_UP_TO = 1e12;

/**
 * An e-value as a reviewer reads it: `45`, `2.49e+10`, and `>10¹²` beyond a trillion (the judge's
 * exp() overflows to ∞ on a clear regression over 10,000 requests, and 1e+308 would read as a
 * measurement); without a space, so that it reads as one figure before `≥ 40`. NaN: `–`.
 */
export function eValueText(x: number): string {
  return x > E_VALUE_SHOWN_UP_TO ? '>10¹²' : fmt(x);
}
