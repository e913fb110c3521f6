import { z } from 'zod';
import { DURATION_PATTERN, POSITIVE_DURATION_PATTERN, parseDuration } from './duration.js';
import { bareNumberDuration, notADuration } from './duration-input.js';
import { describeValue, didYouMeanHint, listOf, unknownKeyMessage } from './messages.js';
import { PERCENT_AT_MOST_100_PATTERN, PERCENT_PATTERN, parsePercent } from './percent.js';
import { relativePathProblem } from './relative-path.js';

/** Building blocks shared by the parts of the configuration schema. */

export const always = { when: () => true };

export type Loose = Record<string, unknown>;
export const asRecord = (value: unknown): Loose | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Loose) : undefined;
export const finite = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

/**
 * A mapping that refuses unknown keys, with a "did you mean" hint for near misses. `elsewhere`
 * says where a key of a sibling mapping belongs (`bake-duration` on a canary is a blue-green's).
 */
export function strict<S extends z.core.$ZodLooseShape>(
  shape: S,
  elsewhere?: (key: string) => string | undefined,
) {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? // One line per key; parseConfig splits them and points at each key.
          issue.keys.map((key) => elsewhere?.(key) ?? unknownKeyMessage(key, allowed)).join('\n')
        : undefined,
  });
}

/** The message for an unknown or missing `type:` / `kind:` of a discriminated union. */
export function unknownVariant(noun: string) {
  return (issue: z.core.$ZodRawIssue): string | undefined => {
    if (issue.code !== 'invalid_union' || !('discriminator' in issue)) return undefined;
    const options = (issue as { options?: unknown[] }).options ?? [];
    const found = asRecord(issue.input)?.[String(issue.discriminator)];
    if (found === undefined) return `required (${noun}: ${listOf(options)})`;
    const hint = didYouMeanHint(found, options);
    return `unknown ${noun} ${describeValue(found)}${hint || ` (known: ${listOf(options)})`}`;
  };
}

/** Text such as `10m` -> milliseconds, more than zero (the published schema's pattern refuses `0s` too). */
export function duration(description: string) {
  return z
    .string({
      error: (issue) => (typeof issue.input === 'number' ? bareNumberDuration(issue.input) : undefined),
    })
    .regex(DURATION_PATTERN, { error: (issue) => notADuration(String(issue.input)) })
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined || ms === 0) {
        ctx.issues.push({
          code: 'custom',
          input: text,
          message: `expected a duration longer than 0s and shorter than a lifetime, got ${describeValue(text)}`,
        });
        return z.NEVER;
      }
      return ms;
    })
    .meta({ description, pattern: POSITIVE_DURATION_PATTERN.source });
}

/**
 * Text such as `10%` -> 0.1. Bare numbers are refused: `10` and `0.1` are both plausible.
 * A `max` of 1 (100%) is also published as the schema's pattern; no field has another maximum.
 */
export function percent(description: string, max?: number) {
  return z
    .string({
      error: (issue) => {
        if (typeof issue.input !== 'number') return undefined;
        const n = issue.input;
        const asFraction =
          n > 0 && n < 1 ? ` (or "${Number((n * 100).toPrecision(12))}%" if ${n} is a fraction)` : '';
        return `expected a percentage such as "10%", got the bare number ${n}; write "${n}%"${asFraction}`;
      },
    })
    .regex(PERCENT_PATTERN, {
      error: (issue) => `expected a percentage such as "10%" or "12.5%", got ${describeValue(issue.input)}`,
    })
    .transform((text, ctx) => {
      const fraction = parsePercent(text) ?? Number.NaN;
      if (max !== undefined && fraction > max) {
        ctx.issues.push({
          code: 'custom',
          input: text,
          message: `expected a percentage of at most ${max * 100}%, got ${describeValue(text)}`,
        });
        return z.NEVER;
      }
      return fraction;
    })
    .meta({ description, ...(max === 1 ? { pattern: PERCENT_AT_MOST_100_PATTERN.source } : {}) });
}

/** A file in the repository: relative, without `..`. */
export function repoPath(description: string) {
  return z
    .string()
    .superRefine((path, ctx) => {
      const problem = relativePathProblem(path);
      if (problem) {
        ctx.addIssue({
          code: 'custom',
          input: path,
          message: `expected a path relative to the repository root without "..", got ${describeValue(path)} (it ${problem})`,
        });
      }
    })
    .describe(description);
}

export const DOTTED_KEY = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export function dottedKey(description: string) {
  return z
    .string()
    .regex(DOTTED_KEY, {
      error: (issue) =>
        `expected a key or a dotted path such as "model.version" (letters, digits, _ and - between dots), got ${describeValue(issue.input)}`,
    })
    .describe(description);
}

/** Whether `text` parses as an http:// or https:// URL. */
export function isHttpUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

export const httpUrl = z
  .string()
  .superRefine((text, ctx) => {
    if (!isHttpUrl(text)) {
      // `$NAME` is how a shell reads a variable; this file reads only `${NAME}`.
      const shell = /^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(text)?.[1];
      const hint = shell ? `: write "\${${shell}}" to read ${shell} from the environment` : '';
      ctx.addIssue({
        code: 'custom',
        input: text,
        message: `expected an http:// or https:// URL, got ${describeValue(text)}${hint}`,
      });
    }
  })
  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${NAME} is config syntax, not a template
  .describe('Base URL (http or https); "${NAME}" reads it from the environment.');

export const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const MODEL_NAME_RULE =
  "lowercase letters, digits, '-', '_' and '.', 1-63 characters, starting with a letter or digit";

export const modelName = z.string().regex(MODEL_NAME, {
  error: (issue) => `invalid model name ${describeValue(issue.input)} (${MODEL_NAME_RULE})`,
});

export const servedModelName = z
  .string()
  .regex(MODEL_NAME, {
    error: (issue) => `expected a model name (${MODEL_NAME_RULE}), got ${describeValue(issue.input)}`,
  })
  .describe("Name of the model on the platform; defaults to the model's key under `models:`.");

export const limit = (description: string) => z.int().min(0).describe(description);

/** A value an HTTP header can carry: no line break, no NUL (undici refuses the request). */
export const ONE_LINE = /^[^\r\n\0]*$/;

/**
 * Why a value sent in a header is not one line, never showing it (it may be a secret from the
 * environment). A trailing line break is the common case: `gh secret set NAME < file` keeps it.
 */
export function notOneLine(what: string, value: unknown): string {
  const expected = `expected ${what} on one line`;
  if (typeof value !== 'string') return expected;
  return /[\r\n]$/.test(value)
    ? `${expected}, but the value (not shown) ends with a newline, as a secret set from a file with "gh secret set NAME < file" does: set it again without one (gh secret set NAME --body "$(cat file)")`
    : `${expected}, but the value (not shown) has a line break or NUL character in it`;
}

/**
 * `Name: value` pairs sent with every request: names are HTTP tokens, values one line. Values
 * from "${NAME}" come from the environment and are masked in the action's logs.
 */
export function httpHeaders(description: string) {
  return z
    .record(
      z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, {
        error: (issue) => `expected an HTTP header name, got ${describeValue(issue.input)}`,
      }),
      z.string().regex(ONE_LINE, { error: (issue) => notOneLine('a header value', issue.input) }),
    )
    .describe(description);
}
