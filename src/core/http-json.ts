import { request } from 'undici';
import { formatDuration } from '../config/duration.js';
import { safeUrl } from './safe-url.js';

export interface JsonResponse {
  status: number;
  body: unknown;
}

/** An answer read as text, whatever its format: a smoke test judges its status, not its body. */
export interface TextResponse {
  status: number;
  text: string;
  /** The `location` header of a redirect (model-gate follows none), as sent: it may be relative. */
  location?: string;
  /** The `retry-after` header, as sent (seconds or an HTTP date): a 429's reset. */
  retryAfter?: string;
}

/**
 * One request, answered in full within `timeoutMs` (connecting, the headers and the whole
 * body together: a server trickling a byte at a time cannot stretch it). A JSON `body` is sent
 * as JSON. Network failures and the timeout become plain `Error`s whose message names the URL
 * (without credentials or query string, which may hold a secret); callers wrap them in their own
 * error class. Redirects are not followed.
 */
export async function requestText(
  method: 'GET' | 'PUT' | 'POST',
  url: string,
  body?: unknown,
  timeoutMs = 10_000,
  headers: Record<string, string> = {},
): Promise<TextResponse> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await request(url, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    const text = await res.body.text();
    const { location, 'retry-after': retryAfter } = res.headers;
    return {
      status: res.statusCode,
      text,
      ...(typeof location === 'string' ? { location } : {}),
      ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
    };
  } catch (err) {
    throw new Error(
      `${method} ${safeUrl(url)} failed: ${signal.aborted ? `no complete answer within ${formatDuration(timeoutMs)} (timeout)` : (err as Error).message}`,
    );
  }
}

/** One JSON request, as requestText sends it; an answer that is not JSON is an `Error` too (statusOfNotJson). */
export async function requestJson(
  method: 'GET' | 'PUT' | 'POST',
  url: string,
  body?: unknown,
  timeoutMs = 10_000,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  const { status, text } = await requestText(method, url, body, timeoutMs, headers);
  try {
    return { status, body: text ? JSON.parse(text) : undefined };
  } catch {
    const err = new Error(`${method} ${safeUrl(url)} answered ${status} with a body that is not JSON`);
    throw Object.assign(err, { [NOT_JSON_STATUS]: status });
  }
}

const NOT_JSON_STATUS = Symbol('status of an answer that is not JSON');

/**
 * The HTTP status of an answer requestJson threw on because its body is not JSON (a proxy's
 * HTML 401, say), for a caller that words a refusal itself; undefined for any other error.
 */
export function statusOfNotJson(err: unknown): number | undefined {
  const status = (err as { [NOT_JSON_STATUS]?: unknown } | undefined)?.[NOT_JSON_STATUS];
  return typeof status === 'number' ? status : undefined;
}

/** The `error` field of a JSON error body, or the status. */
export function errorText(res: JsonResponse): string {
  const message = (res.body as { error?: unknown } | undefined)?.error;
  return typeof message === 'string' ? message : `HTTP ${res.status}`;
}

/** errorText of an answer read as text: the `error` field where the body is JSON, else the status. */
export function textErrorText(res: TextResponse): string {
  return errorText({ status: res.status, body: parsedOrUndefined(res.text) });
}

/** The JSON a text holds, or undefined where it holds none; `parse` for a laxer reader. */
export function parsedOrUndefined(text: string, parse: (text: string) => unknown = JSON.parse): unknown {
  try {
    return text ? parse(text) : undefined;
  } catch {
    return undefined;
  }
}
