/**
 * Durations as users write them: `500ms`, `30s`, `10m`, `1h`, `1h30m`, `2d`.
 * Units run from days down to milliseconds, each at most once, whole numbers only.
 */
const UNITS = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
] as const;

/** The accepted syntax, also published in the JSON Schema. */
export const DURATION_PATTERN = /^(?=\d)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** The syntax of a duration longer than zero (a digit other than 0 somewhere), for the JSON Schema. */
export const POSITIVE_DURATION_PATTERN = new RegExp(`^(?=.*[1-9])${DURATION_PATTERN.source.slice(1)}`);

/** Milliseconds, or undefined when the text is not a duration (or too large to be exact). */
export function parseDuration(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text);
  if (!match) return undefined;
  let total = 0;
  UNITS.forEach(([, factor], i) => {
    const digits = match[i + 1];
    if (digits !== undefined) total += Number(digits) * factor;
  });
  return Number.isSafeInteger(total) ? total : undefined;
}

/** The shortest form `parseDuration` reads back: 600000 -> `10m`, 90000 -> `1m30s`, 0 -> `0s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  let rest = Math.round(Math.abs(ms));
  if (rest === 0) return '0s';
  let text = ms < 0 ? '-' : '';
  for (const [unit, factor] of UNITS) {
    const n = Math.floor(rest / factor);
    if (n > 0) {
      text += `${n}${unit}`;
      rest -= n * factor;
    }
  }
  return text;
}

/**
 * A measured time for a message (how long a call was retried, what a deadline left of it): whole
 * seconds from 1s up (`1s`, `6s`, `1m30s`), milliseconds only below (`250ms`). A clock's reading
 * shown whole (`1s6ms`, `5625ms`) reads like a setting nobody wrote. Configured values keep
 * formatDuration, which shows them exactly as they read back.
 */
export function formatElapsed(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  return formatDuration(Math.abs(ms) < 999.5 ? ms : Math.round(ms / 1000) * 1000);
}
