import { access, readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  type Alias,
  type Document,
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { yamlErrorText } from '../version/yaml-document.js';
import { type InterpolatedField, interpolateEnv } from './interpolate.js';
import { type ConfigPath, configErrorMap, describeValue, formatPath, quote } from './messages.js';
import { configSchema } from './schema.js';
import type { Config } from './types.js';
import { aliasTargets, unquotedVariables, yamlShapeProblems } from './yaml-shape.js';

export const DEFAULT_CONFIG_PATH = '.github/model-gate.yml';

export interface LoadedConfig {
  config: Config;
  /** Fields whose value came (partly) from `${NAME}` environment variables, for masking. */
  interpolated: InterpolatedField[];
  /** One warning per model left out of `config` because the command names another (`only`). */
  ignored?: string[];
}

/** How the config is read for a command that acts on models of it. */
export interface ModelScope {
  /**
   * The one model the command acts on: another model's problems (an unset variable, a wrong
   * value) do not stop it, that model is left out (`ignored`). A live candidate must be
   * withdrawable during an incident even when another model's secret is only set in its own job.
   */
  only?: string;
  /**
   * How the command could name one model, for a failure in models' own fields to say so: `in the
   * \`model\` input (e.g. \`model: fraud\`)` for workflow_dispatch, `with \`--model fraud\`` on the CLI.
   */
  nameModel?: (example: string) => string;
}

interface Problem {
  path?: ConfigPath;
  /** Point at the key rather than its value (unknown keys). */
  atKey?: boolean;
  message: string;
  /** Set when the position is already known (YAML errors). */
  pos?: { line: number; col: number };
}

/**
 * Parses, interpolates, validates and normalises a config file's text. Every problem is
 * collected and thrown at once as a `ConfigError`, one line each:
 * `<file>:<line>:<col>: <path>: <what was expected>, got <what was found>`.
 */
export function parseConfig(
  text: string,
  env: Record<string, string | undefined>,
  file = DEFAULT_CONFIG_PATH,
  scope: ModelScope = {},
): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: true });
  const fail = (problems: Problem[]) => new ConfigError(render(problems, file, doc, lineCounter));

  const parsing = doc.errors.length > 0 ? parserProblems(text, doc, lineCounter) : [];
  // A repeated key leaves the rest of the file readable: its other problems are said with it.
  if (doc.errors.some((error) => error.code !== 'DUPLICATE_KEY')) throw fail(parsing);
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    throw fail([{ message: 'the file is empty; expected a mapping with `version: 1` and `models:`' }]);
  }
  const shape = yamlShapeProblems(doc);
  if (shape.length > 0) {
    throw fail([
      ...parsing,
      ...shape.map(({ path, offset, message }) => ({
        path,
        message,
        ...(offset === undefined ? {} : { pos: lineCounter.linePos(offset) }),
      })),
    ]);
  }
  let data: unknown;
  try {
    // yamlShapeProblems has bounded the aliases and what they stand for. yaml's own count (uses of
    // an anchor times the aliases inside it) refuses ordinary configs at any fixed limit: at 10000,
    // 100 models using *canary and 100 merging a model that uses it too.
    data = doc.toJS({ maxAliasCount: -1 });
  } catch (err) {
    throw fail([{ message: `YAML error: ${(err as Error).message}` }]);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw fail([
      ...parsing,
      {
        path: [],
        message: `expected a mapping (version, defaults, models) at the top level, got ${describeValue(data)}`,
      },
    ]);
  }

  const all = validate(data, env);
  const problems = [...parsing, ...all.problems];
  if (problems.length === 0 && all.config) return { config: all.config, interpolated: all.interpolated };
  const byModel = otherModelsProblems(problems, data, scope.only);
  if (byModel) {
    // The same checks again on the models left: a check across models (a shared target) still holds.
    const models = (data as { models: Record<string, unknown> }).models;
    const kept = Object.fromEntries(Object.entries(models).filter(([name]) => !byModel.has(name)));
    const rest = validate({ ...data, models: kept }, env);
    if (rest.problems.length === 0 && rest.config) {
      const only = scope.only as string;
      const ignored = [...byModel].map(([model, problems]) =>
        ignoredModelWarning(model, only, render(problems, file, doc, lineCounter)),
      );
      // Every value read from the environment is masked, the ignored models' too.
      return { config: rest.config, interpolated: all.interpolated, ignored };
    }
  }
  const hint =
    scope.nameModel && scope.only === undefined
      ? nameOneModelHint(problems, data, scope.nameModel)
      : undefined;
  throw new ConfigError([...render(problems, file, doc, lineCounter), ...(hint ? [hint] : [])]);
}

