/**
 * Kayenta's metric classifier (Netflix ACA judge, NetflixACAJudge / MannWhitneyClassifier) and
 * its weighted score, for users who want Kayenta's verdicts: a fixed-horizon Mann-Whitney
 * comparison of the two arms' metric series at confidence 0.98, the Hodges-Lehmann shift's
 * interval compared with ±tolerance × |shift|, an effect size (mean ratio or CLES) that must
 * also pass `allowedIncrease` / `allowedDecrease`, and a score = weighted share of passing
 * metrics, judged against the pass and marginal levels. Not anytime-valid: each judgment
 * is a new test, and repeated judgments inflate the false alarm rate.
 */
import { fmt } from './counts.js';
import { inconclusive, type Judgment } from './judgment.js';
import {
  hodgesLehmannSorted,
  mannWhitneySorted,
  mannWhitneyU,
  shiftQuantile,
  shiftRoot,
  sortedCopy,
} from './mann-whitney.js';

export const KAYENTA_METHOD = 'mann-whitney';
/** The confidence of Kayenta's judge (NetflixACAJudge), which the mann-whitney gate applies. */
export const KAYENTA_CONFIDENCE = 0.98;

export type Classification = 'Pass' | 'High' | 'Low' | 'Nodata' | 'NodataFailMetric';

export interface KayentaOptions {
  /** Which change is a failure; Kayenta's default is `either`. */
  direction?: 'increase' | 'decrease' | 'either';
  /** Confidence of the Hodges-Lehmann interval; default KAYENTA_CONFIDENCE (0.98), as Kayenta's judge. */
  confidence?: number;
  /** Fraction of |Hodges-Lehmann estimate| the interval must clear; Kayenta uses 0.25. */
  tolerance?: number;
  /** `meanRatio` (experiment mean / control mean) or `cles` (P(experiment > control)). */
  effectSize?: 'meanRatio' | 'cles';
  /** High only when the effect size is at least this (default 1 for meanRatio, 0.5 for CLES). */
  allowedIncrease?: number;
  /** Low only when the effect size is at most this. */
  allowedDecrease?: number;
  /** A critical metric that fails makes the whole judgment fail (score 0). */
  critical?: boolean;
  /** NaN values: `remove` them, or `replace` them with 0. */
  nanStrategy?: 'remove' | 'replace';
  /** Missing data fails the metric (NodataFailMetric) instead of leaving it out (Nodata). */
  dataRequired?: boolean;
  /**
   * `false`: classify only, skipping the interval's other end and the estimate when the first
   * end already rules a High / Low out (the benchmark's thousands of judgments). Default true.
   */
  explain?: boolean;
}

