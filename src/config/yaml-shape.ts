import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  type Node,
  parseDocument,
  visit,
  type YAMLError,
} from 'yaml';
import { MAX_ALIAS_COUNT } from '../version/yaml-document.js';
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

/** Models in one file: far more than a repository releases through one workflow. */
const MAX_MODELS = 1000;
/** Gates of one model, as the schema's other counts (instances, linear steps) are bounded. */
const MAX_GATES = 100;
/** Items of any other list or mapping: room for a long feature vector in a smoke request body. */
const MAX_ITEMS = 10_000;
/**
 * Values (lists, mappings, keys and scalars) the data may hold once every alias is replaced by what
 * it names: what the schema then walks. A model's problems stay below about one a value, and zod,
 * gathering them with push(...), overflows the stack at about 150,000 in one model.
 */
const MAX_VALUES = 100_000;

/**
 * The node each alias names: the last anchor of its name before it, as yaml resolves it, found in
 * one pass (yaml's `resolve` walks the whole document again for every alias).
 */
export function aliasTargets(doc: Document): Map<Alias, Node | undefined> {
  const targets = new Map<Alias, Node | undefined>();
  const anchors = new Map<string, Node>();
  visit(doc, {
    Node: (_key, node) => {
      if (isAlias(node)) targets.set(node, anchors.get(node.source));
      else if (node.anchor) anchors.set(node.anchor, node);
    },
  });
  return targets;
}

const itemLimit = (path: ConfigPath): { max: number; of: string } =>
  path.length === 1 && path[0] === 'models'
    ? { max: MAX_MODELS, of: 'models' }
    : path.length === 3 && path[0] === 'models' && path[2] === 'gates'
      ? { max: MAX_GATES, of: 'gates' }
      : { max: MAX_ITEMS, of: 'items' };

/**
 * What YAML can say but a config cannot, found in the parsed tree before it becomes data:
 * an alias inside the node it names (a cycle: the data would be infinite) or with no anchor
 * before it, a tag beyond JSON's (`!!binary`, `!!set`, `!custom`), a list or mapping used as a
 * key, and sizes past the limits above (a "billion laughs" file among them). One problem each,
 * at the first node that shows it; nothing below a node with the wrong shape is looked at. The
 * walk never follows an alias: what one stands for is counted from its anchor, once.
 */
