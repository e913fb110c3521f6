/**
 * One GET to a metrics backend with headers and an overall deadline (connect, headers and body
 * together). Every failure to get an answer becomes a `MetricsError` naming the backend; the
 * status and body are left to the caller, which knows what its backend's errors look like.
 */
import { request } from 'undici';
import { formatDuration } from '../config/duration.js';
import { MetricsError } from '../core/errors.js';
import { hideUrlSecrets, safeUrl } from '../core/safe-url.js';
import { withUrlCredentials } from '../core/url-credentials.js';

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
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.statusCode, headers: res.headers, body, text };
  } catch (err) {
    if (signal.aborted && status !== undefined) {
      throw new MetricsError(
        `${opts.source}: ${where} answered HTTP ${status}, but the whole answer did not arrive within ${formatDuration(opts.timeoutMs)} (timeout); is the answer very large, or the timeout too short?`,
      );
    }
    if (signal.aborted) {
      throw new MetricsError(
        `${opts.source}: no answer from ${where} within ${formatDuration(opts.timeoutMs)} (timeout); is the server overloaded, or is the timeout too short?`,
      );
    }
    const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
    const code = e.code ?? e.cause?.code;
    if (status !== undefined) {
      throw new MetricsError(
        `${opts.source}: ${where} answered HTTP ${status}, but the connection closed before the whole answer arrived (${withCode(code, hideUrlSecrets(e.message))}): the server, or a proxy in between, cut it off; if it keeps happening, check their logs`,
      );
    }
    throw new MetricsError(
      `${opts.source}: cannot reach ${where}: ${withCode(code, hideUrlSecrets(e.message))}; check the url and that the server is up`,
    );
  }
}

/** `ECONNRESET other side closed`; the message alone when it already names the code (`connect ECONNREFUSED 127.0.0.1:1`). */
function withCode(code: string | undefined, message: string): string {
  return code && !message.includes(code) ? `${code} ${message}` : message;
}
