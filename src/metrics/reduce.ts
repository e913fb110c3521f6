import type { MetricsReducer } from '../config/types.js';

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

/** A request count: whole and never negative (backends extrapolate and round). */
export const requestCount = (n: number): number => Math.max(0, Math.round(n));

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
