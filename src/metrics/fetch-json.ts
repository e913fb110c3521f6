/**
 * One GET to a metrics backend with headers and an overall deadline (connect, headers and body
 * together). Every failure to get an answer becomes a `MetricsError` naming the backend; the
 * status and body are left to the caller, which knows what its backend's errors look like.
 */
import { request } from 'undici';
import { formatDuration } from '../config/duration.js';
import { MetricsError } from '../core/errors.js';
import { safeUrl } from '../core/safe-url.js';

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
  try {
    const res = await request(opts.url, {
      method: 'GET',
      headers: { accept: 'application/json', ...opts.headers },
      signal,
    });
    const text = await res.body.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.statusCode, headers: res.headers, body, text };
  } catch (err) {
    if (signal.aborted) {
      throw new MetricsError(
        `${opts.source}: no answer from ${where} within ${formatDuration(opts.timeoutMs)} (timeout); is the server overloaded, or is the timeout too short?`,
      );
    }
    const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
    const code = e.code ?? e.cause?.code;
    throw new MetricsError(
      `${opts.source}: cannot reach ${where}: ${code ? `${code} ` : ''}${e.message}; check the url and that the server is up`,
    );
  }
}

/** The first part of a body for an error message, on one line. */
export function snippet(text: string, max = 200): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}...` : line;
}

/** A query for a message: on one line, shortened. */
export function showQuery(query: string): string {
  return JSON.stringify(snippet(query, 160));
}
