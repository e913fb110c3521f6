import { z } from 'zod';
import { fractionHint, parsePercent } from './percent.js';

/** A path into the config as users read it: `models.fraud.strategy.steps[2]`. */
export type ConfigPath = readonly PropertyKey[];

/** Longer than any name the config allows (model and gate names: 63 characters). */
const MAX_SEGMENT = 64;

export function formatPath(path: ConfigPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else {
      const key = String(segment);
      // A key longer than any real one is cut, as values are: one problem stays one readable line.
      if (/^[A-Za-z0-9_.-]+$/.test(key) && key.length <= MAX_SEGMENT) text += text ? `.${key}` : key;
      else text += `[${quote(key, MAX_SEGMENT)}]`;
    }
  }
  return text;
}

/** A value from the file shown safely in one line: strings quoted, escaped and truncated. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

/** JSON-style quoting, at most `max` characters of the value, non-ASCII and control characters escaped. */
export function quote(text: string, max = 40): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  const json = JSON.stringify(cut).replace(
    /[^\x20-\x7e…]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return text.length > max ? `${json} (${text.length} characters)` : json;
}

/** The allowed word closest to a near miss (`step_duration` -> `step-duration`), if any. */
export function didYouMean(found: string, allowed: readonly string[]): string | undefined {
  const norm = (s: string) =>
    s
      .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
      .toLowerCase()
      .replace(/[_\s]/g, '-');
  const target = norm(found);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const word of allowed) {
    const d = norm(word) === target ? 0 : editDistance(target, norm(word));
    if (d < bestDistance) {
      best = word;
      bestDistance = d;
    }
  }
  const tolerance = Math.max(1, Math.floor(target.length / 4));
  return best !== undefined && bestDistance <= tolerance ? best : undefined;
}

/** `, did you mean "rollback"?` after a value one slip from a word of a fixed list, else ''. */
export function didYouMeanHint(found: unknown, allowed: readonly unknown[]): string {
  if (typeof found !== 'string') return '';
  const hint = didYouMean(
    found,
    allowed.filter((word): word is string => typeof word === 'string'),
  );
  return hint === undefined ? '' : `, did you mean "${hint}"?`;
}

/** Edits between two words, a swap of neighbours (`wacth`) counting as one. */
function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const curr = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      curr[j] = Math.min((prev[j] ?? 0) + 1, (curr[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        curr[j] = Math.min(curr[j] ?? 0, (before[j - 2] ?? 0) + 1);
    }
    before = prev;
    prev = curr;
  }
  return prev[b.length] ?? 0;
}

export function unknownKeyMessage(key: string, allowed: readonly string[]): string {
  const hint = didYouMean(key, allowed);
  return hint ? `unknown key, did you mean "${hint}"?` : `unknown key (allowed: ${allowed.join(', ')})`;
}

/** `"a", "b" or "c"`. */
export function listOf(values: readonly unknown[]): string {
  const shown = values.map((v) => (typeof v === 'string' ? `"${v}"` : String(v)));
  if (shown.length <= 1) return shown.join('');
  return `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)}`;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
};

