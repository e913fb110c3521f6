/**
 * Metrics from Prometheus (or anything that serves its HTTP API: Thanos, Mimir, VictoriaMetrics,
 * Grafana Cloud) with PromQL templates.
 *
 * Contract, from the Prometheus HTTP API reference (https://prometheus.io/docs/prometheus/latest/querying/api/):
 * - `GET /api/v1/query?query=&time=&timeout=`: an instant query evaluated at `time` (epoch seconds).
 * - `GET /api/v1/query_range?query=&start=&end=&step=&timeout=`: a range query.
 * - Every answer is the envelope `{"status": "success" | "error", "data": ..., "errorType",
 *   "error", "warnings"}`; `data` is `{"resultType": "vector" | "matrix" | "scalar" | "string",
 *   "result": ...}`: a vector is `[{"metric": {labels}, "value": [<unix s>, "<value>"]}]`, a
 *   matrix `[{"metric": {...}, "values": [[<unix s>, "<value>"], ...]}]`, a scalar
 *   `[<unix s>, "<value>"]`. Values are strings, "NaN", "+Inf" and "-Inf" included.
 * - 400 when parameters are missing or wrong (a PromQL syntax error), 422 when the expression
 *   cannot be executed, 503 when the query timed out or was aborted.
 */
import { z } from 'zod';
import type { PrometheusMetricsConfig } from '../config/types.js';
import { MetricsError } from '../core/errors.js';
import { type FetchedJson, fetchJson, showQuery, snippet } from './fetch-json.js';
import type { Bucket } from './histogram.js';
import { finiteOrUndefined, type Point, requestCount } from './reduce.js';
import type { MetricSource, MetricWindow } from './source.js';
import {
  type Escaper,
  plainToken,
  type QuoteRules,
  refuseControl,
  regexLiteral,
  renderTemplate,
  templateValues,
  windowSeconds,
} from './template.js';

const sample = z.tuple([z.number(), z.string()]);
const labels = z.record(z.string(), z.string());
const envelope = z.object({
  status: z.enum(['success', 'error']),
  data: z.unknown().optional(),
  errorType: z.string().optional(),
  error: z.string().optional(),
  warnings: z.array(z.string()).optional(),
});
const vectorData = z.object({
  resultType: z.literal('vector'),
  // `histogram` instead of `value` is a native histogram sample.
  result: z.array(z.object({ metric: labels, value: sample.optional(), histogram: z.unknown().optional() })),
});
const scalarData = z.object({ resultType: z.literal('scalar'), result: sample });
const matrixData = z.object({
  resultType: z.literal('matrix'),
  result: z.array(z.object({ metric: labels, values: sample.array().optional() })),
});
const anyData = z.object({ resultType: z.string() });

type Vector = z.infer<typeof vectorData>['result'];

/** PromQL strings: "..." and '...' take backslash escapes, `...` is raw; `#` starts a comment. */
const PROMQL_QUOTES: QuoteRules = {
  quotes: { '"': { backslash: true }, "'": { backslash: true }, '`': { backslash: false } },
  lineComment: '#',
  regexMatchers: ['=~', '!~'],
};

export const escapePromql: Escaper = (raw, quote, variable, regex) => {
  if (quote === undefined) return plainToken(raw, variable);
  refuseControl(raw, variable);
  // In a label regex (`version=~"{{version}}"`) the value matches itself only: `.` and `+` are literal.
  const value = regex ? regexLiteral(raw) : raw;
  if (quote === '`') {
    if (value.includes('`')) {
      throw new MetricsError(
        `the value of {{${variable}}} contains a backquote; use "..." around it in the query`,
      );
    }
    return value;
  }
  return value.replace(/\\/g, '\\\\').replaceAll(quote, `\\${quote}`);
};

export function renderPromql(template: string, w: MetricWindow): string {
  return renderTemplate(template, templateValues(w), PROMQL_QUOTES, escapePromql);
}

/** The Prometheus adapter: the MetricSource port plus histogram buckets and range series. */
export interface PrometheusSource extends MetricSource {
  /**
   * Cumulative buckets from a query that returns one series per `le`, such as
   * `sum by (le) (increase(latency_seconds_bucket{slot="{{slot}}"}[{{window}}]))`, sorted by
   * `le` and made monotonic as `histogram_quantile` does; undefined when there is no data.
   */
  buckets(query: string, window: MetricWindow): Promise<Bucket[] | undefined>;
  /** The one series a query returns over the window, by a range query at `step`; undefined when none. */
  series(query: string, window: MetricWindow): Promise<Point[] | undefined>;
}

