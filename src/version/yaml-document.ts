import { Composer, type CST, Document, LineCounter, Parser, type YAMLError, YAMLParseError } from 'yaml';

/**
 * The deepest nesting of mappings and lists a file the config names may have: far more than a
 * version or an evaluation file needs, and far less than where yaml's composer, which recurses
 * once a level, overflows the stack (about 770 levels in a job).
 */
export const MAX_NESTING = 100;

/**
 * How many aliases a file may use. yaml's toJS takes it as its limit, the guard against a "billion
 * laughs" evaluation file (it counts an anchor's uses times the aliases inside it: its default, 100,
 * refused a config sharing a strategy among 20 models); a config's aliases, uses and what they
 * stand for, are counted by yamlShapeProblems instead.
 */
export const MAX_ALIAS_COUNT = 10_000;

const TOO_DEEP = `nested too deeply (more than ${MAX_NESTING} levels)`;

/**
 * The first document of a YAML or JSON text, as yaml's parseDocument makes it (keys unique, each
 * error with its line and column), from one pass of the parser. A text nested more than
 * MAX_NESTING levels is not composed at all: it comes back empty with one error saying so.
 */
export function parseYamlDocument(text: string): Document.Parsed {
  const lines = new LineCounter();
  let deepAt: number | undefined;
  function* shallow(tokens: Generator<CST.Token>) {
    for (const token of tokens) {
      if (token.type === 'document') deepAt = tooDeepAt(token.value);
      if (deepAt !== undefined) return;
      yield token;
    }
  }
  let doc: Document.Parsed | undefined;
  const composer = new Composer({ uniqueKeys: true });
  for (const next of composer.compose(shallow(new Parser(lines.addNewLine).parse(text)), true, text.length)) {
    if (!doc) doc = next;
    else {
      doc.errors.push(
        new YAMLParseError(
          [next.range[0], next.range[1]],
          'MULTIPLE_DOCS',
          'Source contains multiple documents',
        ),
      );
      break;
    }
  }
  if (deepAt !== undefined || !doc) {
    doc = new Document() as Document.Parsed;
    doc.errors.push(new YAMLParseError([deepAt ?? 0, (deepAt ?? 0) + 1], 'RESOURCE_EXHAUSTION', TOO_DEEP));
  }
  for (const error of [...doc.errors, ...doc.warnings]) {
    if (error.pos[0] >= 0) error.linePos = [lines.linePos(error.pos[0])];
  }
  return doc;
}

/** A parse error in words a person can act on: yaml's stack overflow becomes "nested too deeply". */
export function yamlErrorText(error: YAMLError): string {
  const first = error.message.split('\n')[0] ?? '';
  if (error.code === 'RESOURCE_EXHAUSTION' && first !== TOO_DEEP) return 'nested too deeply to read';
  return first.replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * Why resolving an alias failed (yaml throws a ReferenceError), said of the file: too many
 * expansions, or an alias whose anchor is not set before it. Undefined for any other error.
 */
export function aliasProblem(error: unknown): string | undefined {
  if (!(error instanceof ReferenceError)) return undefined;
  if (/excessive alias count/i.test(error.message))
    return `has too many aliases to expand (more than ${MAX_ALIAS_COUNT} copies of anchored values, as in a "billion laughs" file): write the values out`;
  const unresolved = /unresolved alias.*: (.*)$/i.exec(error.message)?.[1];
  if (unresolved !== undefined) return missingAnchor(unresolved);
  return undefined;
}

/** An alias `*name` with no anchor `&name` before it, said after the file's name. */
export const missingAnchor = (name: string): string =>
  `uses the alias *${name}, but no anchor &${name} comes before it: set &${name} on an earlier value, or write the value itself`;

/** Where nesting first goes past MAX_NESTING (an offset), walking without recursion. */
function tooDeepAt(root: CST.Token | undefined): number | undefined {
  const stack: [CST.Token | null | undefined, number][] = [[root, 1]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [token, depth] = next;
    if (
      !token ||
      (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection')
    )
      continue;
    if (depth > MAX_NESTING) return token.offset;
    for (const item of token.items) stack.push([item.key, depth + 1], [item.value, depth + 1]);
  }
  return undefined;
}
