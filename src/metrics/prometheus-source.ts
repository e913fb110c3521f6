/**
 * Metrics from Prometheus (or anything that serves its HTTP API: Thanos, Mimir, VictoriaMetrics,
 * Grafana Cloud) with PromQL templates.
 *
 * Contract, from the Prometheus HTTP API reference (https://prometheus.io/docs/prometheus/latest/querying/api/):
 * - `GET /api/v1/query?query=&time=&timeout=`: an instant query evaluated at `time` (epoch seconds).
 * - `GET /api/v1/query_range?query=&start=&end=&step=&timeout=`: a range query.
 * - Every answer is the envelope `{"status": "success" | "error", "data": ..., "errorType",
 *   "error", "warnings", "infos"}`; `data` is `{"resultType": "vector" | "matrix" | "scalar" |
 *   "string", "result": ...}`: a vector is `[{"metric": {labels}, "value": [<unix s>, "<value>"]}]`,
 *   a matrix `[{"metric": {...}, "values": [[<unix s>, "<value>"], ...]}]`, a scalar
 *   `[<unix s>, "<value>"]`. Values are strings, "NaN", "+Inf" and "-Inf" included.
 * - 400 when parameters are missing or wrong (a PromQL syntax error), 422 when the expression
 *   cannot be executed, 503 when the query timed out or was aborted.
 * Partial answers, from the backends' own documentation:
 * - Thanos Query answers with `warnings` when a store did not answer, unless the request says
 *   `partial_response=false` (https://thanos.io/tip/components/query.md/#partial-response):
 *   then it fails the query instead. "Having a warning does not necessarily mean partial response".
 * - VictoriaMetrics cluster marks a partial answer `"isPartial": true`, unless the request says
 *   `deny_partial_response=1` (https://docs.victoriametrics.com/cluster-victoriametrics/).
 * - Prometheus itself ignores both parameters; its own `warnings` are PromQL annotations
 *   ("PromQL warning: ...", "PromQL info: ..."), about the query, not missing data.
 */
import { z } from 'zod';
import { parseDuration } from '../config/duration.js';
import { PROMETHEUS_REQUESTS_DEFAULT } from '../config/metrics-schema.js';
import type { PrometheusMetricsConfig } from '../config/types.js';
import { apiUrl } from '../core/api-url.js';
import { MetricsError } from '../core/errors.js';
import { refusedCredentials } from '../core/url-credentials.js';
import { type FetchedJson, fetchJsonAfterRateLimit, rateLimited, resetInMs } from './fetch-json.js';
import { type Bucket, readHistogramQuantile } from './histogram.js';
import { histogramQuantileCall } from './histogram-quantile-query.js';
import {
  armName,
  matchedNothing,
  type ScrapeProbe,
  seriesStopped,
  tooFewScrapes,
} from './matched-nothing.js';
import { NoDataError } from './no-data.js';
import { passingStatus } from './passing-fault.js';
import {
  type AnnotationLog,
  isPromqlAnnotation,
  sayAnnotationsOnce,
  stderrLog,
} from './promql-annotations.js';
import { countQuery, countQueryName, finiteOrUndefined, type Point, requestCount } from './reduce.js';
import { RefusedCredentialsError } from './refused-credentials.js';
import { showQuery, snippet } from './show-query.js';
import type { MetricSource, MetricWindow, QuantileBounds } from './source.js';
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

