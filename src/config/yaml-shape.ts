import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Node,
  parseDocument,
  type YAMLError,
} from 'yaml';
import type { ConfigPath } from './messages.js';

export interface ShapeProblem {
  path: ConfigPath;
  /** Where in the text, when that is not where the path leads (an alias, not what it names). */
  offset?: number;
  message: string;
}

/** The tags whose values JSON can hold; a config needs nothing else. */
const JSON_TAGS = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`),
);

/**
 * What YAML can say but a config cannot, found in the parsed tree before it becomes data:
 * an alias inside the node it names (a cycle: the data would be infinite), a tag beyond
 * JSON's (`!!binary`, `!!set`, `!custom`) and a list or mapping used as a key. One problem each,
 * at the first node that shows it; nothing below that node is looked at.
 */
export function yamlShapeProblems(doc: Document): ShapeProblem[] {
  const problems: ShapeProblem[] = [];
  const open: Node[] = [];
  const walk = (node: unknown, path: ConfigPath): void => {
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (target && open.includes(target)) {
        problems.push({
          path,
          ...(node.range ? { offset: node.range[0] } : {}),
          message: `the alias *${node.source} repeats a mapping or list that contains it, which would never end; copy the values it needs instead`,
        });
      }
      return;
    }
    const tag = (node as Node | null)?.tag;
    if (tag !== undefined && !JSON_TAGS.has(tag)) {
      const shown = tag.replace(/^tag:yaml\.org,2002:/, '!!');
      problems.push({
        path,
        message: `the YAML tag ${shown} is not supported; write plain strings, numbers, true/false, lists and mappings`,
      });
      return;
    }
    if (isMap(node)) {
      open.push(node);
      for (const pair of node.items) {
        const key = isAlias(pair.key) ? pair.key.resolve(doc) : pair.key;
        if (!isScalar(key) && key !== null) {
          problems.push({ path, message: 'a list or mapping is used as a key; keys must be plain text' });
          continue;
        }
        // A merge key's value is a symbol: show it as written, `<<`.
        const name = typeof key?.value === 'symbol' ? key.value.description : key?.value;
        walk(pair.value, [...path, String(name ?? '')]);
      }
      open.pop();
    } else if (isSeq(node)) {
      open.push(node);
      node.items.forEach((item, i) => {
        walk(item, [...path, i]);
      });
      open.pop();
    }
  };
  walk(doc.contents, []);
  return problems;
}

/** A `${NAME}` reference as written (the interpolation reads what is inside the braces). */
const VARIABLE = /\$\{[^{}\n]*\}/y;

/** How many unquoted references one file is searched for: each costs a parse of the file. */
const MAX_UNQUOTED = 20;

export interface UnquotedVariable {
  /** Where its `$` is. */
  offset: number;
  message: string;
}

/**
 * The `${NAME}` references written unquoted inside `{ }` or `[ ]` (`url: ${X}` in a flow mapping):
 * YAML reads their `{` as a new mapping, and every later line of the file fails with it. Each is
 * found at the parse error pointing at its `{`, and neutralised (`$(X)`, as long) to parse again, so
 * that the parser's own errors that remain (`errors`, positions unchanged) are only the real ones.
 */
export function unquotedVariables(
  text: string,
  firstErrors: readonly YAMLError[],
): { variables: UnquotedVariable[]; errors: readonly YAMLError[] } {
  const variables: UnquotedVariable[] = [];
  let patched = text;
  let errors = firstErrors;
  const seen = new Set<number>();
  while (variables.length < MAX_UNQUOTED) {
    const offset = errors.map((e) => e.pos[0] - 1).find((at) => variableAt(patched, at) !== undefined);
    if (offset === undefined) break;
    const end = offset + (variableAt(patched, offset)?.length ?? 0);
    // The references already neutralised no longer stop the search for the value's ends; a
    // second one in the same value (`http://${HOST}:${PORT}`) is said by the first's line.
    const value = valueAround(patched, offset, end);
    if (!seen.has(value.from)) variables.push({ offset, message: unquotedMessage(text, offset, end, value) });
    seen.add(value.from);
    patched = `${patched.slice(0, offset + 1)}(${patched.slice(offset + 2, end - 1)})${patched.slice(end)}`;
    errors = parseDocument(patched, { merge: true, uniqueKeys: true, prettyErrors: true }).errors;
  }
  return { variables, errors: variables.length === 0 ? firstErrors : errors };
}

const variableAt = (text: string, offset: number): string | undefined => {
  if (offset < 0) return undefined;
  VARIABLE.lastIndex = offset;
  return VARIABLE.exec(text)?.[0];
};

/** Where the plain value around a reference starts and ends: up to the flow punctuation or the
 * `: ` before it, and after it up to `,`, `}`, `]`, a comment or the line's end. */
function valueAround(text: string, start: number, end: number): { from: number; to: number } {
  let from = start;
  while (from > 0 && !/[{[,\n]/.test(text.charAt(from - 1)) && !/:\s$/.test(text.slice(from - 2, from)))
    from -= 1;
  let to = end;
  while (to < text.length && !/[,}\]\n]/.test(text.charAt(to)) && !/^\s#/.test(text.slice(to, to + 2)))
    to += variableAt(text, to)?.length ?? 1;
  return { from, to };
}

/** `${X} is not quoted …: quote the value: url: "${X}"`, with the whole value and its key as written. */
function unquotedMessage(
  text: string,
  start: number,
  end: number,
  { from, to }: { from: number; to: number },
): string {
  const value = text.slice(from, to).trim();
  const key = /:\s+$/.test(text.slice(Math.max(0, from - 2), from))
    ? /([^{[,\n]*):\s*$/.exec(text.slice(text.lastIndexOf('\n', from) + 1, from))?.[1]?.trim()
    : undefined;
  const fix = `${key ? `${key}: ` : ''}"${value}"`;
  return `${text.slice(start, end)} is not quoted: inside { } or [ ] YAML reads its { as the start of a mapping, and the lines after it fail too; quote the value: ${fix}`;
}
