/**
 * Selectors into a JSON document: a simple dotted and indexed path such as `requests`,
 * `data.slots.canary.error_rate`, `result[0].value[1]`, `series[-1]` (the last item) or
 * `metrics["p99.latency"]` (a key holding dots). Nothing else: no wildcards, no filters.
 */
import { MetricsError } from '../core/errors.js';
import { checkedBuckets } from './bucket-checks.js';
import type { Bucket } from './histogram.js';

export type SelectorPart = { key: string } | { index: number };

const KEY = /^[A-Za-z0-9_$-]+/;
const INDEX = /^\[(-?\d+)\]/;
const QUOTED = /^\["((?:[^"\\]|\\.)*)"\]/;

export const SELECTOR_EXAMPLES = '"requests", "data.canary.error_rate", "result[0].value[1]" or "series[-1]"';

/** The parts of a selector, or the reason it is not one. */
export function parseSelector(selector: string): SelectorPart[] | { problem: string } {
  const parts: SelectorPart[] = [];
  let rest = selector;
  let first = true;
  if (rest === '') return { problem: `empty selector (write a path such as ${SELECTOR_EXAMPLES})` };
  while (rest !== '') {
    const index = INDEX.exec(rest);
    const quoted = index ? null : QUOTED.exec(rest);
    let taken: string;
    if (index) {
      parts.push({ index: Number(index[1]) });
      taken = index[0];
    } else if (quoted) {
      const key = quotedKey(quoted[1] as string);
      if (typeof key !== 'string') return badEscape(selector, rest, key.escape);
      parts.push({ key });
      taken = quoted[0];
    } else {
      if (!first) {
        if (!rest.startsWith('.')) return problemAt(selector, rest);
        rest = rest.slice(1);
      }
      const key = KEY.exec(rest);
      if (!key) return problemAt(selector, rest);
      parts.push({ key: key[0] });
      taken = key[0];
    }
    rest = rest.slice(taken.length);
    first = false;
  }
  return parts;
}

function problemAt(selector: string, rest: string): { problem: string } {
  const at = selector.length - rest.length + 1;
  return {
    problem: `cannot read the selector at character ${at} (${JSON.stringify(rest.slice(0, 20))}); write a path such as ${SELECTOR_EXAMPLES}`,
  };
}

/** A quoted key's text as JSON reads it, or the escape JSON does not know (`\.`). */
function quotedKey(text: string): string | { escape: string } {
  try {
    return JSON.parse(`"${text}"`) as string;
  } catch {
    // JSON knows \" \\ \/ \b \f \n \r \t and \uXXXX; a control character is refused too.
    const unknown = /\\(?!["\\/bfnrt]|u[0-9A-Fa-f]{4})./.exec(text)?.[0];
    return { escape: unknown ?? 'a control character' };
  }
}

function badEscape(selector: string, rest: string, held: string): { problem: string } {
  const at = selector.length - rest.length + 1;
  const what = held.startsWith('\\') ? `the escape ${held}, which JSON does not know` : held;
  return {
    problem: `the quoted key at character ${at} holds ${what}; inside ["..."] the key is a JSON string: write it as it is, a dot without a backslash (metrics["p99.latency"]), escaping only \\" and \\\\`,
  };
}

export function selectorProblem(selector: string): string | undefined {
  const parsed = parseSelector(selector);
  return 'problem' in parsed ? parsed.problem : undefined;
}

/** What the selector points at, or undefined when any step of the path is missing. */
export function select(doc: unknown, selector: string): unknown {
  const parsed = parseSelector(selector);
  if ('problem' in parsed) throw new MetricsError(`selector ${JSON.stringify(selector)}: ${parsed.problem}`);
  let node = doc;
  for (const part of parsed) {
    if ('index' in part) {
      if (!Array.isArray(node)) return undefined;
      node = node[part.index < 0 ? node.length + part.index : part.index];
    } else {
      if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
      if (!Object.hasOwn(node, part.key)) return undefined;
      node = (node as Record<string, unknown>)[part.key];
    }
  }
  return node;
}

/**
 * The number a selector points at: a JSON number or numeric text. Missing, null, empty (or blank)
 * text, NaN and infinite are no data (undefined, SPEC section 4: inconclusive until the deadline);
 * an object, a list or a boolean is a wrong selector.
 */
export function selectNumber(doc: unknown, selector: string, where: string): number | undefined {
  const value = select(doc, selector);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') {
    // An exporter with nothing to report writes "" (Number("") is 0, which no data must never be).
    if (value.trim() === '') return undefined;
    const n = Number(value);
    if (Number.isFinite(n)) return n;
    if (/^[+-]?(nan|inf|infinity)$/i.test(value.trim())) return undefined;
    throw new MetricsError(
      `${where}: ${JSON.stringify(selector)} selects the text ${JSON.stringify(value.slice(0, 40))}, not a number`,
    );
  }
  throw new MetricsError(
    `${where}: ${JSON.stringify(selector)} selects ${kindOf(value)}, not a number; select a number inside it`,
  );
}

const kindOf = (value: unknown) =>
  Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;

/** How a histogram reads in JSON, for messages. */
export const BUCKETS_SHAPE = '[{"le": 0.1, "count": 40}, ..., {"le": "+Inf", "count": 52}]';

/**
 * The cumulative histogram a selector points at: a list of `{"le": <bound>, "count": <n>}`, as
 * Prometheus' `le` buckets (and the sandbox's /metrics.json) have them, ending with `"+Inf"`.
 * Missing, null or an empty list is no data (undefined); anything else that is not such a list is
 * a wrong selector or a wrong document, said so.
 */
export function selectBuckets(doc: unknown, selector: string, where: string): Bucket[] | undefined {
  const value = select(doc, selector);
  if (value === undefined || value === null) return undefined;
  const wrong = (why: string) =>
    new MetricsError(
      `${where}: ${JSON.stringify(selector)} ${why}; a histogram is a list such as ${BUCKETS_SHAPE}`,
    );
  if (!Array.isArray(value)) throw wrong(`selects ${kindOf(value)}, not a list of buckets`);
  if (value.length === 0) return undefined;
  const buckets = value.map((item, i): Bucket => {
    const b = item as { le?: unknown; count?: unknown } | null;
    const le = b?.le === '+Inf' ? '+Inf' : typeof b?.le === 'number' ? b.le : Number.NaN;
    const count = typeof b?.count === 'number' ? b.count : Number.NaN;
    if (le !== '+Inf' && !Number.isFinite(le))
      throw wrong(`has an item ${i} without a number "le" (or "+Inf")`);
    if (!Number.isFinite(count) || count < 0) throw wrong(`has an item ${i} without a "count" of 0 or more`);
    return { le, count };
  });
  const checked = checkedBuckets(buckets);
  if ('problem' in checked) throw wrong(checked.problem);
  return checked.buckets;
}