export interface MetricResult {
  classification: Classification;
  /** The effect size in the chosen measure (1 or 0.5 for no change). */
  effectSize: number;
  critical: boolean;
  estimate?: number;
  interval?: [number, number];
  pValue?: number;
  reason: string;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Common-language effect size P(experiment > control) + ½ P(equal): the U statistic over n₁n₂. */
export function cles(control: readonly number[], experiment: readonly number[]): number {
  return mannWhitneyU(experiment, control).u / (experiment.length * control.length);
}

export function classifyMetric(
  controlRaw: readonly number[],
  experimentRaw: readonly number[],
  o: KayentaOptions = {},
): MetricResult {
  const clean = (xs: readonly number[]) =>
    o.nanStrategy === 'replace' ? xs.map((x) => (Number.isFinite(x) ? x : 0)) : xs.filter(Number.isFinite);
  const control = clean(controlRaw);
  const experiment = clean(experimentRaw);
  const measure = o.effectSize ?? 'meanRatio';
  const neutral = measure === 'cles' ? 0.5 : 1;
  if (control.length === 0 || experiment.length === 0) {
    const failing = o.dataRequired === true;
    return {
      classification: failing ? 'NodataFailMetric' : 'Nodata',
      effectSize: neutral,
      critical: failing && o.critical === true,
      reason: 'no data for the canary or the baseline',
    };
  }
  const cs = sortedCopy(control);
  const es = sortedCopy(experiment);
  const identical = cs.length === es.length && cs.every((v, i) => v === es[i]);
  const oneValue = cs[0] === cs[cs.length - 1] && es[0] === es[es.length - 1] && cs[0] === es[0];
  if (identical || oneValue) {
    return {
      classification: 'Pass',
      effectSize: neutral,
      critical: false,
      reason: 'the canary and baseline data are identical',
    };
  }
  const mw = mannWhitneySorted(es, cs);
  const effectSize =
    measure === 'cles' ? mw.u / (experiment.length * control.length) : mean(experiment) / mean(control);
  const direction = o.direction ?? 'either';
  if (o.explain === false) {
    // A High needs the interval's lower end above tolerance × |shift| ≥ 0, a Low its upper end below 0.
    const zq = shiftQuantile(o.confidence ?? KAYENTA_CONFIDENCE);
    const lower = direction === 'decrease' ? Number.NEGATIVE_INFINITY : shiftRoot(es, cs, zq);
    const upper = direction === 'increase' ? Number.POSITIVE_INFINITY : shiftRoot(es, cs, -zq);
    if (lower === undefined || upper === undefined || (!(lower > 0) && !(upper < 0))) {
      return {
        classification: 'Pass',
        effectSize,
        critical: false,
        pValue: mw.pValue,
        reason: 'within tolerance',
      };
    }
  }
  const shift = hodgesLehmannSorted(es, cs, o.confidence ?? KAYENTA_CONFIDENCE);
  const pValue = mw.pValue;
  if (!shift) {
    return { classification: 'Pass', effectSize, critical: false, pValue, reason: 'every value is tied' };
  }
  const bound = (o.tolerance ?? 0.25) * Math.abs(shift.estimate);
  const high =
    direction !== 'decrease' && shift.interval[0] > bound && effectSize >= (o.allowedIncrease ?? neutral);
  const low =
    direction !== 'increase' && shift.interval[1] < -bound && effectSize <= (o.allowedDecrease ?? neutral);
  const classification: Classification = high ? 'High' : low ? 'Low' : 'Pass';
  const range = `shift ${fmt(shift.estimate)} (${fmt(shift.interval[0])} to ${fmt(shift.interval[1])}), ${measure} ${fmt(effectSize)}`;
  return {
    classification,
    effectSize,
    critical: classification !== 'Pass' && o.critical === true,
    estimate: shift.estimate,
    interval: shift.interval,
    pValue,
    reason:
      classification === 'Pass' ? `within tolerance: ${range}` : `classified ${classification}: ${range}`,
  };
}

export interface ScoredMetric {
  result: MetricResult;
  /** Group weights as in Kayenta's canary config; metrics without a group share what is left. */
  group?: string;
}

export interface ScoreOptions {
  /** Score at or above which the judgment passes; Kayenta's default is 95. */
  pass?: number;
  /** Score at or above which it is marginal; default 75. */
  marginal?: number;
  groupWeights?: Record<string, number>;
}

/**
 * Kayenta's WeightedSumScorer and ThresholdScoreClassifier: per group the share of Pass among
 * Pass/High/Low (NodataFailMetric counts as a failure here), groups weighted (unweighted groups
 * share what the weights leave of 100), and 0 when a critical metric did not pass.
 */
export function scoreMetrics(
  metrics: readonly ScoredMetric[],
  o: ScoreOptions = {},
): { score: number; classification: 'Pass' | 'Marginal' | 'Fail' } {
  const groups = new Map<string, Classification[]>();
  for (const m of metrics) {
    const g = m.group ?? 'default';
    groups.set(g, [...(groups.get(g) ?? []), m.result.classification]);
  }
  const weights = o.groupWeights ?? {};
  const weightSum = Object.values(weights).reduce((a, b) => a + b, 0);
  const unweighted = [...groups.keys()].filter((g) => weights[g] === undefined);
  const share = unweighted.length > 0 ? (100 - weightSum) / unweighted.length : 0;
  let score = 0;
  for (const [g, labels] of groups) {
    const judged = labels.filter((l) => l !== 'Nodata');
    if (judged.length === 0) continue;
    const passing = judged.filter((l) => l === 'Pass').length;
    score += ((100 * passing) / judged.length) * ((weights[g] ?? share) / 100);
  }
  if (metrics.some((m) => m.result.critical)) score = 0;
  const pass = o.pass ?? 95;
  const marginal = o.marginal ?? 75;
  return { score, classification: score >= pass ? 'Pass' : score >= marginal ? 'Marginal' : 'Fail' };
}

/** One metric judged the Kayenta way, as a gate verdict: High/Low in the failing direction fails. */
export function judgeMannWhitney(
  control: readonly number[],
  experiment: readonly number[],
  o: KayentaOptions & ScoreOptions = {},
): Judgment {
  const result = classifyMetric(control, experiment, o);
  const arms = {
    canary: { total: experiment.length, ...(experiment.length ? { value: mean(experiment) } : {}) },
    baseline: { total: control.length, ...(control.length ? { value: mean(control) } : {}) },
  };
  if (result.classification === 'Nodata') return inconclusive(KAYENTA_METHOD, result.reason, arms);
  const { score, classification } = scoreMetrics([{ result }], o);
  const verdict = classification === 'Pass' ? 'pass' : classification === 'Fail' ? 'fail' : 'inconclusive';
  return {
    verdict,
    evidence: {
      method: KAYENTA_METHOD,
      // The Hodges-Lehmann shift (canary minus baseline) and its interval; the effect size is in the note.
      ...(result.estimate === undefined ? {} : { effect: result.estimate }),
      ...(result.interval ? { interval: result.interval } : {}),
      ...(result.pValue === undefined ? {} : { pValue: result.pValue }),
      ...arms,
    },
    note: `score ${Math.round(score)}: ${result.reason}`,
  };
}
