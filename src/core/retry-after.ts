import { setTimeout as pause } from 'node:timers/promises';

/**
 * In how many ms a `Retry-After` header (RFC 9110: delay-seconds, or an HTTP date) says to ask
 * again; undefined when absent or unreadable. `dates: false` for headers that only carry seconds
 * (Datadog's `X-RateLimit-Reset`), where a stray word must not parse as a date.
 */
export function retryAfterMs(
  value: string | string[] | undefined,
  now: number,
  { dates = true }: { dates?: boolean } = {},
): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = dates ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * `ask`, asked once more after an answer whose rate limit resets within half of `timeoutMs`
 * (`resetIn`: in how many ms, undefined for an answer that is no 429 or says no reset): a
 * per-second or burst limit is waited out, so the look is answered instead of counting as an
 * error. A later reset is left to the caller (rateLimitedWords).
 */
export async function askAfterRateLimit<T>(
  ask: () => Promise<T>,
  resetIn: (answer: T) => number | undefined,
  timeoutMs: number,
): Promise<T> {
  const first = await ask();
  const waitMs = resetIn(first);
  if (waitMs === undefined || waitMs > timeoutMs / 2) return first;
  await pause(waitMs);
  return ask();
}

/** `rate limited (HTTP 429), retry in 42s (at <ISO time>)`: a limit resetting in `waitMs` from `now`. */
export const rateLimitedWords = (waitMs: number, now: number): string =>
  `rate limited (HTTP 429), retry in ${Math.ceil(waitMs / 1000)}s (at ${new Date(now + waitMs).toISOString()})`;
