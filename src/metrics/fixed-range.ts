/**
 * Range selectors with a written-out duration (`[5m]`, `[1h30m]`, a subquery's `[5m:30s]`) in a
 * PromQL count or bucket query. Such a query is evaluated at each look, so `[5m]` reads the last
 * 5 minutes whatever the step: early in a step that is before the step began, when the slot
 * served the version before (measured: a candidate at 1% errors read 17.5% from its predecessor's
 * 30% two minutes into the step and failed ×17) or another traffic share (counts and srm off).
 * `[{{window}}]` is the step so far. A fixed range nested in a subquery over `{{window}}`
 * (`max_over_time(rate(x[1m])[{{window}}:])`) stays within the step and is not reported.
 */

/** One range (`[...]`) outside strings and comments, with the expression it applies to. */
interface Range {
  /** Index of `[` and of `]`. */
  open: number;
  close: number;
  /** Where the selector or expression it ranges over starts (a subquery's `(`, a metric name). */
  operand: number;
  /** The duration as written (a subquery's range, before `:`), trimmed. */
  duration: string;
  /** A subquery's step as written (`30s`, or empty for the default), trimmed. */
  step?: string;
}

const WINDOW = /^\{\{\s*window\s*\}\}$/;
const NAME_CHAR = /[A-Za-z0-9_:]/;
const MAX_SHOWN = 120;

/** What is wrong with the ranges of a count or bucket `query` (PromQL, templated), or undefined. */
export function fixedRangeProblem(query: string): string | undefined {
  const ranges = scanRanges(query);
  if (!ranges) return undefined; // not PromQL we can follow: its own errors are reported at the look
  const windowSubqueries = ranges.filter((r) => r.step !== undefined && WINDOW.test(r.duration));
  const fixed = ranges.filter(
    (r) =>
      !r.duration.includes('{{') && !windowSubqueries.some((s) => s.operand <= r.open && r.close < s.open),
  );
  const first = fixed[0];
  if (!first) return undefined;
  const shown = shorten(fragment(query, first));
  const more = fixed.length > 1 ? ` (${fixed.length} fixed ranges in this query: replace each)` : '';
  const fix = first.step === undefined ? '[{{window}}]' : `[{{window}}:${first.step}]`;
  const written = first.step === undefined ? first.duration : `${first.duration}:${first.step}`;
  return `reads a fixed range, [${written}] in ${shown}: a gate reads its counts over the step so far, but a fixed range reaches back the same span at every look, so early in a step it reads from before the step began, when the slot served the version before (or another traffic share), and a good candidate can fail on its predecessor's errors or a bad one pass; write ${fix} instead${more}`;
}

/**
 * The ranges of `query`, or undefined where brackets or parentheses do not pair up. Skips
 * strings ("...", '...' with `\` escapes, `...` raw), `#` comments and `{{...}}` placeholders.
 */
function scanRanges(query: string): Range[] | undefined {
  const ranges: Range[] = [];
  const openParens: number[] = [];
  const openBraces: number[] = [];
  /** Closing `)` or `}` index -> its opening index. */
  const pairs = new Map<number, number>();
  let i = 0;
  while (i < query.length) {
    const c = query[i] as string;
    if (c === '"' || c === "'" || c === '`') {
      i = stringEnd(query, i);
      if (i < 0) return undefined;
    } else if (c === '#') {
      const end = query.indexOf('\n', i);
      i = end < 0 ? query.length : end;
    } else if (query.startsWith('{{', i)) {
      const end = query.indexOf('}}', i);
      if (end < 0) return undefined;
      i = end + 1;
    } else if (c === '(' || c === '{') {
      (c === '(' ? openParens : openBraces).push(i);
    } else if (c === ')' || c === '}') {
      const open = (c === ')' ? openParens : openBraces).pop();
      if (open === undefined) return undefined;
      pairs.set(i, open);
    } else if (c === '[') {
      const close = query.indexOf(']', i);
      if (close < 0) return undefined;
      const inner = query.slice(i + 1, close);
      const colon = inner.indexOf(':');
      ranges.push({
        open: i,
        close,
        operand: operandStart(query, i, pairs),
        duration: (colon < 0 ? inner : inner.slice(0, colon)).trim(),
        step: colon < 0 ? undefined : inner.slice(colon + 1).trim(),
      });
      i = close;
    }
    i++;
  }
  return ranges;
}

/** Index of the closing quote of the string opened at `start`, or -1. */
function stringEnd(query: string, start: number): number {
  const quote = query[start];
  for (let i = start + 1; i < query.length; i++) {
    if (query[i] === '\\' && quote !== '`') i++;
    else if (query[i] === quote) return i;
  }
  return -1;
}

/** Start of what the `[` at `at` ranges over: `name{...}`, `name`, or `f(...)` / `(...)`. */
function operandStart(query: string, at: number, pairs: Map<number, number>): number {
  let i = at - 1;
  while (i >= 0 && /\s/.test(query[i] as string)) i--;
  const paired = pairs.get(i);
  if (paired !== undefined) i = paired - 1;
  while (i >= 0 && NAME_CHAR.test(query[i] as string)) i--;
  return i + 1;
}

/** The range with what it applies to, and the call around it: `increase(x{...}[5m])`. */
function fragment(query: string, range: Range): string {
  let start = range.operand;
  let end = range.close + 1;
  let i = start - 1;
  while (i >= 0 && /\s/.test(query[i] as string)) i--;
  if (query[i] === '(') {
    const close = closingParen(query, i);
    let name = i;
    while (name > 0 && NAME_CHAR.test(query[name - 1] as string)) name--;
    if (close > range.close && name < i) {
      start = name;
      end = close + 1;
    }
  }
  return query.slice(start, end).replace(/\s+/g, ' ');
}

/** Index of the `)` that closes the `(` at `open` (strings skipped), or -1. */
function closingParen(query: string, open: number): number {
  let depth = 0;
  for (let i = open; i < query.length; i++) {
    const c = query[i];
    if (c === '"' || c === "'" || c === '`') {
      i = stringEnd(query, i);
      if (i < 0) return -1;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

function shorten(text: string): string {
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}
