import { request } from 'undici';
import { safeUrl } from './safe-url.js';

export interface JsonResponse {
  status: number;
  body: unknown;
}

/**
 * One JSON request with a timeout. Network failures and non-JSON answers become plain
 * `Error`s whose message names the URL (without credentials or query string, which may hold a
 * secret); callers wrap them in their own error class.
 */
export async function requestJson(
  method: 'GET' | 'PUT' | 'POST',
  url: string,
  body?: unknown,
  timeoutMs = 10_000,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(url, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  } catch (err) {
    throw new Error(`${method} ${safeUrl(url)} failed: ${(err as Error).message}`);
  }
  const text = await res.body.text();
  try {
    return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
  } catch {
    throw new Error(`${method} ${safeUrl(url)} answered ${res.statusCode} with a body that is not JSON`);
  }
}

/** The `error` field of a JSON error body, or the status. */
export function errorText(res: JsonResponse): string {
  const message = (res.body as { error?: unknown } | undefined)?.error;
  return typeof message === 'string' ? message : `HTTP ${res.status}`;
}