/** The parser's errors, one problem each: what YAML failed to read, said so a person can act on it. */
function parserProblems(text: string, doc: Document, lineCounter: LineCounter): Problem[] {
  // An unquoted `${NAME}` in `{ }` fails every later line, and a tab in the indentation every
  // later line of its mapping: those follow-on complaints go, as do the parser's others about
  // the same line.
  const { variables, errors: rest } = unquotedVariables(text, doc.errors);
  const tabs = rest.filter((e) => e.code === 'TAB_AS_INDENT');
  const errors = tabs.length > 0 ? tabs : rest;
  const firstPerLine = errors.filter(
    (error, i) => errors.findIndex((e) => e.linePos?.[0]?.line === error.linePos?.[0]?.line) === i,
  );
  return [
    ...variables.map(({ offset, message }) => ({ message, pos: lineCounter.linePos(offset) })),
    ...firstPerLine.map((error) => {
      const at = error.linePos?.[0];
      const duplicate = error.code === 'DUPLICATE_KEY' ? duplicateKeyAt(doc, error.pos[0]) : undefined;
      if (duplicate) {
        const first = lineCounter.linePos(duplicate.firstOffset).line;
        return {
          path: duplicate.path,
          message: `duplicate key, also at line ${first}; keep one`,
          ...(at ? { pos: at } : {}),
        };
      }
      if (error.code === 'MULTIPLE_DOCS') {
        return {
          message: 'the file holds more than one YAML document (---); keep one',
          ...(at ? { pos: at } : {}),
        };
      }
      if (error.code === 'TAB_AS_INDENT') {
        return { message: 'a tab in the indentation: indent with spaces', ...(at ? { pos: at } : {}) };
      }
      return { message: `YAML syntax error: ${yamlErrorText(error)}`, ...(at ? { pos: at } : {}) };
    }),
  ];
}

/** Interpolation and the schema on the parsed data: the config, or every problem found. */
function validate(
  data: object,
  env: Record<string, string | undefined>,
): { config?: Config; interpolated: InterpolatedField[]; problems: Problem[] } {
  const interpolation = interpolateEnv(data, env);
  const result = configSchema.safeParse(interpolation.value, { error: configErrorMap });
  const problems: Problem[] = interpolation.problems.map((p) => ({
    path: p.path,
    message: p.message,
    ...(p.atKey ? { atKey: true } : {}),
  }));
  // A field whose variable is missing keeps its `${NAME}` text: its schema complaint would be noise.
  const unresolved = interpolation.problems.map((p) => formatPath(p.path));
  for (const issue of result.error?.issues ?? []) problems.push(...fromIssue(issue, unresolved));
  // A value that came from the environment may be a secret, and the error is logged before
  // anything could mask it: show the field as written instead.
  for (const problem of problems) {
    const field = interpolation.interpolated.find((f) => problem.path && f.path === formatPath(problem.path));
    const original = field && interpolation.originals.get(field.path);
    if (field && original !== undefined) {
      problem.message = problem.message.replaceAll(
        quote(field.value),
        `${quote(original)} (value from the environment, not shown)`,
      );
    }
  }
  // A failed parse always has a problem (an unset variable's, at least).
  return {
    ...(result.success ? { config: result.data } : {}),
    interpolated: interpolation.interpolated,
    problems,
  };
}

