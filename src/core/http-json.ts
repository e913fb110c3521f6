import { request } from 'undici';
import { formatDuration } from '../config/duration.js';
import { safeUrl } from './safe-url.js';

export interface JsonResponse {
  status: number;
  body: unknown;
}

/**
 * One JSON request, answered in full within `timeoutMs` (connecting, the headers and the whole
 * body together: a server trickling a byte at a time cannot stretch it). Network failures, the
 * timeout and non-JSON answers become plain `Error`s whose message names the URL (without
 * credentials or query string, which may hold a secret); callers wrap them in their own error class.
 */
export async function requestJson(
  method: 'GET' | 'PUT' | 'POST',
  url: string,
  body?: unknown,
  timeoutMs = 10_000,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  const signal = AbortSignal.timeout(timeoutMs);
  const failed = (err: unknown) =>
    new Error(
      `${method} ${safeUrl(url)} failed: ${signal.aborted ? `no complete answer within ${formatDuration(timeoutMs)} (timeout)` : (err as Error).message}`,
    );
  let status: number;
  let text: string;
  try {
    const res = await request(url, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    status = res.statusCode;
    text = await res.body.text();
  } catch (err) {
    throw failed(err);
  }
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
