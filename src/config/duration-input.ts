import { parseDuration } from './duration.js';
import { quote } from './messages.js';

/**
 * A time limit typed as text (the action's `max-wait` input, `run --max-wait`): milliseconds, or
 * why it is refused, with the config's words for a bare number. Kept free of the config schema
 * (zod), which the command line loads only once its arguments are checked.
 */
export function readTimeLimit(text: string): { ms: number } | { problem: string } {
  if (/^\d+(?:\.\d+)?$/.test(text)) return { problem: bareNumberDuration(Number(text)) };
  const ms = parseDuration(text);
  if (ms === undefined) return { problem: `${quote(text)} is not a duration like 30m or 5h` };
  if (ms === 0) return { problem: `${quote(text)} must be longer than 0` };
  return { ms };
}

/** The examples a duration message gives, as the config's `duration` fields give them. */
export const DURATION_EXAMPLES = '"500ms", "30s", "10m", "1h30m" or "2d"';

/** What a duration field says of a number without a unit (`10`): seconds or minutes, nobody can tell. */
export const bareNumberDuration = (n: number): string =>
  `expected a duration such as ${DURATION_EXAMPLES}, got the bare number ${n} (add a unit: ms, s, m, h or d)`;
