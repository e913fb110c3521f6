import { formatPath } from '../config/messages.js';
import type { OfflineGateConfig } from '../config/types.js';
import { parseJsonAllowingNaN } from '../metrics/fetch-json.js';
import type { GateState } from '../release/types.js';
import type { FileReader } from '../version/changed-models.js';
import { headName } from '../version/head-name.js';
import { aliasProblem, MAX_ALIAS_COUNT, parseYamlDocument, yamlErrorText } from '../version/yaml-document.js';
import { boundViolations, describeBounds } from './bounds.js';
import { repeatedJsonKey } from './json-repeated-key.js';

/** The PR the gate judges: its base and head commits, and the version it moves the model to. */
export interface OfflineChange {
  base: string;
  head: string;
  version: string;
  /**
   * Where the gate is in the config (its model, its place in `gates`), for a missing file to name
   * the field to fix: `models.fraud-detector.gates[2].file`.
   */
  at?: { model: string; index: number };
}

/**
 * A pre-deploy gate on a value the PR's own evaluation wrote to a file (YAML or JSON).
 * A missing file, key or non-number fails: absent evidence is never a pass. So does a file the
 * PR left as the base branch has it: that is the evaluation of the model serving now, not of the
 * candidate (a file absent at base is the PR's own).
 */
export async function checkOffline(
  gate: OfflineGateConfig,
  reader: FileReader,
  change: OfflineChange,
  now: number,
): Promise<GateState> {
  const base: GateState = {
    name: gate.name,
    kind: 'offline',
    verdict: 'fail',
    failures: 0,
    inconclusives: 0,
    consecutiveErrors: 0,
  };
  const fail = (note: string): GateState => ({
    ...base,
    failures: 1,
    last: { at: now, verdict: 'fail', note },
    reason: `${gate.name}: ${note}`,
  });
  const text = await reader.read(change.head, gate.file);
  if (text === undefined) {
    // A typo in the path and an evaluation not committed look alike here: the field says which to fix.
    const field = change.at
      ? `${formatPath(['models', change.at.model, 'gates', change.at.index, 'file'])}: `
      : "the gate's file ";
    return fail(
      `${field}${gate.file} does not exist in the PR's head (${headName(change.head)}): fix the path or commit the evaluation`,
    );
  }
  if ((await reader.read(change.base, gate.file)) === text)
    return fail(
      `${gate.file} is unchanged from the base branch, so its ${gate.key} is not this PR's evaluation: commit the evaluation of ${change.version}`,
    );
  const contents = contentsOf(gate.file, text);
  if ('problem' in contents) return fail(contents.problem);
  const read = readKey(contents.data, gate.key);
  if ('problem' in read) return fail(`${gate.file}: ${read.problem}`);
  const value = read.value;
  const violations = boundViolations(gate.key, gate, value);
  if (violations.length > 0)
    return {
      ...fail(violations.join('; ')),
      last: { at: now, verdict: 'fail', canary: value, note: violations.join('; ') },
    };
  return {
    ...base,
    verdict: 'pass',
    last: { at: now, verdict: 'pass', canary: value, note: describeBounds(gate.key, gate) },
  };
}

/**
 * The file's data: JSON read natively first, since an evaluation file may be large (per-example
 * predictions: 8 MB took yaml a minute), else YAML, each problem named with where it is. The bare
 * NaN and Infinity Python's json.dump writes are read as the numbers they are, which no bound
 * passes; a key an object holds twice is refused, as YAML refuses it.
 */
function contentsOf(file: string, text: string): { data: unknown } | { problem: string } {
  const json = parsedJson(text);
  if (json) {
    const repeated = repeatedJsonKey(text);
    if (repeated === undefined) return json;
    const { key, first, again } = repeated;
    return {
      problem: `${file}:${again.line}:${again.col}: key ${JSON.stringify(key)} is there twice in the same object (first at ${first.line}:${first.col}), so which value is the evaluation's is ambiguous: keep one`,
    };
  }
  const doc = parseYamlDocument(text);
  const error = doc.errors[0];
  if (error) {
    const at = error.linePos?.[0];
    return {
      problem: `${file}${at ? `:${at.line}:${at.col}` : ''} is not valid YAML or JSON: ${yamlErrorText(error)}`,
    };
  }
  try {
    return { data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (err) {
    return { problem: `${file} ${aliasProblem(err) ?? 'is not valid YAML or JSON'}` };
  }
}

/** The JSON of `text`, undefined where it is not JSON (YAML, then, says what is wrong, if anything). */
function parsedJson(text: string): { data: unknown } | undefined {
  try {
    return { data: parseJsonAllowingNaN(text) };
  } catch {
    return undefined;
  }
}

/** How many of an object's keys a message lists: enough to spot a typo, few enough for one line. */
const KEYS_SHOWN = 5;

/**
 * The number at a dotted `key`, or what stands in its way in words: where the path stops (and
 * which keys are there instead), or what was found where a number belongs.
 */
function readKey(data: unknown, key: string): { value: number } | { problem: string } {
  let node = data;
  const walked: string[] = [];
  for (const part of key.split('.')) {
    const where = walked.length === 0 ? 'the file' : `"${walked.join('.')}"`;
    if (node === null || typeof node !== 'object' || Array.isArray(node))
      return { problem: `key "${key}" is not there: ${where} is ${kindOf(node)}, not a mapping of keys` };
    const keys = Object.keys(node);
    if (!Object.hasOwn(node, part)) {
      const there = keys.length === 0 ? 'it has no keys' : `it has ${listKeys(keys)}`;
      return {
        problem: `key "${key}" is not there: ${where} has no "${part}" (${there}); fix the gate's key or write "${key}" in the evaluation`,
      };
    }
    node = (node as Record<string, unknown>)[part];
    walked.push(part);
  }
  if (typeof node === 'number' && Number.isFinite(node)) return { value: node };
  if (typeof node === 'string' && node.trim() !== '' && Number.isFinite(Number(node)))
    return {
      problem: `key "${key}" is the string "${node}", not a number: write it as a number, without quotes (${key.split('.').pop()}: ${node.trim()})`,
    };
  if (typeof node === 'number')
    return {
      problem: `key "${key}" is ${node}, not a finite number: write the evaluation's ${key} as a number`,
    };
  return {
    problem: `key "${key}" is ${kindOf(node)}, not a number: write the evaluation's ${key} as a number`,
  };
}

/** What a YAML or JSON value is, in a few words: `null`, `the string "n/a"`, `a list`, `Infinity`. */
function kindOf(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'a list';
  if (typeof x === 'string') return `the string ${JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}…` : x)}`;
  if (typeof x === 'number') return String(x);
  if (typeof x === 'object') return 'a mapping';
  return typeof x === 'boolean' ? `the boolean ${x}` : String(x);
}

const listKeys = (keys: string[]): string =>
  `${keys
    .slice(0, KEYS_SHOWN)
    .map((k) => `"${k}"`)
    .join(', ')}${keys.length > KEYS_SHOWN ? ` and ${keys.length - KEYS_SHOWN} more` : ''}`;
