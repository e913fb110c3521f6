import type { MetricsReducer } from '../config/types.js';
import { MetricsError } from '../core/errors.js';

/** One sample of a time series. */
export interface Point {
  /** Epoch ms. */
  at: number;
  value: number;
}

/** NaN, infinities and anything that is not a number are missing data, never a value. */
export function finiteOrUndefined(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** A series down to one number over the window; undefined when it has no finite point. */
export function reducePoints(points: Point[], reducer: MetricsReducer): number | undefined {
  const values = [...points]
    .filter((p) => Number.isFinite(p.value))
    .sort((a, b) => a.at - b.at)
    .map((p) => p.value);
  if (values.length === 0) return undefined;
  switch (reducer) {
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'avg':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'min':
      return Math.min(...values);
    case 'max':
      return Math.max(...values);
    case 'last':
      return values.at(-1);
  }
}

/** Which count query a number came from, as a message names it. */
export interface CountOrigin {
  /** `prometheus: the count query`: the source and countQueryName's name for the query. */
  named: string;
  /** The query as showQuery shows it. */
  shownQuery: string;
  /** How to count with this backend; NEGATIVE_COUNT_ADVICE when absent. */
  advice?: string;
  /** How to write a count instead of a rate with this backend; FRACTION_ADVICE when absent. */
  fractionAdvice?: string;
}

/** What to do about a negative count, whatever the backend. */
export const NEGATIVE_COUNT_ADVICE =
  'count with increase() over a counter (or a sum of counts), not delta() or a difference of two counts';

/** What to do about a count below one event, whatever the backend. */
export const FRACTION_ADVICE = 'use a sum/count query: the number of events in the window';

/**
 * A count that cannot be one: below zero (a subtraction, delta() over a counter reset), or more
 * than none but less than one event (a rate, a ratio or an average read as a count).
 */
export class InvalidCountError extends MetricsError {}

/**
 * A request or event count: whole (backends extrapolate, so -0.4 is still 0 and 180.6 is 181).
 * A negative count is a broken query (`total - ok`, delta() across a counter reset), never 0
 * events: read as 0 it passed a candidate whose errors query had broken. A count above 0 and
 * below 1 is a rate, a ratio or an average (`stats.error_rate`, `"Stat": "Average"`): rounded, a
 * 3% error rate read as 0 errors and passed a tenfold regression. No real count is there:
 * increase() only stretches a counter's whole increase to the window's edges (so it is 0 or at
 * least 1), and CloudWatch's Sum and Datadog's as_count() of whole counts are whole. The errors
 * name the query when `origin` does.
 */
export function requestCount(n: number, origin?: CountOrigin): number {
  const named = origin?.named ?? 'a count query';
  const query = origin ? `: ${origin.shownQuery}` : '';
  if (n > 0 && n < 1) {
    throw new InvalidCountError(
      `${named} returned ${Number(n.toPrecision(3))}, which is not a count: is it a rate, a ratio or an average? ${origin?.fractionAdvice ?? FRACTION_ADVICE}${query}`,
    );
  }
  const whole = Math.round(n);
  if (whole >= 0) return whole + 0; // -0 from Math.round(-0.4) reads as 0
  const shown = Math.round(n * 1000) / 1000;
  throw new InvalidCountError(
    `${named} returned ${shown}, and a count is never negative: ${origin?.advice ?? NEGATIVE_COUNT_ADVICE}${query}`,
  );
}

/** A count query naming the source's own request count. */
export const REQUESTS_QUERY = 'requests';

/**
 * A gate's count query, with `requests` (a ratio gate's default `total`) meaning the source's own
 * request-count query, so `total` needs writing only when it counts something else.
 */
export const countQuery = (query: string, requestsQuery: string): string =>
  query === REQUESTS_QUERY ? requestsQuery : query;

/** How messages name a count query. */
export const countQueryName = (query: string): string =>
  query === REQUESTS_QUERY ? 'the requests query' : 'the count query';