export function prometheusSource(config: PrometheusMetricsConfig): PrometheusSource {
  const base = config.url.replace(/\/+$/, '');
  const timeoutParam = `${config.timeoutMs}ms`;

  async function call(path: string, params: Record<string, string>, query: string): Promise<unknown> {
    const url = `${base}${path}?${new URLSearchParams({ ...params, timeout: timeoutParam })}`;
    const res = await fetchJson({
      source: 'prometheus',
      url,
      headers: config.headers,
      timeoutMs: config.timeoutMs,
    });
    return dataOf(res, query);
  }

  async function instant(template: string, w: MetricWindow): Promise<{ query: string; data: unknown }> {
    const query = renderPromql(template, w);
    const data = await call('/api/v1/query', { query, time: (w.until / 1000).toFixed(3) }, query);
    return { query, data };
  }

  /** One number from a scalar or a vector of at most one series; undefined for no data. */
  async function scalar(
    template: string,
    w: MetricWindow,
  ): Promise<{ query: string; value: number | undefined; series: number }> {
    const { query, data } = await instant(template, w);
    const scalarResult = scalarData.safeParse(data);
    if (scalarResult.success) {
      return { query, value: finiteOrUndefined(scalarResult.data.result[1]), series: 1 };
    }
    const vector = vectorOf(data, query);
    if (vector.length !== 1) return { query, value: undefined, series: vector.length };
    return { query, value: finiteOrUndefined(sampleValue(vector[0], query)), series: 1 };
  }

  return {
    async value(template, w) {
      return (await scalar(template, w)).value;
    },

    async requests(w) {
      const { query, value, series } = await scalar(config.requests, w);
      // No series at all: nothing was counted yet. Anything else that is not one number is a
      // query that cannot be a request count, which must not pass for zero.
      if (series === 0) return 0;
      if (series > 1) {
        throw new MetricsError(
          `prometheus: the requests query returned ${series} series, expected one; wrap it in sum(...): ${showQuery(query)}`,
        );
      }
      if (value === undefined) {
        throw new MetricsError(
          `prometheus: the requests query returned NaN or an infinity: ${showQuery(query)}`,
        );
      }
      return requestCount(value);
    },

    async buckets(template, w) {
      const { query, data } = await instant(template, w);
      const vector = vectorOf(data, query);
      if (vector.length === 0) return undefined;
      const byLe = new Map<number, number>();
      for (const s of vector) {
        const le = s.metric.le;
        if (le === undefined) {
          throw new MetricsError(
            `prometheus: a buckets query must return one series per "le" label, as sum by (le) (...) does; got a series without "le": ${showQuery(query)}`,
          );
        }
        const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
        if (Number.isNaN(bound))
          throw new MetricsError(`prometheus: bucket bound le="${le}" is not a number`);
        if (byLe.has(bound)) {
          throw new MetricsError(
            `prometheus: two series with le="${le}"; aggregate them with sum by (le) (...): ${showQuery(query)}`,
          );
        }
        const count = finiteOrUndefined(sampleValue(s, query));
        if (count === undefined) return undefined;
        byLe.set(bound, count);
      }
      if (!byLe.has(Number.POSITIVE_INFINITY)) {
        throw new MetricsError(
          `prometheus: the buckets have no le="+Inf" bucket, so the total is unknown: ${showQuery(query)}`,
        );
      }
      // Counts from increase() can dip slightly between buckets; histogram_quantile evens
      // them out the same way (each bucket at least the one below).
      let running = 0;
      return [...byLe.entries()]
        .sort(([a], [b]) => a - b)
        .map(([bound, count]) => {
          running = Math.max(running, count);
          return { le: bound === Number.POSITIVE_INFINITY ? '+Inf' : bound, count: running };
        });
    },

    async series(template, w) {
      const query = renderPromql(template, w);
      const stepMs = config.stepMs ?? Math.max(1000, Math.ceil(windowSeconds(w) / 250) * 1000);
      const data = await call(
        '/api/v1/query_range',
        {
          query,
          start: (w.since / 1000).toFixed(3),
          end: (w.until / 1000).toFixed(3),
          step: `${stepMs}ms`,
        },
        query,
      );
      const parsed = matrixData.safeParse(data);
      if (!parsed.success) throw unexpected(data, 'matrix', query);
      const result = parsed.data.result;
      if (result.length !== 1) return undefined;
      const points = (result[0]?.values ?? [])
        .map(([t, v]) => ({ at: Math.round(t * 1000), value: finiteOrUndefined(v) }))
        .filter((p): p is Point => p.value !== undefined);
      return points.length > 0 ? points : undefined;
    },
  };
}

/** The `data` of a successful answer; everything else is a MetricsError saying why. */
function dataOf(res: FetchedJson, query: string): unknown {
  const parsed = envelope.safeParse(res.body);
  if (!parsed.success) {
    const hint =
      res.status === 401 || res.status === 403 ? '; check the headers (credentials) for this server' : '';
    throw new MetricsError(
      `prometheus: HTTP ${res.status} with a body that is not the Prometheus API's JSON (${snippet(res.text, 120) || 'empty'})${hint}; is the url the Prometheus server's root?`,
    );
  }
  const body = parsed.data;
  if (res.status >= 200 && res.status < 300 && body.status === 'success') return body.data;
  const reason = body.error ?? `HTTP ${res.status}`;
  switch (res.status) {
    case 400:
      throw new MetricsError(`prometheus: bad query (${reason}): ${showQuery(query)}`);
    case 422:
      throw new MetricsError(`prometheus: the query cannot be executed (${reason}): ${showQuery(query)}`);
    case 503:
      throw new MetricsError(`prometheus: the query timed out or was aborted on the server (${reason})`);
    default:
      throw new MetricsError(
        `prometheus: HTTP ${res.status}${body.errorType ? ` ${body.errorType}` : ''}: ${reason}`,
      );
  }
}

function vectorOf(data: unknown, query: string): Vector {
  const parsed = vectorData.safeParse(data);
  if (parsed.success) return parsed.data.result;
  const type = anyData.safeParse(data);
  if (type.success && type.data.resultType === 'matrix') {
    throw new MetricsError(
      `prometheus: the query returns a range vector; wrap it in a function such as increase(...) or avg_over_time(...): ${showQuery(query)}`,
    );
  }
  throw unexpected(data, 'vector', query);
}

function sampleValue(s: Vector[number] | undefined, query: string): string | undefined {
  if (s?.value) return s.value[1];
  throw new MetricsError(
    `prometheus: the query returns native histograms, which are not read here; query classic *_bucket series: ${showQuery(query)}`,
  );
}

function unexpected(data: unknown, wanted: string, query: string): MetricsError {
  const type = anyData.safeParse(data);
  const got = type.success ? `a ${type.data.resultType}` : 'an answer of unknown shape';
  return new MetricsError(`prometheus: expected a ${wanted} result, got ${got}: ${showQuery(query)}`);
}
