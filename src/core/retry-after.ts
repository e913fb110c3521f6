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