// A proxy may send a number or null where Prometheus sends text: no number is no data, not a
// malformed answer.
const sample = z.tuple([z.number(), z.union([z.string(), z.number(), z.null()])]);
const labels = z.record(z.string(), z.string());
const envelope = z.object({
  status: z.enum(['success', 'error']),
  data: z.unknown().optional(),
  errorType: z.string().optional(),
  error: z.string().optional(),
  warnings: z.array(z.string()).optional(),
  // Prometheus 2.52 and later: info-level PromQL annotations, never a partial answer.
  infos: z.array(z.string()).optional(),
  // VictoriaMetrics cluster.
  isPartial: z.boolean().optional(),
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
/** A sample's value as the answer has it: text ("NaN", "+Inf" included), a number or null. */
type Sample = z.infer<typeof sample>[1];

/** Prometheus writes infinities as "+Inf" and "-Inf"; a proxy may send a JSON number. */
const isInfinity = (raw: Sample): boolean =>
  typeof raw === 'number'
    ? raw === Infinity || raw === -Infinity
    : /^[+-]?inf(inity)?$/i.test(raw?.trim() ?? '');

/** How messages name the source's requests query (countQueryName's name for it too). */
const REQUESTS_WHAT = 'the requests query';

/** Asked on every query: a backend that can answer partially fails instead (Prometheus ignores both). */
const NO_PARTIAL_ANSWERS = { partial_response: 'false', deny_partial_response: '1' };

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

/** The Prometheus adapter: the MetricSource port plus counts, histogram buckets and range series. */
export interface PrometheusSource extends MetricSource {
  /**
   * A count over the window from a query such as
   * `sum(increase(requests_total{slot="{{slot}}",code=~"5.."}[{{window}}])) or vector(0)`;
   * `requests` is the source's own request count. No series is no data (a NoDataError naming the
   * query), never 0: a misspelt label matches no series either. A zero that is meant is written
   * with `or vector(0)`, since that sum has no series while nothing has failed.
   */
  count(query: string, window: MetricWindow): Promise<number>;
  /**
   * Cumulative buckets from a query that returns one series per `le`, such as
   * `sum by (le) (increase(latency_seconds_bucket{slot="{{slot}}"}[{{window}}]))`, sorted by
   * `le` and made monotonic as `histogram_quantile` does; undefined when there is no data.
   */
  buckets(query: string, window: MetricWindow): Promise<Bucket[] | undefined>;
  /** The one series a query returns over the window, by a range query at `step`; undefined when none. */
  series(query: string, window: MetricWindow): Promise<Point[] | undefined>;
  /**
   * For a query that is `histogram_quantile(φ, <buckets>)` (φ a number): its bucket vector over
   * the window, read at the same instant, as what tells a quantile beyond the largest finite bound
   * from one at or below it (histogram_quantile returns that bound for both). Undefined, without
   * asking the server, for any other query; undefined too when the buckets are not one histogram
   * with a finite bound and some requests, where histogram_quantile itself gives no number.
   */
  quantileBounds(query: string, window: MetricWindow): Promise<QuantileBounds | undefined>;
}

/**
 * `log`: where PromQL annotations on an answer are said, once per query (promql-annotations.ts).
 */
export function prometheusSource(
  config: PrometheusMetricsConfig,
  log: AnnotationLog = stderrLog,
): PrometheusSource {
  const timeoutParam = `${config.timeoutMs}ms`;

  /** `template`: the query as configured, which the annotations said of its answer name. */
  async function call(
    path: string,
    params: Record<string, string>,
    query: string,
    template = query,
  ): Promise<unknown> {
    // A gateway in front (Thanos, Cortex, Mimir, a proxy) may answer 429 with a Retry-After.
    const res = await fetchJsonAfterRateLimit(
      {
        source: 'prometheus',
        url: apiUrl(config.url, path, { ...params, ...NO_PARTIAL_ANSWERS, timeout: timeoutParam }),
        headers: config.headers,
        timeoutMs: config.timeoutMs,
      },
      'retry-after',
    );
    const { data, annotations } = dataOf(res, query);
    sayAnnotationsOnce(log, `${config.url}\n${template}`, template, annotations);
    return data;
  }

  async function instant(template: string, w: MetricWindow): Promise<{ query: string; data: unknown }> {
    const query = renderPromql(template, w);
    return { query, data: await instantRendered(query, w, template) };
  }

  /** An instant query already rendered, evaluated at the window's end. */
  function instantRendered(query: string, w: MetricWindow, template = query): Promise<unknown> {
    return call('/api/v1/query', { query, time: (w.until / 1000).toFixed(3) }, query, template);
  }

  /** One number from a scalar or a vector of at most one series; several series are a wrong query. */
  async function oneNumber(
    template: string,
    w: MetricWindow,
    what: string,
  ): Promise<{ query: string; value: number | undefined; raw: Sample; series: number }> {
    const { query, data } = await instant(template, w);
    const scalarResult = scalarData.safeParse(data);
    if (scalarResult.success) {
      const raw = scalarResult.data.result[1];
      return { query, value: finiteOrUndefined(raw), raw, series: 1 };
    }
    const vector = vectorOf(data, query);
    if (vector.length > 1) throw severalSeries(what, vector, query);
    if (vector.length === 0) return { query, value: undefined, raw: null, series: 0 };
    const raw = sampleValue(vector[0], query);
    return { query, value: finiteOrUndefined(raw), raw, series: 1 };
  }

  /**
   * A count: no series is no data, not 0 (a misspelt label matches none), and so is NaN, which is
   * what scalar() makes of no series (and 0/0): no data is inconclusive until the deadline (SPEC
   * section 4), not an error look. An infinity (a division by zero) or a negative count is a
   * broken query: an error look, never a count.
   */
  async function count(template: string, w: MetricWindow, what: string): Promise<number> {
    const { query, value, raw, series } = await oneNumber(template, w, what);
    if (series === 0) {
      const young = tooYoung(await probeScrapes(query, w));
      if (young) {
        const lastAt = await stoppedAt(young, w);
        throw lastAt === undefined ? tooFewScrapes(what, w, young) : seriesStopped(what, w, young, lastAt);
      }
      throw matchedNothing('prometheus', what, w, noSeriesAdvice(what), showQuery(query));
    }
    if (value === undefined && isInfinity(raw)) {
      throw new MetricsError(
        `prometheus: ${what} returned an infinity, which is not a count (a division by zero?); a count looks like sum(increase(x_total{...}[{{window}}])): ${showQuery(query)}`,
      );
    }
    if (value === undefined) {
      throw new NoDataError(
        `prometheus: ${what} returned NaN for ${armName(w)}, which is no data, not a count: scalar() of no series and 0/0 give NaN; check its metric name and labels, and write sum(…) or vector(0) where zero is meant: ${showQuery(query)}`,
      );
    }
    return requestCount(value, {
      named: `prometheus: ${what}`,
      shownQuery: showQuery(query),
      advice: `count with increase() over a counter, as sum(increase(x_total{...}[{{window}}])), not delta() (a counter reset makes it negative) or a difference of two counts`,
    });
  }

  /**
   * For a count that matched nothing: how many samples each range selector of the query has over
   * its range plus Prometheus' lookback, one cheap query per selector (count_over_time of the
   * selector as written, modifiers kept). Undefined when the query has no range selector read
   * here or a probe fails: the count then reads as matched nothing, as without the probe; a probe
   * refused for its credentials throws that.
   */
  async function probeScrapes(query: string, w: MetricWindow): Promise<ScrapeProbe[] | undefined> {
    const probes = new Map<string, ScrapeProbe>();
    for (const [, selector, range, modifiers] of query.matchAll(RANGE_SELECTOR)) {
      // A range the config's duration syntax cannot read (PromQL's `1w`) is not probed.
      const rangeMs = range === undefined ? undefined : parseDuration(range);
      const rangeS = rangeMs === undefined ? undefined : rangeMs / 1000;
      if (!selector || rangeS === undefined || probes.has(selector + range)) continue;
      const probedS = Math.ceil(rangeS + LOOKBACK_S);
      const probe = `max(count_over_time(${selector}[${probedS}s]${modifiers ?? ''}))`;
      try {
        const vector = vectorOf(await instantRendered(probe, w), probe);
        const samples = finiteOrUndefined(vector[0]?.value?.[1]) ?? 0;
        probes.set(selector + range, { selector, modifiers: modifiers ?? '', rangeS, samples, probedS });
      } catch (err) {
        // Refused credentials are said as such (the release rolls back on them), never as no data.
        if (err instanceof RefusedCredentialsError) throw err;
        return undefined;
      }
    }
    return probes.size > 0 ? [...probes.values()] : undefined;
  }

  /**
   * For a selector whose range holds too few scrapes (a look that would read waiting): when its
   * last sample was scraped, if Prometheus has no current sample of it (a staleness marker ended
   * every series, or the last is beyond the lookback), so that it is gone rather than young. One
   * query: the last sample's time over the probe's span, at 1 s steps to land between a 1 s
   * scrape and its staleness marker, unless a series is current. Undefined while one is current,
   * and when the probe fails (the look then waits, as without it); refused credentials throw.
   */
  async function stoppedAt(p: ScrapeProbe, w: MetricWindow): Promise<number | undefined> {
    const probe = `max(max_over_time(timestamp(${p.selector})[${p.probedS}s:1s]${p.modifiers})) unless on() count(${p.selector}${p.modifiers})`;
    try {
      const seconds = finiteOrUndefined(vectorOf(await instantRendered(probe, w), probe)[0]?.value?.[1]);
      return seconds === undefined ? undefined : Math.round(seconds * 1000);
    } catch (err) {
      if (err instanceof RefusedCredentialsError) throw err;
      return undefined;
    }
  }

  /** What to do about a count query that matched no series. */
  function noSeriesAdvice(what: string): string {
    if (what !== REQUESTS_WHAT)
      return 'check its metric name and labels; if zero is meant, write (…) or vector(0)';
    if (config.requests === PROMETHEUS_REQUESTS_DEFAULT) {
      return `it is the default requests query, which counts what model-gate sandbox exports: for another service, set metrics.requests to its request count, e.g. sum(increase(http_requests_total{app="{{model}}",version="{{version}}"}[{{window}}]))`;
    }
    return "check its metric name and labels (metrics.requests); a version's series appear once its first requests are scraped";
  }

  return {
    async value(template, w) {
      return (await oneNumber(template, w, 'the query')).value;
    },

    requests(w) {
      return count(config.requests, w, REQUESTS_WHAT);
    },

    count(template, w) {
      return count(countQuery(template, config.requests), w, countQueryName(template));
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
          throw new MetricsError(`prometheus: bucket bound le="${le}" is not a number: ${showQuery(query)}`);
        if (byLe.has(bound)) {
          throw new MetricsError(
            `prometheus: two series with le="${le}"; aggregate them with sum by (le) (...): ${showQuery(query)}`,
          );
        }
        const n = finiteOrUndefined(sampleValue(s, query));
        if (n === undefined) return undefined;
        byLe.set(bound, n);
      }
      if (!byLe.has(Number.POSITIVE_INFINITY)) {
        throw new MetricsError(
          `prometheus: the buckets have no le="+Inf" bucket, so the total is unknown: ${showQuery(query)}`,
        );
      }
      return cumulative(
        [...byLe.entries()].sort(([a], [b]) => a - b),
        query,
      );
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
        template,
      );
      const parsed = matrixData.safeParse(data);
      if (!parsed.success) throw unexpected(data, 'matrix', query);
      const result = parsed.data.result;
      if (result.length > 1) throw severalSeries('the query', result, query);
      const points = (result[0]?.values ?? [])
        .map(([t, v]) => ({ at: Math.round(t * 1000), value: finiteOrUndefined(v) }))
        .filter((p): p is Point => p.value !== undefined);
      return points.length > 0 ? points : undefined;
    },

    async quantileBounds(template, w) {
      const quantileCall = histogramQuantileCall(renderPromql(template, w));
      if (!quantileCall) return undefined;
      const { quantile, buckets } = quantileCall;
      return quantileBoundsOf(quantile, vectorOf(await instantRendered(buckets, w, template), buckets));
    },
  };
}

