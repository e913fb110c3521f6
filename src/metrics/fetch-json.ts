/**
 * One GET to a metrics backend with headers and an overall deadline (connect, headers and body
 * together). Every failure to get an answer becomes a passing `MetricsError` naming the backend
 * (a timeout, no answer, an answer cut off: each passes by itself); the status and body are left
 * to the caller, which knows what its backend's errors look like.
 */
import { request } from 'undici';
import { formatDuration } from '../config/duration.js';
import { MetricsError } from '../core/errors.js';
import { askAfterRateLimit, rateLimitedWords, retryAfterMs } from '../core/retry-after.js';
import { hideUrlSecrets, safeUrl } from '../core/safe-url.js';
import { withUrlCredentials } from '../core/url-credentials.js';
import { RateLimitedError } from './passing-fault.js';

export interface FetchedJson {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body, or undefined when the body is empty or not JSON. */
  body: unknown;
  /** The body as text, for error messages when it is not JSON. */
  text: string;
}

export interface FetchOptions {
  /** Shown in messages: `prometheus`, `datadog`, ... */
  source: string;
  url: string;
  headers?: Record<string, string>;
  timeoutMs: number;
}

export async function fetchJson(opts: FetchOptions): Promise<FetchedJson> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  const where = safeUrl(opts.url);
  const { url, headers } = withUrlCredentials(opts.url, { accept: 'application/json', ...opts.headers });
  // Set once the server has answered: a failure after it is the body cut off, not an unreachable server.
  let status: number | undefined;
  try {
    const res = await request(url, { method: 'GET', headers, signal });
    status = res.statusCode;
    const text = await res.body.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : parseJsonAllowingNaN(text);
    } catch {
      body = undefined;
    }
    return { status: res.statusCode, headers: res.headers, body, text };
  } catch (err) {
    if (signal.aborted && status !== undefined) {
      throw new MetricsError(
        `${opts.source}: ${where} answered HTTP ${status}, but the whole answer did not arrive within ${formatDuration(opts.timeoutMs)} (timeout); is the answer very large, or the timeout too short?`,
        { passing: true },
      );
    }
    if (signal.aborted) {
      throw new MetricsError(
        `${opts.source}: no answer from ${where} within ${formatDuration(opts.timeoutMs)} (timeout); is the server overloaded, or is the timeout too short?`,
        { passing: true },
      );
    }
    const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
    const code = e.code ?? e.cause?.code;
    if (status !== undefined) {
      throw new MetricsError(
        `${opts.source}: ${where} answered HTTP ${status}, but the connection closed before the whole answer arrived (${withCode(code, hideUrlSecrets(e.message))}): the server, or a proxy in between, cut it off; if it keeps happening, check their logs`,
        { passing: true },
      );
    }
    // undici refused to send the request (a header value with a line break): no server was asked,
    // and asking again sends the same header. Its words name the header, never its value.
    if (code === 'UND_ERR_INVALID_ARG') {
      const header = /^invalid (.+) header$/.exec(e.message)?.[1];
      throw new MetricsError(
        header === undefined
          ? `${opts.source}: the request to ${where} could not be sent (${e.message}); check the source's url and headers`
          : `${opts.source}: the request to ${where} could not be sent: the value of its ${header} header is not valid in a header (a line break or NUL character in it, not shown); check the field or secret it comes from`,
      );
    }
    throw new MetricsError(
      `${opts.source}: cannot reach ${where}: ${withCode(code, hideUrlSecrets(e.message))}; check the url and that the server is up`,
      { passing: true },
    );
  }
}

/** Where a 429 says when the limit resets: RFC 9110's Retry-After, or Datadog's X-RateLimit-Reset (seconds until it). */
export type ResetHeader = 'retry-after' | 'x-ratelimit-reset';

/** In how many ms a 429's limit resets: delay-seconds or an HTTP date; undefined when unsaid. */
export function resetInMs(res: FetchedJson, header: ResetHeader, now: number): number | undefined {
  if (res.status !== 429) return undefined;
  return retryAfterMs(res.headers[header], now, { dates: header === 'retry-after' });
}

/**
 * fetchJson, asked once more after a 429 whose limit resets within half the source's timeout (a
 * Datadog per-second limit, a proxy's burst limit): waited out, the look is answered instead of
 * counting as an error. A later reset is left to the caller (rateLimited).
 */
export const fetchJsonAfterRateLimit = (opts: FetchOptions, header: ResetHeader): Promise<FetchedJson> =>
  askAfterRateLimit(
    () => fetchJson(opts),
    (res) => resetInMs(res, header, Date.now()),
    opts.timeoutMs,
  );

/**
 * The error of a 429 that says when its limit resets, too late to wait for within the look: the
 * source, the reset and what to do, and the reset as `until`. Until then the gate does not count
 * the look against its consecutive-error-limit (threshold-gate.ts foldMeasurement). It begins
 * `<source>: rate limited (HTTP 429), retry in 42s (at <ISO time>)`.
 */
export function rateLimited(source: string, waitMs: number, rest: string): RateLimitedError {
  const now = Date.now();
  return new RateLimitedError(`${source}: ${rateLimitedWords(waitMs, now)}${rest}`, now + waitMs);
}

/** `ECONNRESET other side closed`; the message alone when it already names the code (`connect ECONNREFUSED 127.0.0.1:1`). */
function withCode(code: string | undefined, message: string): string {
  return code && !message.includes(code) ? `${code} ${message}` : message;
}

/**
 * JSON.parse, reading the bare `NaN`, `Infinity` and `-Infinity` that Python writes (json.dumps,
 * Flask's jsonify) as those numbers: the selectors take a non-finite number for no data, as the
 * docs promise. Text invalid for another reason throws JSON.parse's own SyntaxError.
 */
export function parseJsonAllowingNaN(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const spliced = spliceNonFinite(text);
    if (spliced === undefined) throw err;
    try {
      return JSON.parse(spliced, (_key, value) =>
        typeof value === 'string' && NON_FINITE.has(value) ? NON_FINITE.get(value) : value,
      );
    } catch {
      throw err;
    }
  }
}

/** Strings standing for the bare tokens while JSON.parse reads the rest; a NUL begins no metric's text. */
const NON_FINITE = new Map([
  ['\u0000NaN', Number.NaN],
  ['\u0000Infinity', Number.POSITIVE_INFINITY],
  ['\u0000-Infinity', Number.NEGATIVE_INFINITY],
]);

/** A bare NaN / Infinity / -Infinity where a JSON value may stand, never inside a word or string. */
export const NON_FINITE_TOKEN = /(?<![\w$.])(?:-?Infinity|NaN)(?![\w$])/y;

/** `text` with each bare NaN / Infinity / -Infinity outside strings as its placeholder; undefined when none. */
function spliceNonFinite(text: string): string | undefined {
  let out = '';
  let inString = false;
  let found = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (inString) {
      out += c;
      if (c === '\\') out += text.charAt(++i);
      else if (c === '"') inString = false;
      continue;
    }
    NON_FINITE_TOKEN.lastIndex = i;
    const token = NON_FINITE_TOKEN.exec(text)?.[0];
    if (token === undefined) {
      if (c === '"') inString = true;
      out += c;
      continue;
    }
    out += JSON.stringify(`\u0000${token}`);
    found = true;
    i += token.length - 1;
  }
  return found ? out : undefined;
}
