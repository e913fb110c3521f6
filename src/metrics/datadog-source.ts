/**
 * Metrics from Datadog's metrics query API, v1.
 *
 * Contract, from Datadog's API reference "Query timeseries points"
 * (https://docs.datadoghq.com/api/latest/metrics/#query-timeseries-points) and "Authentication"
 * (https://docs.datadoghq.com/api/latest/authentication/):
 * - `GET https://api.<site>/api/v1/query?from=<unix s>&to=<unix s>&query=<query>`, all three
 *   required; headers `DD-API-KEY` and `DD-APPLICATION-KEY` (reading data needs both; the
 *   application key needs the `timeseries_query` scope).
 * - 200: `{"status": "ok" | "error", "res_type": "time_series", "series": [{"metric",
 *   "scope", "expression", "pointlist": [[<unix ms>, <value or null>], ...], ...}],
 *   "from_date", "to_date", "query", "error"}`.
 * - 400 / 403 / 429: `{"errors": ["..."]}`; 429 carries `X-RateLimit-Reset`, the seconds until
 *   the limit resets, and `X-RateLimit-Name` ("Rate Limits", https://docs.datadoghq.com/api/latest/rate-limits/).
 * Counts, from "Metric Type Modifiers" (https://docs.datadoghq.com/metrics/custom_metrics/type_modifiers/):
 * `.as_count()` sets the time aggregator to SUM, so each point is the count of its rollup
 * interval and the points of the window add up to the window's count.
 */
import { z } from 'zod';
import type { DatadogMetricsConfig } from '../config/types.js';
import { apiUrl } from '../core/api-url.js';
import { MetricsError } from '../core/errors.js';
import { type FetchedJson, fetchJsonAfterRateLimit, rateLimited, resetInMs } from './fetch-json.js';
import { matchedNothing } from './matched-nothing.js';
import { passingStatus } from './passing-fault.js';
import { countQuery, countQueryName, type Point, reducePoints, requestCount } from './reduce.js';
import { RefusedCredentialsError } from './refused-credentials.js';
import { showQuery, snippet } from './show-query.js';
import type { MetricSource, MetricWindow } from './source.js';
import { type Escaper, plainToken, renderTemplate, templateValues } from './template.js';

const answer = z.object({
  status: z.string().optional(),
  error: z.string().optional(),
  series: z
    .array(
      z.object({
        pointlist: z
          .array(z.tuple([z.number(), z.number().nullable()]))
          .nullable()
          .optional(),
      }),
    )
    .optional(),
});
const errorsBody = z.object({ errors: z.array(z.string()) });

/** Tag values are bare in Datadog queries (`{model:fraud,slot:canary}`): plain tokens only. */
export const escapeDatadog: Escaper = (value, _quote, variable) => plainToken(value, variable);

export function renderDatadog(template: string, w: MetricWindow): string {
  return renderTemplate(template, templateValues(w), { quotes: {} }, escapeDatadog);
}