export function yamlShapeProblems(doc: Document): ShapeProblem[] {
  const problems: ShapeProblem[] = [];
  const targets = aliasTargets(doc);
  const open: Node[] = [];
  /** What each anchored node holds, in values, its own aliases replaced. */
  const sizes = new Map<Node, number>();
  /** Collections already said to be too long (an alias to one is not said again). */
  const tooLong = new Set<Node>();
  let values = 0;
  let aliases = 0;

  const add = (count: number, problem: () => ShapeProblem): void => {
    if (values <= MAX_VALUES && values + count > MAX_VALUES) problems.push(problem());
    values += count;
  };
  /** Whether a list or mapping has more items than its field takes: said once per node. */
  const tooLongAt = (node: Node, path: ConfigPath, offset?: number): boolean => {
    if (!isMap(node) && !isSeq(node)) return false;
    if (tooLong.has(node)) return true;
    const { max, of } = itemLimit(path);
    if (node.items.length <= max) return false;
    tooLong.add(node);
    problems.push({
      path,
      ...(offset === undefined ? {} : { offset }),
      message: `${node.items.length} ${of}, at most ${max}`,
    });
    return true;
  };
  /** The node an alias names, counted; undefined (and said) when it names none or its own container. */
  const follow = (alias: Alias, path: ConfigPath): Node | undefined => {
    const at = alias.range ? { offset: alias.range[0] } : {};
    aliases += 1;
    if (aliases === MAX_ALIAS_COUNT + 1) {
      problems.push({
        path,
        ...at,
        message: `the anchors expand too far: more than ${MAX_ALIAS_COUNT} aliases in the file; share less through aliases`,
      });
    }
    const target = targets.get(alias);
    if (!target) {
      problems.push({
        path,
        ...at,
        message: `the alias *${alias.source} names no anchor set before it: define &${alias.source} above, or fix the name`,
      });
      return undefined;
    }
    if (open.includes(target)) {
      problems.push({
        path,
        ...at,
        message: `the alias *${alias.source} repeats a mapping or list that contains it, which would never end; copy the values it needs instead`,
      });
      return undefined;
    }
    if (tooLongAt(target, path, at.offset)) return undefined;
    const size = sizes.get(target) ?? 1;
    add(size, () => ({
      path,
      ...at,
      message: `the anchors expand too far: with *${alias.source} here (${size} values) the file holds more than ${MAX_VALUES} values once each alias is replaced by what it names; share less through aliases`,
    }));
    return target;
  };
  const walk = (node: unknown, path: ConfigPath): void => {
    if (isAlias(node)) {
      follow(node, path);
      return;
    }
    if (!isNode(node)) return;
    const start = values;
    countWritten(node, path);
    walkNode(node, path);
    if (node.anchor) sizes.set(node, values - start);
  };
  const countWritten = (node: Node, path: ConfigPath): void =>
    add(1, () => ({
      path,
      ...(node.range ? { offset: node.range[0] } : {}),
      message: `the file holds more than ${MAX_VALUES} values (lists, mappings, keys and what they hold, each alias counted as what it names); a model-gate config needs far fewer`,
    }));
  const walkNode = (node: Node, path: ConfigPath): void => {
    const tag = node.tag;
    if (tag !== undefined && !JSON_TAGS.has(tag)) {
      const shown = tag.replace(/^tag:yaml\.org,2002:/, '!!');
      problems.push({
        path,
        message: `the YAML tag ${shown} is not supported; write plain strings, numbers, true/false, lists and mappings`,
      });
      return;
    }
    // A list or mapping too long is said once; its items add nothing to say.
    if (tooLongAt(node, path)) return;
    if (isMap(node)) {
      open.push(node);
      for (const pair of node.items) {
        const key = isAlias(pair.key) ? follow(pair.key, path) : pair.key;
        if (isAlias(pair.key) && key === undefined) continue;
        if (!isScalar(key) && key !== null) {
          const name = templateVariableName(node);
          problems.push(
            name === undefined
              ? { path, message: 'a list or mapping is used as a key; keys must be plain text' }
              : {
                  path,
                  // At the variable, not at the key a mapping value's problem points at.
                  ...(node.range ? { offset: node.range[0] } : {}),
                  message: notQuotedMessage(`{{${name}}}`, `{{${name}}}`, lastKey(path)),
                },
          );
          continue;
        }
        // A merge key's value is a symbol: show it as written, `<<`.
        const name = typeof key?.value === 'symbol' ? key.value.description : key?.value;
        const field = [...path, String(name ?? '')];
        if (isScalar(pair.key)) countWritten(pair.key, field);
        walk(pair.value, field);
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

/**
 * `{{name}}` unquoted as a whole value (`query: {{slot}}`) parses: as a mapping whose one key is
 * the mapping `{ name }`. Its name, when `map` is that.
 */
function templateVariableName(map: Node): string | undefined {
  if (!isMap(map) || !map.flow || map.items.length !== 1) return undefined;
  const [pair] = map.items;
  const inner = pair?.key;
  if (pair?.value !== null || !isMap(inner) || !inner.flow || inner.items.length !== 1) return undefined;
  const name = inner.items[0];
  return name?.value === null && isScalar(name.key) && typeof name.key.value === 'string'
    ? name.key.value
    : undefined;
}

/** The field a path ends in, when it is a mapping's key (not a list's index). */
const lastKey = (path: ConfigPath): string | undefined => {
  const last = path.at(-1);
  return typeof last === 'string' ? last : undefined;
};

/**
 * A reference as written: `${NAME}` (the interpolation reads what is inside the braces) or a
 * template variable `{{name}}`.
 */
const VARIABLE = /\$\{[^{}\n]*\}|\{\{[^{}\n]*\}\}/y;

/** How many unquoted references one file is searched for: each costs a parse of the file. */
const MAX_UNQUOTED = 20;

export interface UnquotedVariable {
  /** Where its `$` is. */
  offset: number;
  message: string;
}

/**
 * The `${NAME}` references written unquoted inside `{ }` or `[ ]` (`url: ${X}` in a flow mapping),
 * and the `{{name}}` ones there or at the start of a value with more after it (`query: {{slot}}_x`):
 * YAML reads their `{` as a new mapping, and every later line of the file may fail with it. Each is
 * found at the parse error pointing at its `{` or just after it, and neutralised (`$(X)`, `((x))`,
 * as long) to parse again, so that the parser's own errors that remain (`errors`, positions
 * unchanged) are only the real ones.
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
    const found = firstVariable(patched, errors);
    if (found === undefined) break;
    const { offset, end } = found;
    // The references already neutralised no longer stop the search for the value's ends; a
    // second one in the same value (`http://${HOST}:${PORT}`) is said by the first's line.
    const value = valueAround(patched, offset, end);
    if (!seen.has(value.from)) variables.push({ offset, message: unquotedMessage(text, offset, end, value) });
    seen.add(value.from);
    const neutral = patched.slice(offset, end).replaceAll('{', '(').replaceAll('}', ')');
    patched = `${patched.slice(0, offset)}${neutral}${patched.slice(end)}`;
    errors = parseDocument(patched, { merge: true, uniqueKeys: true, prettyErrors: true }).errors;
  }
  return { variables, errors: variables.length === 0 ? firstErrors : errors };
}

const variableAt = (text: string, offset: number): string | undefined => {
  if (offset < 0) return undefined;
  VARIABLE.lastIndex = offset;
  return VARIABLE.exec(text)?.[0];
};

/**
 * The first reference a parse error is about. After an error of another kind, the rest of its line
 * is what YAML made of that mistake (`query: x{slot="{{slot}}"}` in `{ }` opens a mapping at
 * `x{`): a `{{slot}}` there is not what to quote.
 */
function firstVariable(
  text: string,
  errors: readonly YAMLError[],
): { offset: number; end: number } | undefined {
  const broken = new Set<number>();
  for (const error of [...errors].sort((a, b) => a.pos[0] - b.pos[0])) {
    const line = text.lastIndexOf('\n', error.pos[0] - 1);
    const variable = broken.has(line) ? undefined : variableAround(text, error.pos[0]);
    if (variable !== undefined) return variable;
    broken.add(line);
  }
  return undefined;
}

/**
 * The reference a parse error at `pos` is about: the error points at its `{` (`${X}`, `{{x}}` inside
 * `{ }`), or just after it when YAML read the `{{x}}` as a whole mapping (`{{slot}}_errors`).
 */
function variableAround(text: string, pos: number): { offset: number; end: number } | undefined {
  for (const offset of [pos - 1, pos]) {
    const variable = variableAt(text, offset);
    if (variable !== undefined) return { offset, end: offset + variable.length };
  }
  const offset = text.lastIndexOf('{{', pos - 1);
  const variable = variableAt(text, offset);
  return variable !== undefined && offset + variable.length === pos ? { offset, end: pos } : undefined;
}

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
  return notQuotedMessage(text.slice(start, end), value, key);
}

/** Why YAML misread an unquoted reference, and the value quoted whole (after its key) to write instead. */
function notQuotedMessage(reference: string, value: string, key: string | undefined): string {
  const fix = `${key ? `${key}: ` : ''}"${value}"`;
  const why =
    reference.startsWith('{') && value.startsWith(reference)
      ? 'at the start of a value YAML reads its { as the start of a mapping'
      : 'inside { } or [ ] YAML reads its { as the start of a mapping, and the lines after it fail too';
  return `${reference} is not quoted: ${why}; quote the value: ${fix}`;
}
