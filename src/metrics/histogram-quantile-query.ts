/**
 * Whether a PromQL query is one `histogram_quantile(φ, <buckets>)` call, and its parts: what a
 * threshold gate needs to tell the largest finite bucket bound, which histogram_quantile returns
 * for a quantile beyond it, from a quantile at or below it.
 */

export interface HistogramQuantileCall {
  /** φ, between 0 and 1. */
  quantile: number;
  /** The bucket vector's PromQL, as written in the call. */
  buckets: string;
}

const OPEN = '([{';
const CLOSE = ')]}';
/** A PromQL number literal as φ is written (`0.95`, `.99`, `9.5e-1`); anything else is not evaluated here. */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * The parts of a query that is `histogram_quantile(φ, <buckets>)` with φ a number from 0 to 1, in
 * parentheses or beside comments at most; undefined for any other query (one that scales the
 * quantile, `histogram_quantile(...) * 1000`, or combines several) and for a φ that is an
 * expression.
 */
export function histogramQuantileCall(query: string): HistogramQuantileCall | undefined {
  const code = codeOnly(query);
  let start = firstCode(code, 0);
  let end = lastCode(code);
  // Parentheses around the whole query.
  while (code[start] === '(' && matching(code, start) === end) {
    start = firstCode(code, start + 1);
    end = lastCode(code, end - 1);
  }
  const head = /^histogram_quantile\s*\(/.exec(code.slice(start, end + 1));
  if (!head) return undefined;
  const open = start + head[0].length - 1;
  if (matching(code, open) !== end) return undefined;
  const commas = topLevelCommas(code, open + 1, end);
  if (commas.length !== 1) return undefined;
  const comma = commas[0] as number;
  const phiText = code.slice(open + 1, comma).trim();
  if (!NUMBER.test(phiText)) return undefined;
  const quantile = Number(phiText);
  if (!(quantile >= 0 && quantile <= 1)) return undefined;
  const buckets = query.slice(comma + 1, end).trim();
  return buckets === '' ? undefined : { quantile, buckets };
}

/**
 * The query with every string's contents and every comment blanked out (same length), so that
 * brackets and commas left in it are PromQL's own: "..." and '...' take backslash escapes, `...`
 * is raw, `#` comments to the end of the line.
 */
function codeOnly(query: string): string {
  let out = '';
  let quote: string | undefined;
  let comment = false;
  for (let i = 0; i < query.length; i++) {
    const c = query[i] as string;
    if (comment) {
      comment = c !== '\n';
      out += comment ? ' ' : c;
    } else if (quote) {
      if (c === '\\' && quote !== '`' && i + 1 < query.length) {
        out += '  ';
        i++;
      } else if (c === quote) {
        quote = undefined;
        out += c;
      } else out += ' ';
    } else if (c === '"' || c === "'" || c === '`') {
      quote = c;
      out += c;
    } else if (c === '#') {
      comment = true;
      out += ' ';
    } else out += c;
  }
  return out;
}

const firstCode = (code: string, from: number) => {
  let i = from;
  while (i < code.length && /\s/.test(code[i] as string)) i++;
  return i;
};

const lastCode = (code: string, from = code.length - 1) => {
  let i = from;
  while (i >= 0 && /\s/.test(code[i] as string)) i--;
  return i;
};

/** Where the bracket opened at `open` closes; -1 when it does not. */
function matching(code: string, open: number): number {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    const c = code[i] as string;
    if (OPEN.includes(c)) depth++;
    else if (CLOSE.includes(c) && --depth === 0) return i;
  }
  return -1;
}

/** The commas between `from` and `to` outside any bracket (a call's argument separators). */
function topLevelCommas(code: string, from: number, to: number): number[] {
  const out: number[] = [];
  let depth = 0;
  for (let i = from; i < to; i++) {
    const c = code[i] as string;
    if (OPEN.includes(c)) depth++;
    else if (CLOSE.includes(c)) depth--;
    else if (c === ',' && depth === 0) out.push(i);
  }
  return out;
}