/**
 * Messages for the issues zod raises itself, in the config's voice: "expected X, got Y".
 * Schemas with something more specific to say carry their own `error`.
 */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return requiredMessage(issue.inst);
      // zod reports text in a z.int() field as expecting a number: the field wants a whole one.
      const whole = isWholeNumberField(issue.inst);
      const expected = `expected ${whole ? EXPECTED.int : (EXPECTED[issue.expected] ?? issue.expected)}, got ${describeValue(issue.input)}`;
      // Number fields hold fractions or the metric's own unit, never percent text: say what to write.
      // Not a whole-number field (a count): the fraction would be refused in turn.
      const fraction =
        issue.expected === 'number' && !whole && typeof issue.input === 'string'
          ? parsePercent(issue.input)
          : undefined;
      return fraction === undefined ? expected : `${expected}: write ${fraction} for ${issue.input}`;
    }
    case 'invalid_value': {
      const hint = didYouMeanHint(issue.input, issue.values);
      if (hint) return `unknown value ${describeValue(issue.input)}${hint}`;
      return `expected ${issue.values.length === 1 ? '' : 'one of '}${listOf(issue.values)}, got ${describeValue(issue.input)}`;
    }
    case 'too_small': {
      const op = issue.inclusive === false ? 'more than' : 'at least';
      if (issue.origin === 'array')
        return `expected ${op} ${issue.minimum} items, got ${countOf(issue.input)}`;
      if (issue.origin === 'string')
        return `expected ${op} ${issue.minimum} characters, got ${describeValue(issue.input)}`;
      return `expected a number ${op} ${issue.minimum}, got ${describeValue(issue.input)}`;
    }
    case 'too_big': {
      const op = issue.inclusive === false ? 'less than' : 'at most';
      if (issue.origin === 'array')
        return `expected ${op} ${issue.maximum} items, got ${countOf(issue.input)}`;
      if (issue.origin === 'string')
        return `expected ${op} ${issue.maximum} characters, got ${describeValue(issue.input)}`;
      return `expected a number ${op} ${issue.maximum}, got ${describeValue(issue.input)}`;
    }
    case 'invalid_format':
      return `expected text matching ${issue.pattern ?? issue.format}, got ${describeValue(issue.input)}`;
    case 'invalid_union':
      return `expected one of the allowed forms, got ${describeValue(issue.input)}`;
    case 'invalid_key':
      return issue.issues[0]?.message ?? `invalid key ${describeValue(issue.input)}`;
    default:
      return undefined;
  }
};

/** Whether the schema that raised an issue is a whole-number one (`z.int()`: format `safeint`). */
function isWholeNumberField(inst: z.core.$ZodRawIssue['inst']): boolean {
  const format = (inst?._zod.def as { format?: unknown } | undefined)?.format;
  return typeof format === 'string' && format.includes('int');
}

/** Longest description kept whole after "required: "; a longer one is cut before its first clause or example. */
const MAX_SUMMARY = 100;

/**
 * `required: Kubernetes namespace`: what the field holds, from the description editors show on
 * hover, cut to its first sentence (and a long one to its first clause) so the problem stays a
 * short line.
 */
function requiredMessage(inst: z.core.$ZodRawIssue['inst']): string {
  const description = inst && z.globalRegistry.get(inst as z.core.$ZodType)?.description;
  return description ? `required: ${summary(description)}` : 'required';
}

function summary(description: string): string {
  // Up to the first full stop that ends a sentence: not an "e.g." or "i.e.", nor a decimal point.
  const sentence = description.split(/(?<!\b(?:e\.g|i\.e))\.(?:\s+(?=[A-Z`"])|\s*$)/)[0] ?? description;
  if (sentence.length <= MAX_SUMMARY) return sentence;
  const clause = sentence.split(/[;:]\s|,\s+e\.g\./)[0] ?? sentence;
  // A cut inside brackets drops them: "… out of (default on the sandbox" reads as a mistake.
  const open = clause.lastIndexOf('(');
  return open > clause.lastIndexOf(')') ? clause.slice(0, open).trimEnd() : clause;
}

function countOf(input: unknown): string {
  return Array.isArray(input) ? `${input.length}` : describeValue(input);
}

/**
 * For a config field that is a fraction (alpha, a quantile, a share) capped at 1: `5` there was
 * meant as 5%, so the message says what to write.
 */
export const fractionErrorMap: z.core.$ZodErrorMap = (issue) => {
  const message = configErrorMap(issue);
  const hint =
    issue.code === 'too_big' && typeof issue.input === 'number' ? fractionHint(issue.input) : undefined;
  return hint && typeof message === 'string' ? `${message}: ${hint}` : message;
};
