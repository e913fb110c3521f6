/**
 * Metrics from any JSON endpoint: the source's `url` (a template; values are URL-encoded) is
 * fetched with GET and a gate's query is a selector into the answer (`data.canary.error_rate`).
 * A query may also name its own endpoint as `<url template>#<selector>`. A count query selects
 * a number (`stats.errors`), none being no data, never 0 (json-count.ts); a buckets query
 * selects a list of cumulative `{le, count}`.
 */
import type { HttpJsonMetricsConfig } from '../config/types.js';
import { MetricsError } from '../core/errors.js';
import { hideUrlSecrets, safeUrl } from '../core/safe-url.js';
import { refusedCredentials } from '../core/url-credentials.js';
import { fetchJsonAfterRateLimit, rateLimited, resetInMs } from './fetch-json.js';
import type { Bucket } from './histogram.js';
import { endpointSays, selectCount } from './json-count.js';
import { armName } from './matched-nothing.js';
import { NoDataError } from './no-data.js';
import { passingStatus } from './passing-fault.js';
import { countQuery, countQueryName, REQUESTS_QUERY } from './reduce.js';
import { RefusedCredentialsError } from './refused-credentials.js';
import { selectBuckets, selectNumber } from './selector.js';
import { showQuery, snippet } from './show-query.js';
import type { MetricSource, MetricWindow } from './source.js';
import { type Escaper, renderTemplate, templateValues } from './template.js';

/** What a negative count from the endpoint needs. */
const COUNT_ADVICE =
  "have the endpoint answer the window's count, as increase() over a counter gives it, not delta() or a difference of two counts";

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
  /** The answer of the query's endpoint, what its selector is, and how messages name it and its URL. */
  async function fetched(
    query: string,
    w: MetricWindow,
  ): Promise<{ body: unknown; selector: string; where: string; shownUrl: string }> {
    const { url: template, selector } = splitQuery(query, config.url);
    const url = renderUrl(template, w);
    const res = await fetchJsonAfterRateLimit(
      { source: 'http-json', url, headers: config.headers, timeoutMs: config.timeoutMs },
      'retry-after',
    );
    const shownUrl = safeUrl(url);
    const where = `http-json: ${shownUrl}`;
    if (res.status < 200 || res.status >= 300) {
      const message = (res.body as { error?: unknown; message?: unknown } | undefined) ?? {};
      // A server may echo the request URL, with the api_key it carries, in its error.
      const reason = hideUrlSecrets(
        typeof message.error === 'string'
          ? message.error
          : typeof message.message === 'string'
            ? message.message
            : snippet(res.text, 120),
      );
      const said = `${where} answered HTTP ${res.status}${reason ? ` (${reason})` : ''}`;
      const waitMs = resetInMs(res, 'retry-after', Date.now());
      if (waitMs !== undefined) {
        throw rateLimited(
          'http-json',
          waitMs,
          ` by ${shownUrl}${reason ? ` (${reason})` : ''}; this look is not counted against consecutive-error-limit until then; if it keeps happening, lengthen the strategy's interval or raise the endpoint's limit`,
        );
      }
      if (refusedCredentials(res.status)) {
        throw new RefusedCredentialsError(
          `${said}; the server refused the credentials: check the token or key sent (metrics.headers, or the url's user:password or query parameter) and that it may read this endpoint`,
          `HTTP ${res.status}`,
        );
      }
      throw new MetricsError(said, { passing: passingStatus(res.status) });
    }
    // A 204 or an empty 200 is an endpoint with nothing to report yet: no data (inconclusive until
    // the deadline, SPEC section 4), not an error counted against consecutive-error-limit.
    if (res.text.trim() === '') {
      throw new NoDataError(
        `${where} answered HTTP ${res.status} with an empty body, which is no data for ${armName(w)}; if it answers so when it has metrics too, have it answer 200 with the JSON document the selectors read (${showQuery(selector)})`,
      );
    }
    if (res.body === undefined) {
      throw new MetricsError(
        `${where} did not answer JSON (${hideUrlSecrets(snippet(res.text, 120)) || 'empty body'})`,
      );
    }
    return { body: res.body, selector, where, shownUrl };
  }

  async function number(query: string, w: MetricWindow): Promise<number | undefined> {
    const { body, selector, where } = await fetched(query, w);
    const n = selectNumber(body, selector, where);
    const said =
      n === undefined ? endpointSays(body, selector, where, 'the query', w, 'check the selector') : undefined;
    if (said) throw said;
    return n;
  }

  /**
   * A count (whole; a negative one is an error naming the selector); a selector that picks no
   * number is no data, never 0.
   */
  async function count(query: string, w: MetricWindow, what: string): Promise<number> {
    const { body, selector, where, shownUrl } = await fetched(query, w);
    return selectCount(body, selector, what, w, {
      source: 'http-json',
      where,
      document: `the answer of ${shownUrl}`,
      negativeAdvice: COUNT_ADVICE,
    });
  }

  return {
    value: (query, w) => number(query, w),
    requests: (w) => count(config.requests, w, countQueryName(REQUESTS_QUERY)),
    count: (query, w) => count(countQuery(query, config.requests), w, countQueryName(query)),
    async buckets(query, w): Promise<Bucket[] | undefined> {
      const { body, selector, where } = await fetched(query, w);
      return selectBuckets(body, selector, where);
    },
  };
}
