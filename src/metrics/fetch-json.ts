/**
 * One GET to a metrics backend with headers and an overall deadline (connect, headers and body
 * together). Every failure to get an answer becomes a `MetricsError` naming the backend; the
 * status and body are left to the caller, which knows what its backend's errors look like.
 */
import { request } from 'undici';
import { formatDuration } from '../config/duration.js';
import { MetricsError } from '../core/errors.js';
import { hideUrlSecrets, safeUrl } from '../core/safe-url.js';

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
  try {
    const res = await request(url, { method: 'GET', headers, signal });
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
      `${opts.source}: cannot reach ${where}: ${code ? `${code} ` : ''}${hideUrlSecrets(e.message)}; check the url and that the server is up`,
    );
  }
}

/**
 * `https://user:token@host/...` (as Grafana Cloud hands them out) as the URL without its
 * credentials plus an `Authorization: Basic` header: undici sends no userinfo, so the server
 * would see no credentials at all. A header the user set (`headers: { Authorization: ... }`)
 * wins.
 */
function withUrlCredentials(
  raw: string,
  headers: Record<string, string>,
): { url: string; headers: Record<string, string> } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { url: raw, headers };
  }
  if (u.username === '' && u.password === '') return { url: raw, headers };
  // userinfo is percent-encoded in a URL; Basic takes the text itself (RFC 7617).
  const user = decoded(u.username);
  const password = decoded(u.password);
  u.username = '';
  u.password = '';
  const hasAuthorization = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
  if (hasAuthorization) return { url: u.toString(), headers };
  const basic = Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
  return { url: u.toString(), headers: { ...headers, authorization: `Basic ${basic}` } };
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a stray `%` is the character itself
  }
}
