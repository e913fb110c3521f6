import type { Evidence } from '../release/types.js';

export type Verdict = 'pass' | 'fail' | 'inconclusive';

/** What one arm contributed to a judgment. */
export interface ArmSummary {
  /** Events counted (errors, nulls, conversions, exceedances), when the judge counts events. */
  events?: number;
  /** Requests (or samples) the events came from. */
  total: number;
  /** The arm's value in the gate's own unit: a rate, a quantile in ms, a mean. */
  value?: number;
}

/** `Evidence` (method, effect, interval, e-value, p-value) plus what each arm contributed. */
export interface JudgeEvidence extends Evidence {
  canary?: ArmSummary;
  baseline?: ArmSummary;
}

/** Every judge answers the same way: a verdict, the evidence behind it, and why in words. */
export interface Judgment {
  verdict: Verdict;
  evidence: JudgeEvidence;
  note: string;
}

/** A number that can be judged: finite, and not negative for counts. */
export const isCount = (x: number | undefined): x is number =>
  x !== undefined && Number.isFinite(x) && x >= 0;

export function inconclusive(method: string, note: string, extra: Partial<JudgeEvidence> = {}): Judgment {
  return { verdict: 'inconclusive', evidence: { method, ...extra }, note };
}

/** Ville's inequality: an e-value of at least 1/alpha rejects at level alpha, at any stopping time. */
export const eThreshold = (alpha: number): number => Math.log(1 / alpha);
