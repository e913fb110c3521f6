/**
 * A key an object of a JSON text holds twice. JSON.parse keeps the last value without a word
 * (`{"auc": 0.5, "auc": 0.95}` reads 0.95) where YAML refuses the same mapping: an evaluation
 * that says two things must not pass on the one read last.
 */
export interface RepeatedKey {
  key: string;
  /** Where the key stands first, and again: line and column, from 1. */
  first: { line: number; col: number };
  again: { line: number; col: number };
}

/**
 * The first key `text` repeats within one object; undefined for none. `text` is JSON that parsed
 * (bare NaN / Infinity allowed): only its strings and brackets are read, so a file of megabytes
 * (per-example predictions) takes milliseconds.
 */
export function repeatedJsonKey(text: string): RepeatedKey | undefined {
  // Per open bracket: an object's keys so far, with where each stood; undefined for an array.
  const open: (Map<string, number> | undefined)[] = [];
  const structure = /["{}[\]]/g;
  for (let m = structure.exec(text); m; m = structure.exec(text)) {
    const at = m.index;
    const c = text.charAt(at);
    if (c === '{') open.push(new Map());
    else if (c === '[') open.push(undefined);
    else if (c === '}' || c === ']') open.pop();
    else {
      const end = closingQuote(text, at);
      structure.lastIndex = end + 1;
      const keys = open.at(-1);
      // In an object, a string followed by a colon is a key; any other is a value.
      if (keys === undefined || !colonAfter(text, end + 1)) continue;
      const raw = text.slice(at + 1, end);
      const key = raw.includes('\\') ? (JSON.parse(text.slice(at, end + 1)) as string) : raw;
      const first = keys.get(key);
      if (first !== undefined) return { key, first: lineCol(text, first), again: lineCol(text, at) };
      keys.set(key, at);
    }
  }
  return undefined;
}

/** Where the string opened at `start` closes: the next quote not escaped by a backslash. */
function closingQuote(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  while (end !== -1) {
    let slashes = 0;
    while (text.charAt(end - 1 - slashes) === '\\') slashes++;
    if (slashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
  return text.length;
}

/** Whether the first character from `from` that is not JSON whitespace is a colon. */
function colonAfter(text: string, from: number): boolean {
  let i = from;
  while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++;
  return text.charAt(i) === ':';
}

/** The line and column (from 1) of `offset`. */
function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, col: offset - lineStart + 1 };
}
