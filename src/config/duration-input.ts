import { formatDuration, parseDuration } from './duration.js';
import { quote } from './messages.js';

/**
 * A time limit typed as text (the action's `max-wait` input, `run --max-wait`): milliseconds, or
 * why it is refused, in the words of the config's duration fields. Kept free of the config schema
 * (zod), which the command line loads only once its arguments are checked.
 */
export function readTimeLimit(text: string): { ms: number } | { problem: string } {
  if (/^\d+(?:\.\d+)?$/.test(text)) return { problem: bareNumberDuration(Number(text)) };
  const ms = parseDuration(text);
  if (ms === undefined) return { problem: notADuration(text) };
  if (ms === 0) return { problem: noTimeAtAll(text) };
  return { ms };
}

/** The examples a duration message gives, as the config's `duration` fields give them. */
export const DURATION_EXAMPLES = '"500ms", "30s", "10m", "1h30m" or "2d"';

/** What a duration field says of a number without a unit (`10`): seconds or minutes, nobody can tell. */
export const bareNumberDuration = (n: number): string =>
  `expected a duration such as ${DURATION_EXAMPLES}, got the bare number ${n} (add a unit: ms, s, m, h or d)`;

/**
 * A limit of no time (`0s`): worded as the other durations, with what to write instead. Nobody
 * wants a watch that ends before it looks; one who wants no wait at all wants a tick.
 */
const noTimeAtAll = (text: string): string =>
  `expected a duration longer than 0s, such as ${DURATION_EXAMPLES}, got ${quote(text)}: give the longest the run may watch, or use mode tick for one pass that does not wait`;

/** What a duration field says of text that is no duration, with the likely fix: `10min` -> `10m`. */
export function notADuration(text: string): string {
  const fix = likelyDuration(text);
  return `expected a duration such as ${DURATION_EXAMPLES}, got ${quote(text)}${fix ? `: write "${fix}"` : ''}`;
}

/** Unit words as people write them, to the unit a duration takes. */
const UNIT_WORDS: [RegExp, string][] = [
  [/^(?:ms|msecs?|millis(?:econds?)?)$/, 'ms'],
  [/^(?:s|secs?|seconds?)$/, 's'],
  [/^(?:m|mins?|minutes?)$/, 'm'],
  [/^(?:h|hrs?|hours?)$/, 'h'],
  [/^(?:d|days?)$/, 'd'],
];

/** The unit after each unit, for a trailing bare number: `1h30` is 1h30m. */
const NEXT_UNIT: Record<string, string> = { d: 'h', h: 'm', m: 's', s: 'ms' };

/**
 * The duration `text` most likely means (`10 m`, `10min`, `1h30`, `1.5h` -> `10m`, `10m`,
 * `1h30m`, `1h30m`), or undefined when nothing longer than zero reads out of it.
 */
function likelyDuration(text: string): string | undefined {
  const parts = [...text.toLowerCase().matchAll(/(\d+(?:\.\d+)?)\s*([a-z]*)\s*/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.toLowerCase().trim()) return undefined;
  let ms = 0;
  let previous: string | undefined;
  for (const [, digits, word] of parts) {
    const unit = word
      ? UNIT_WORDS.find(([pattern]) => pattern.test(word ?? ''))?.[1]
      : previous && NEXT_UNIT[previous];
    if (unit === undefined) return undefined;
    ms += Number(digits) * (parseDuration(`1${unit}`) ?? Number.NaN);
    previous = unit;
  }
  if (!Number.isSafeInteger(ms) || ms <= 0) return undefined;
  const fix = formatDuration(ms);
  return fix === text ? undefined : fix;
}
