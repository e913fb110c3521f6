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
}

/** What to do about a negative count, whatever the backend. */
export const NEGATIVE_COUNT_ADVICE =
  'count with increase() over a counter (or a sum of counts), not delta() or a difference of two counts';

/** A count that cannot be one: below zero (a subtraction, delta() over a counter reset). */
export class NegativeCountError extends MetricsError {}

/**
 * A request or event count: whole (backends extrapolate, so -0.4 is still 0). A negative count is
 * a broken query (`total - ok`, delta() across a counter reset), never 0 events: read as 0 it
 * passed a candidate whose errors query had broken. The error names the query when `origin` does.
 */
export function requestCount(n: number, origin?: CountOrigin): number {
  const whole = Math.round(n);
  if (whole >= 0) return whole + 0; // -0 from Math.round(-0.4) reads as 0
  const shown = Math.round(n * 1000) / 1000;
  const named = origin?.named ?? 'a count query';
  const query = origin ? `: ${origin.shownQuery}` : '';
  throw new NegativeCountError(
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