/** Prometheus' default lookback (`--query.lookback-delta`): a series without a sample for 5 minutes is stale. */
const LOOKBACK_S = 300;

/**
 * A range selector of a rendered query, `name{labels}[range]` or `name[range]`, with its offset
 * and @ modifiers: 1 the selector, 2 the range, 3 the modifiers. Label values are skipped as
 * quoted strings; a subquery (`[5m:1m]`) is no range selector.
 */
const RANGE_SELECTOR =
  /(?<![\w:])((?:[a-zA-Z_:][\w:]*\s*)?\{(?:[^{}"'`]|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)*\}|[a-zA-Z_:][\w:]*)\s*\[\s*([0-9][0-9a-z]*)\s*\]((?:\s+offset\s+-?[0-9][0-9a-z]*|\s*@\s*(?:start\(\)|end\(\)|[0-9.]+))*)/g;

/**
 * The selector whose range is too young for its series' scrapes: all the query's selectors have
 * series, and this one's range is shorter than two scrape intervals at the pace its samples came
 * over the probe (a new series' pace reads slow, so its looks wait until it has two samples).
 * Undefined when a selector has no sample at all (its name or labels, or nothing scraped yet) or
 * every range holds two scrapes at that pace (the query itself drops the series).
 */
function tooYoung(probes: ScrapeProbe[] | undefined): ScrapeProbe | undefined {
  if (!probes || probes.some((p) => p.samples === 0)) return undefined;
  return probes.find((p) => p.rangeS * p.samples < 2 * p.probedS);
}

/**
 * Where φ falls in one histogram's buckets, as histogram_quantile finds it (promql/quantile.go
 * bucketQuantile): counts made monotonic by a running maximum, and the quantile beyond the largest
 * finite bound when readHistogramQuantile finds it in the `+Inf` bucket. Undefined where it gives
 * no number: several histograms (other labels than `le` differ), no `+Inf` or no finite bound, no
 * requests, a bucket without a number.
 */
function quantileBoundsOf(quantile: number, vector: Vector): QuantileBounds | undefined {
  const others = new Set(
    vector.map((s) => JSON.stringify({ ...s.metric, le: undefined, __name__: undefined })),
  );
  if (others.size !== 1) return undefined;
  const byLe: [number, number][] = [];
  for (const s of vector) {
    const le = s.metric.le;
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    const count = finiteOrUndefined(s.value?.[1]);
    if (le === undefined || Number.isNaN(bound) || count === undefined) return undefined;
    byLe.push([bound, count]);
  }
  byLe.sort(([a], [b]) => a - b);
  let running = Number.NEGATIVE_INFINITY;
  const buckets = byLe.map(([bound, count], i): Bucket => {
    running = Math.max(running, count);
    return { le: i === byLe.length - 1 ? '+Inf' : bound, count: running };
  });
  const top = byLe.at(-1);
  const largest = byLe.at(-2);
  if (!top || !largest || top[0] !== Number.POSITIVE_INFINITY) return undefined;
  // Undefined when no requests are counted (the `+Inf` count not above 0).
  const reading = readHistogramQuantile(quantile, buckets);
  return reading && { quantile, largest: largest[0], beyond: reading.beyondBounds };
}

/**
 * How far a bucket may fall below the one beneath it and still be read as one histogram: 5% of
 * that count, and at least 1 request. Bucket series scraped together share their sample times, so
 * increase() extrapolates them alike; they differ only where a series began inside the window (a
 * replica started mid-step) and its first scrape already counted requests, cutting its
 * extrapolation where that counter would reach zero: at most the requests before that first
 * scrape, under 3% of the window's with 20 scrapes in it. Add floating-point rounding and a client
 * that reads an in-flight observation into one bucket and not the next: histogram_quantile evens
 * such dips out, and so does this. Replicas exporting different bucket layouts, summed by (le),
 * dip by the share of requests at a bound one layout lacks, tens of percent (le 0.2 at 3800 under
 * le 0.1 at 6400). A layout mix that dips less moves no count by more than 5%; an early look that
 * trips it is inconclusive, and the next, over a longer window, reads the histogram.
 */
export const BUCKET_DIP_TOLERANCE = { share: 0.05, requests: 1 };

/**
 * The buckets sorted by `le`, each at least the one below it, as histogram_quantile evens out
 * small dips; a bucket clearly below the one beneath it (BUCKET_DIP_TOLERANCE) is no histogram
 * at all, but replicas with different buckets summed together: no data, saying what to do.
 */
function cumulative(sorted: [number, number][], query: string): Bucket[] {
  let running = 0;
  let below: number | undefined;
  return sorted.map(([bound, n]) => {
    const dip = running - n;
    if (
      below !== undefined &&
      dip > Math.max(BUCKET_DIP_TOLERANCE.requests, BUCKET_DIP_TOLERANCE.share * running)
    ) {
      throw new NoDataError(
        `prometheus: the buckets are not cumulative (le="${leText(bound)}" counts ${round(n)}, fewer than the ${round(running)} at or below le="${leText(below)}"): the replicas behind this query most likely export different bucket layouts, which sum by (le) mixes into no histogram; give every replica the same buckets, or aggregate per replica (select one layout's replicas) in the query: ${showQuery(query)}`,
      );
    }
    if (n >= running) below = bound;
    running = Math.max(running, n);
    return { le: bound === Number.POSITIVE_INFINITY ? '+Inf' : bound, count: running };
  });
}

const leText = (bound: number) => (bound === Number.POSITIVE_INFINITY ? '+Inf' : String(bound));
const round = (n: number) => Number(n.toPrecision(6));

const REFUSED =
  'the server refused the credentials: check the token or password sent (metrics.headers, or user:password in the url) and that it may query this server';

/**
 * The `data` of a successful, complete answer and its PromQL annotations; everything else is a
 * MetricsError saying why.
 */
function dataOf(res: FetchedJson, query: string): { data: unknown; annotations: string[] } {
  const parsed = envelope.safeParse(res.body);
  const waitMs = resetInMs(res, 'retry-after', Date.now());
  if (waitMs !== undefined) {
    const reason = parsed.success ? parsed.data.error : snippet(res.text, 120);
    throw rateLimited(
      'prometheus',
      waitMs,
      `${reason ? ` (${reason})` : ''}; this look is not counted against consecutive-error-limit until then; if it keeps happening, lengthen the strategy's interval or raise the query limit of the gateway in front of Prometheus: ${showQuery(query)}`,
    );
  }
  if (!parsed.success) {
    // Refused credentials are not a wrong url: asking for the server's root sent users to the url.
    const said = `prometheus: HTTP ${res.status} with a body that is not the Prometheus API's JSON (${snippet(res.text, 120) || 'empty'})`;
    if (refusedCredentials(res.status))
      throw new RefusedCredentialsError(`${said}; ${REFUSED}`, `HTTP ${res.status}`);
    // A proxy's 502 or 429 page, not the server's: it passes, as the server's own would.
    throw new MetricsError(`${said}; is the url the Prometheus server's root?`, {
      passing: passingStatus(res.status),
    });
  }
  const body = parsed.data;
  if (res.status >= 200 && res.status < 300 && body.status === 'success') {
    const warnings = body.warnings ?? [];
    const partial = warnings.filter((w) => !isPromqlAnnotation(w));
    if (body.isPartial === true || partial.length > 0) {
      const said = partial.length > 0 ? ` (${snippet(partial.join('; '), 240)})` : '';
      throw new NoDataError(
        `prometheus: a partial answer${said}: some of the server's stores or nodes did not answer, so it is not used as data: ${showQuery(query)}`,
      );
    }
    return { data: body.data, annotations: [...warnings, ...(body.infos ?? [])] };
  }
  const reason = body.error ?? `HTTP ${res.status}`;
  switch (res.status) {
    case 400:
      return fail(`bad query (${reason})`, query);
    case 422:
      return fail(`the query cannot be executed (${reason})`, query);
    case 503:
      return fail(`the query timed out or was aborted on the server (${reason})`, query, true);
    case 401:
    case 403:
      throw new RefusedCredentialsError(
        `prometheus: HTTP ${res.status} (${reason}); ${REFUSED}: ${showQuery(query)}`,
        `HTTP ${res.status}`,
      );
    default:
      return fail(
        `HTTP ${res.status}${body.errorType ? ` ${body.errorType}` : ''}: ${reason}`,
        query,
        passingStatus(res.status),
      );
  }
}

/** `passing`: the fault passes by itself (a server timeout, a 5xx, a 429), not the query's. */
const fail = (what: string, query: string, passing = false): never => {
  throw new MetricsError(`prometheus: ${what}: ${showQuery(query)}`, { passing });
};

/** Several series where one number is expected: how many, which labels tell them apart, what to do. */
function severalSeries(
  what: string,
  series: { metric: Record<string, string> }[],
  query: string,
): MetricsError {
  const names = new Set(series.flatMap((s) => Object.keys(s.metric)));
  const differing = [...names].filter((n) => new Set(series.map((s) => s.metric[n])).size > 1);
  const by = differing.length > 0 ? ` (they differ in ${differing.slice(0, 4).join(', ')})` : '';
  return new MetricsError(
    `prometheus: ${what} returned ${series.length} series, expected one; wrap it in sum(...) to add them up${by}: ${showQuery(query)}`,
  );
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

function sampleValue(s: Vector[number] | undefined, query: string): Sample {
  if (s?.value) return s.value[1];
  throw new MetricsError(
    `prometheus: the query returns native histograms, which are not read here; query classic *_bucket series: ${showQuery(query)}`,
  );
}

function unexpected(data: unknown, wanted: string, query: string): MetricsError {
  const type = anyData.safeParse(data);
  const got = !type.success
    ? 'an answer of unknown shape'
    : type.data.resultType === wanted
      ? `a ${wanted} of an unexpected shape (${snippet(JSON.stringify(data), 120)})`
      : `a ${type.data.resultType}`;
  return new MetricsError(`prometheus: expected a ${wanted} result, got ${got}: ${showQuery(query)}`);
}