export function datadogSource(config: DatadogMetricsConfig): MetricSource {
  /** The points of each series the query returns within the window asked for. */
  async function query(template: string, w: MetricWindow): Promise<{ query: string; series: Point[][] }> {
    const q = renderDatadog(template, w);
    const from = Math.floor(w.since / 1000);
    const to = Math.ceil(w.until / 1000);
    const res = await fetchJsonAfterRateLimit(
      {
        source: 'datadog',
        // A proxy's url may carry its own path and query string (apiUrl keeps both).
        url: apiUrl(config.url, '/api/v1/query', { from: String(from), to: String(to), query: q }),
        headers: { 'DD-API-KEY': config.apiKey, 'DD-APPLICATION-KEY': config.applicationKey },
        timeoutMs: config.timeoutMs,
      },
      'x-ratelimit-reset',
    );
    if (res.status !== 200) throw httpError(res, q);
    const parsed = answer.safeParse(res.body);
    if (!parsed.success) {
      throw new MetricsError(
        `datadog: unexpected answer (${snippet(res.text, 120) || 'empty'}): ${showQuery(q)}`,
      );
    }
    if (parsed.data.status !== undefined && parsed.data.status !== 'ok') {
      throw new MetricsError(
        `datadog: query failed (${parsed.data.error ?? parsed.data.status}): ${showQuery(q)}`,
      );
    }
    // A point stamped outside [from, to) (a rollup bucket begun before the window, a proxy's
    // cache of a wider query) counts traffic that is not the window's: summed, a previous
    // phase's events became this one's. Datadog answers points up to `to` included; the one
    // stamped at `to` is the bucket that begins as the window ends, the next window's.
    const inWindow = (at: number) => at >= from * 1000 && at < to * 1000;
    const series = (parsed.data.series ?? []).map((s) =>
      (s.pointlist ?? []).flatMap(([at, value]) => (value === null || !inWindow(at) ? [] : [{ at, value }])),
    );
    return { query: q, series };
  }

  /** The points of the one series a query returns; several (a `by {...}`) are a wrong query. */
  async function oneSeries(
    template: string,
    w: MetricWindow,
    what: string,
  ): Promise<{ query: string; points: Point[] | undefined }> {
    const { query: q, series } = await query(template, w);
    if (series.length > 1) {
      throw new MetricsError(
        `datadog: ${what} returned ${series.length} series, expected one; aggregate it (sum:...) without "by {...}": ${showQuery(q)}`,
      );
    }
    return { query: q, points: series[0] };
  }

  /**
   * A count over the window: the points summed (with `.as_count()` each is its interval's count).
   * No series, or only null points, is no data, not 0: a misspelt metric or tag matches nothing.
   */
  async function count(template: string, w: MetricWindow, what: string): Promise<number> {
    const { query: q, points } = await oneSeries(template, w, what);
    const total = reducePoints(points ?? [], 'sum');
    if (total === undefined) {
      const advice =
        what === 'the requests query'
          ? 'check its metric name and tags (metrics.requests)'
          : 'check its metric name and tags; if zero is meant, write default_zero(…)';
      throw matchedNothing('datadog', what, w, advice, showQuery(q));
    }
    return requestCount(total, {
      named: `datadog: ${what}`,
      shownQuery: showQuery(q),
      fractionAdvice: 'count with sum:<metric>{...}.as_count()',
    });
  }

  return {
    async value(template, w) {
      const { points } = await oneSeries(template, w, 'the query');
      return points ? reducePoints(points, config.reducer) : undefined;
    },
    requests(w) {
      return count(config.requests, w, 'the requests query');
    },
    count(template, w) {
      return count(countQuery(template, config.requests), w, countQueryName(template));
    },
  };
}

function httpError(res: FetchedJson, query: string): MetricsError {
  const parsed = errorsBody.safeParse(res.body);
  const reason = parsed.success ? parsed.data.errors.join('; ') : snippet(res.text, 120) || 'no details';
  switch (res.status) {
    case 400:
      return new MetricsError(`datadog: bad query (${reason}): ${showQuery(query)}`);
    case 401:
    case 403:
      return new RefusedCredentialsError(
        `datadog: HTTP ${res.status} (${reason}); the server refused the credentials: check api-key and application-key in metrics, and that the application key may read timeseries (timeseries_query)`,
        `HTTP ${res.status}`,
      );
    case 429: {
      const waitMs = resetInMs(res, 'x-ratelimit-reset', Date.now());
      const advice = `lengthen the strategy's interval, or ask Datadog support to raise the limit${limitName(res)}`;
      return waitMs === undefined
        ? new MetricsError(`datadog: rate limited (HTTP 429); ${advice}`, { passing: true })
        : rateLimited(
            'datadog',
            waitMs,
            `; this look is not counted against consecutive-error-limit until then; if it keeps happening, ${advice}`,
          );
    }
    default:
      return new MetricsError(`datadog: HTTP ${res.status} (${reason}): ${showQuery(query)}`, {
        passing: passingStatus(res.status),
      });
  }
}

/** ` (X-RateLimit-Name: batch_query)`: which of Datadog's limits a raise is asked for. */
function limitName(res: FetchedJson): string {
  const name = res.headers['x-ratelimit-name'];
  return typeof name === 'string' && /^[\w.-]{1,60}$/.test(name) ? ` (X-RateLimit-Name: ${name})` : '';
}
