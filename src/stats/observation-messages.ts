/**
 * The messages of an observation log (docs/observations.md) in the words the config's errors use
 * (src/config/messages.ts). The parts of `observationSchema` carry them; `observationProblems`
 * lists a failed parse as `field: message` lines: `split: required for kind "srm"`.
 */
import { z } from 'zod';
import { describeValue, formatPath, listOf, unknownKeyMessage } from '../config/messages.js';

type ErrorFn = (issue: z.core.$ZodRawIssue) => string | undefined;

/** The message for a field that `kind` needs and the line left out. */
export const requiredFor =
  (kind: string): ErrorFn =>
  (issue) =>
    issue.input === undefined ? `required for kind "${kind}"` : undefined;

/** The unknown keys of a mapping, one line a key (`observationProblems` splits them). */
const unknownKeys =
  (message: (key: string) => string): ErrorFn =>
  (issue) =>
    issue.code === 'unrecognized_keys' ? issue.keys.map(message).join('\n') : undefined;

/** A mapping that refuses unknown keys, naming the near miss; `missing` speaks when it is absent. */
export function mapping<S extends z.core.$ZodLooseShape>(shape: S, missing?: ErrorFn) {
  const allowed = Object.keys(shape);
  const unknown = unknownKeys((key) => unknownKeyMessage(key, allowed));
  return z.strictObject(shape, { error: (issue) => unknown(issue) ?? missing?.(issue) });
}

/** One of the forms of a `oneOf` mapping: the form may not be the one meant, so no hint. */
export function form<S extends z.core.$ZodLooseShape>(shape: S) {
  return z.strictObject(shape, { error: unknownKeys(() => 'unknown key') });
}

/**
 * A value of one of several forms: `expected a number or a string, got true`. A mapping that
 * fits none is told what is wrong with it in the form it comes closest to (`observationProblems`).
 */
export function oneOf<const T extends readonly z.core.SomeType[]>(options: T) {
  return z.union(options, {
    error: (issue) => {
      if (issue.code !== 'invalid_union') return undefined;
      if (issue.input === undefined) return 'required';
      const forms = issue.errors.map((alt) => /^expected (.*), got /.exec(alt[0]?.message ?? '')?.[1]);
      return forms.every(Boolean)
        ? `expected ${forms.join(' or ')}, got ${describeValue(issue.input)}`
        : undefined;
    },
  });
}

/** The messages of the `kind:` union: a line that is no object, a missing or unknown kind. */
export const kindError: ErrorFn = (issue) => {
  if (issue.code === 'invalid_type') return `expected a JSON object, got ${describeValue(issue.input)}`;
  if (issue.code !== 'invalid_union' || !('discriminator' in issue)) return undefined;
  const kinds = listOf((issue as { options?: unknown[] }).options ?? []);
  const kind = (issue.input as Record<string, unknown>)[String(issue.discriminator)];
  return kind === undefined
    ? `required, one of ${kinds}`
    : `expected one of ${kinds}, got ${describeValue(kind)}`;
};

/** The issues of a parse run with `reportInput: true` as `field: message` lines. */
export function observationProblems(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues
    .flatMap((issue) => problems(issue, []))
    .map(({ path, message }) => (path.length ? `${formatPath(path)}: ${message}` : message));
}

function problems(
  issue: z.core.$ZodIssue,
  at: readonly PropertyKey[],
): { path: readonly PropertyKey[]; message: string }[] {
  const path = [...at, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0 && isMapping(issue.input)) {
    // A mapping of the wrong shape: what is wrong with it in the form it comes closest to.
    const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
    return closest.flatMap((inner) => problems(inner, path));
  }
  if (issue.code === 'unrecognized_keys') {
    const lines = issue.message.split('\n');
    return issue.keys.map((key, i) => ({ path: [...path, key], message: lines[i] ?? 'unknown key' }));
  }
  return [{ path, message: issue.message }];
}

const isMapping = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);