/** The model a problem is in (`models.<name>…`), if any. */
const modelOf = (problem: Problem): string | undefined =>
  problem.path?.[0] === 'models' && problem.path.length > 1 ? String(problem.path[1]) : undefined;

/**
 * The problems by model when every one is in a model other than `only`, which the config has;
 * undefined when `only` is not given or one problem is its own or the file's (defaults, version…).
 */
function otherModelsProblems(
  problems: Problem[],
  data: object,
  only: string | undefined,
): Map<string, Problem[]> | undefined {
  const models = (data as { models?: unknown }).models;
  if (only === undefined || models === null || typeof models !== 'object' || !Object.hasOwn(models, only))
    return undefined;
  const byModel = new Map<string, Problem[]>();
  for (const problem of problems) {
    const model = modelOf(problem);
    if (model === undefined || model === only) return undefined;
    byModel.set(model, [...(byModel.get(model) ?? []), problem]);
  }
  return byModel;
}

/** When only some models are broken: naming a sound one in `model` lets the command run for it. */
function nameOneModelHint(
  problems: Problem[],
  data: object,
  nameModel: (example: string) => string,
): string | undefined {
  const models = (data as { models?: unknown }).models;
  if (models === null || typeof models !== 'object' || Array.isArray(models)) return undefined;
  const broken = new Set(problems.map(modelOf));
  if (broken.has(undefined)) return undefined;
  const sound = Object.keys(models).find((name) => !broken.has(name));
  if (sound === undefined) return undefined;
  const names = [...broken].join(', ');
  return `this command acts on every model: name one ${nameModel(sound)} to run it for that model despite the problems in ${names} above`;
}

/** The warning for a model a command left out: which, why, and its problems. */
const ignoredModelWarning = (model: string, only: string, problems: string[]): string =>
  `model ${model} ignored: this command acts on ${only} only, and ${model}'s config has problems (fix them before its next run): ${problems.join('; ')}`;

/** How a "not found" error points at another file (the action's input by default), and the models read. */
export interface LoadOptions extends ModelScope {
  /** Ends "config file not found; create it (…) or …", e.g. "pass its path with --config PATH". */
  pathHint?: string;
}

const ACTION_PATH_HINT = 'set the `config` input to its path';

/**
 * The largest config file read: hundreds of times a real one. Reading YAML takes 5 to 25 s a
 * megabyte here, and a 90 MB file ran past 5 minutes at 4 GB.
 */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** A size over 1 MB in words that show it is over: "1.5 MB", or the bytes when that rounds to 1.0. */
function megabytes(bytes: number): string {
  const shown = (bytes / MAX_CONFIG_BYTES).toFixed(1);
  return shown === '1.0' ? `${bytes} bytes` : `${shown} MB`;
}

/** `parseConfig` on a file; a missing file says how to fix it. */
export async function loadConfig(
  path: string,
  env: Record<string, string | undefined> = process.env,
  options: LoadOptions = {},
): Promise<LoadedConfig> {
  let text: string;
  try {
    const { size } = await stat(path);
    if (size > MAX_CONFIG_BYTES) {
      throw new ConfigError([`${path}: is ${megabytes(size)}; a model-gate config is at most 1 MB`]);
    }
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ConfigError([
        `${path}: config file not found; ${await createOrRename(path)} or ${options.pathHint ?? ACTION_PATH_HINT}`,
      ]);
    }
    if (code === 'EISDIR') throw new ConfigError([`${path}: is a directory, expected the config file`]);
    throw new ConfigError([`${path}: cannot read the config file (${(err as Error).message})`]);
  }
  return parseConfig(text, env, path, options);
}

/** What to do about a missing config: create it, or rename its twin with the other YAML extension. */
async function createOrRename(path: string): Promise<string> {
  const twin = path.endsWith('.yml')
    ? `${path.slice(0, -4)}.yaml`
    : path.endsWith('.yaml')
      ? `${path.slice(0, -5)}.yml`
      : undefined;
  try {
    if (twin !== undefined) {
      await access(twin);
      return `${basename(twin)} is there: rename it to ${basename(path)}`;
    }
  } catch {}
  return 'create it (see docs/configuration.md)';
}

