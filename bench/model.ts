/**
 * The simulated service and the scenarios of the judges' benchmark (issue 4): Poisson arrivals
 * at 100 requests/s with a daily cycle, traffic bursts and shocks shared by both arms, a
 * canary share of 1%, 5% or 25%, and one regression per scenario.
 */
import { normalCdf, normalQuantile } from '../src/stats/special.js';

export const TICK_SECONDS = 5; // how often "ours" looks (a poll)
export const TICKS_PER_MINUTE = 60 / TICK_SECONDS;
export const HORIZON_MINUTES = 60; // the longest a step lasts
export const TICKS = HORIZON_MINUTES * TICKS_PER_MINUTE;
export const BASE_RPS = 100;
export const SHARES = [0.01, 0.05, 0.25] as const;
/** Minutes of stable-only traffic before the step: where the latency judge reads the baseline quantile. */
export const REFERENCE_MINUTES = 10;

export const LEVELS = {
  errorRate: 0.01,
  /** Of the answered requests. */
  nullRate: 0.005,
  conversion: 0.05,
  latencyMedianMs: 40,
  latencySigma: 0.4,
};

/** A daily cycle of ±30% around 100 req/s, at a random time of day. */
export const DAILY_AMPLITUDE = 0.3;
/** Bursts: each minute one starts with this probability, lasts 1-3 minutes, doubles the traffic. */
export const BURST = { perMinute: 1 / 30, factor: 2 };
/** Shocks shared by both arms: about one an hour, 2-6 minutes long. */
export const SHOCK = { perMinute: 1 / 60, error: 3, null: 2, latency: 1.3, conversion: 0.85 };

export type GateName = 'errors' | 'nulls' | 'p95' | 'p99' | 'conversion';
export const GATES: readonly GateName[] = ['errors', 'nulls', 'p95', 'p99', 'conversion'];

/** What the candidate does differently. */
export interface Effect {
  error?: number;
  null?: number;
  /** Every latency × this (p95 +25%: 1.25). */
  latencyScale?: number;
  /** A tail-only slowdown: this share of the candidate's requests take `addMs` longer. */
  tail?: { share: number; addMs: number };
  conversion?: number;
  /** The candidate's real share of traffic relative to the configured one (a sample ratio mismatch). */
  splitFactor?: number;
}

export interface Scenario {
  id: string;
  label: string;
  effect: Effect;
  /** The gates judged; the first is the one whose failure counts as detection. */
  gates: readonly GateName[];
  kind: 'null' | 'regression' | 'srm';
}

export const SCENARIOS: readonly Scenario[] = [
  { id: 'null', label: 'no regression', effect: {}, gates: GATES, kind: 'null' },
  {
    id: 'errors-1.2',
    label: 'errors 1% ×1.2',
    effect: { error: 1.2 },
    gates: ['errors'],
    kind: 'regression',
  },
  {
    id: 'errors-1.5',
    label: 'errors 1% ×1.5',
    effect: { error: 1.5 },
    gates: ['errors'],
    kind: 'regression',
  },
  { id: 'errors-2', label: 'errors 1% ×2', effect: { error: 2 }, gates: ['errors'], kind: 'regression' },
  { id: 'errors-3', label: 'errors 1% ×3', effect: { error: 3 }, gates: ['errors'], kind: 'regression' },
  {
    id: 'p95-10',
    label: 'p95 latency +10%',
    effect: { latencyScale: 1.1 },
    gates: ['p95'],
    kind: 'regression',
  },
  {
    id: 'p95-25',
    label: 'p95 latency +25%',
    effect: { latencyScale: 1.25 },
    gates: ['p95'],
    kind: 'regression',
  },
  {
    id: 'tail',
    label: 'tail-only slowdown (1% of requests +300 ms)',
    effect: { tail: { share: 0.01, addMs: 300 } },
    gates: ['p99'],
    kind: 'regression',
  },
  {
    id: 'nulls-2',
    label: 'null predictions 0.5% → 1%',
    effect: { null: 2 },
    gates: ['nulls'],
    kind: 'regression',
  },
  {
    id: 'conversion-5',
    label: 'conversion −5%',
    effect: { conversion: 0.95 },
    gates: ['conversion'],
    kind: 'regression',
  },
  {
    id: 'conversion-10',
    label: 'conversion −10%',
    effect: { conversion: 0.9 },
    gates: ['conversion'],
    kind: 'regression',
  },
  {
    id: 'srm',
    label: 'sample ratio mismatch (share ×0.9)',
    effect: { splitFactor: 0.9 },
    gates: GATES,
    kind: 'srm',
  },
];

/** Latency histogram bounds (ms): coarse below 55 ms and in the far tail, Prometheus native-histogram schema 4 (×2^(1/16)) around p90-p99.9. */
export const BOUNDS: readonly number[] = [
  10,
  20,
  30,
  40,
  50,
  ...Array.from({ length: 24 }, (_, i) => Math.round(2 ** ((93 + i) / 16) * 100) / 100),
  175,
  200,
  250,
  300,
  350,
  400,
  450,
  500,
  750,
  1000,
];
/** Buckets: one per bound and the +Inf one. */
export const BUCKETS = BOUNDS.length + 1;

/** P(latency ≤ b) for a latency m (c X + T): X lognormal, T = addMs for a `tail` share of requests. */
export function latencyCdf(b: number, scale = 1, tail?: Effect['tail'], shock = 1): number {
  const mu = Math.log(LEVELS.latencyMedianMs);
  const base = (x: number) => (x <= 0 ? 0 : normalCdf((Math.log(x) - mu) / LEVELS.latencySigma));
  const w = tail?.share ?? 0;
  const body = base(b / (shock * scale));
  const slow = tail ? base((b / shock - tail.addMs) / scale) : 0;
  return (1 - w) * body + w * slow;
}

/** Probabilities of the buckets for one arm in one state. */
export function bucketProbabilities(scale = 1, tail?: Effect['tail'], shock = 1): Float64Array {
  const p = new Float64Array(BUCKETS);
  let prev = 0;
  BOUNDS.forEach((b, i) => {
    const c = latencyCdf(b, scale, tail, shock);
    p[i] = c - prev;
    prev = c;
  });
  p[BUCKETS - 1] = 1 - prev;
  return p;
}

/** The healthy service's latency quantile (ms). */
export const normalQuantileMs = (q: number) =>
  LEVELS.latencyMedianMs * Math.exp(LEVELS.latencySigma * normalQuantile(q));

/** P(latency > x) for a candidate with the given effect, in the absence of shocks. */
export const exceedance = (x: number, effect: Effect = {}) =>
  1 - latencyCdf(x, effect.latencyScale ?? 1, effect.tail);
