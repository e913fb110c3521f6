/**
 * Metrics from any JSON endpoint: the source's `url` (a template; values are URL-encoded) is
 * fetched with GET and a gate's query is a selector into the answer (`data.canary.error_rate`).
 * A query may also name its own endpoint as `<url template>#<selector>`. A count query selects
 * a number (`stats.errors`); a buckets query selects a list of cumulative `{le, count}`.
 */
import type { HttpJsonMetricsConfig } from '../config/types.js';
import { MetricsError } from '../core/errors.js';
import { hideUrlSecrets, safeUrl } from '../core/safe-url.js';
import { fetchJson, snippet } from './fetch-json.js';
import type { Bucket } from './histogram.js';
import { countQuery, requestCount } from './reduce.js';
import { selectBuckets, selectNumber } from './selector.js';
import type { MetricSource, MetricWindow } from './source.js';
import { type Escaper, renderTemplate, templateValues } from './template.js';

/** Everything in a URL is encoded, whatever part of it the placeholder sits in. */
const escapeUrl: Escaper = (value) => encodeURIComponent(value);

export function renderUrl(template: string, w: MetricWindow): string {
  return renderTemplate(template, templateValues(w), { quotes: {} }, escapeUrl);
}

/** `https://host/path?x={{slot}}#a.b` -> its URL template and selector; a bare selector uses `url`. */
export function splitQuery(query: string, defaultUrl: string): { url: string; selector: string } {
  if (/^https?:\/\//i.test(query)) {
    const hash = query.lastIndexOf('#');
    if (hash < 0) {
      throw new MetricsError(
        `http-json: the query ${JSON.stringify(hideUrlSecrets(query))} names a URL but no selector; write <url>#<selector>`,
      );
    }
    return { url: query.slice(0, hash), selector: query.slice(hash + 1) };
  }
  return { url: defaultUrl, selector: query };
}

export function httpJsonSource(config: HttpJsonMetricsConfig): MetricSource {
  /** The answer of the query's endpoint, what its selector is, and how messages name it. */
  async function fetched(
    query: string,
    w: MetricWindow,
  ): Promise<{ body: unknown; selector: string; where: string }> {
    const { url: template, selector } = splitQuery(query, config.url);
    const url = renderUrl(template, w);
    const res = await fetchJson({
      source: 'http-json',
      url,
      headers: config.headers,
      timeoutMs: config.timeoutMs,
    });
    const where = `http-json: ${safeUrl(url)}`;
    if (res.status < 200 || res.status >= 300) {
      const message = (res.body as { error?: unknown; message?: unknown } | undefined) ?? {};
      const reason =
        typeof message.error === 'string'
          ? message.error
          : typeof message.message === 'string'
            ? message.message
            : snippet(res.text, 120);
      throw new MetricsError(`${where} answered HTTP ${res.status}${reason ? ` (${reason})` : ''}`);
    }
    if (res.body === undefined) {
      throw new MetricsError(`${where} did not answer JSON (${snippet(res.text, 120) || 'empty body'})`);
    }
    return { body: res.body, selector, where };
  }

  async function number(query: string, w: MetricWindow): Promise<number | undefined> {
    const { body, selector, where } = await fetched(query, w);
    return selectNumber(body, selector, where);
  }

  /** A count is whole and never negative, as the request count is. */
  async function count(query: string, w: MetricWindow): Promise<number | undefined> {
    const n = await number(query, w);
    return n === undefined ? undefined : requestCount(n);
  }

  return {
    value: (query, w) => number(query, w),
    async requests(w) {
      return (await count(config.requests, w)) ?? 0;
    },
    count: (query, w) => count(countQuery(query, config.requests), w),
    async buckets(query, w): Promise<Bucket[] | undefined> {
      const { body, selector, where } = await fetched(query, w);
      return selectBuckets(body, selector, where);
    },
  };
}