function fromIssue(issue: z.core.$ZodIssue, unresolved: string[]): Problem[] {
  const path = issue.path;
  const text = formatPath(path);
  if (unresolved.some((u) => text === u || text.startsWith(`${u}.`) || text.startsWith(`${u}[`))) return [];
  if (issue.code === 'unrecognized_keys') {
    const lines = issue.message.split('\n');
    return issue.keys.map((key, i) => ({
      path: [...path, key],
      atKey: true,
      message: lines[i] ?? 'unknown key',
    }));
  }
  return [{ path, atKey: issue.code === 'invalid_key', message: issue.message }];
}

function render(problems: Problem[], file: string, doc: Document, lines: LineCounter): string[] {
  const placed = problems.map((problem, order) => {
    let pos = problem.pos;
    if (!pos && problem.path) {
      const offset = offsetOf(doc, problem.path, problem.atKey ?? false);
      if (offset !== undefined) pos = lines.linePos(offset);
    }
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
    const path = problem.path && problem.path.length > 0 ? `${formatPath(problem.path)}: ` : '';
    return { line: `${where}: ${path}${problem.message}`, pos, order };
  });
  placed.sort(
    (a, b) =>
      (a.pos?.line ?? 0) - (b.pos?.line ?? 0) || (a.pos?.col ?? 0) - (b.pos?.col ?? 0) || a.order - b.order,
  );
  return [...new Set(placed.map((p) => p.line))];
}

/**
 * The path of the mapping key at `offset` that repeats an earlier key of its mapping, and
 * where that earlier one is: the parser only says "Map keys must be unique".
 */
function duplicateKeyAt(
  doc: Document,
  offset: number,
): { path: ConfigPath; firstOffset: number } | undefined {
  const search = (node: unknown, path: ConfigPath): { path: ConfigPath; firstOffset: number } | undefined => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key : undefined;
        if (key?.range?.[0] === offset) {
          const first = node.items.find((p) => isScalar(p.key) && p.key.value === key.value);
          return {
            path: [...path, String(key.value)],
            firstOffset: (first?.key as Node | undefined)?.range?.[0] ?? offset,
          };
        }
        const found = search(pair.value, key ? [...path, String(key.value)] : path);
        if (found) return found;
      }
    } else if (isSeq(node)) {
      for (const [i, item] of node.items.entries()) {
        const found = search(item, [...path, i]);
        if (found) return found;
      }
    }
    return undefined;
  };
  return search(doc.contents, []);
}

/** Each document's alias targets, found once however many problems lead through an alias. */
const aliasTargetsOf = new WeakMap<Document, Map<Alias, Node | undefined>>();

/** What a node stands for: an alias's anchored node (undefined for none), any other node itself. */
function resolved(doc: Document, node: unknown): unknown {
  if (!isAlias(node)) return node;
  let targets = aliasTargetsOf.get(doc);
  if (!targets) {
    targets = aliasTargets(doc);
    aliasTargetsOf.set(doc, targets);
  }
  return targets.get(node);
}

/**
 * Where a path points in the source: the value of a scalar field, the key of a mapping or
 * list field (or of an unknown key), the closest existing ancestor of a missing field.
 */
function offsetOf(doc: Document, path: ConfigPath, atKey: boolean): number | undefined {
  let node: unknown = doc.contents;
  let keyNode: Node | undefined;
  let found = 0;
  for (const segment of path) {
    node = resolved(doc, node);
    if (isMap(node)) {
      // The last of a repeated key: its value is the one read.
      const pair = node.items.findLast(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
      );
      if (!pair) break;
      keyNode = pair.key as Node;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) break;
      keyNode = undefined;
      node = item;
    } else break;
    found += 1;
  }
  node = resolved(doc, node);
  const complete = found === path.length;
  const valueNode = node as Node | null | undefined;
  if (keyNode && (atKey || !complete || isCollection(valueNode) || !valueNode?.range))
    return keyNode.range?.[0];
  return valueNode?.range?.[0];
}
