import type { OfflineGateConfig } from '../config/types.js';
import type { GateState } from '../release/types.js';
import type { FileReader } from '../version/changed-models.js';
import { aliasProblem, MAX_ALIAS_COUNT, parseYamlDocument, yamlErrorText } from '../version/yaml-document.js';
import { boundViolations, describeBounds } from './bounds.js';

/** The PR the gate judges: its base and head commits, and the version it moves the model to. */
export interface OfflineChange {
  base: string;
  head: string;
  version: string;
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
  if (text === undefined) return fail(`${gate.file} does not exist in the PR`);
  if ((await reader.read(change.base, gate.file)) === text)
    return fail(
      `${gate.file} is unchanged from the base branch, so its ${gate.key} is not this PR's evaluation: commit the evaluation of ${change.version}`,
    );
  const contents = contentsOf(gate.file, text);
  if ('problem' in contents) return fail(contents.problem);
  const value = gate.key
    .split('.')
    .reduce<unknown>((node, k) => (node as Record<string, unknown> | undefined)?.[k], contents.data);
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return fail(`${gate.file}: key "${gate.key}" is not a number`);
  }
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
 * predictions: 8 MB took yaml a minute), else YAML, each problem named with where it is.
 */
function contentsOf(file: string, text: string): { data: unknown } | { problem: string } {
  try {
    return { data: JSON.parse(text) };
  } catch {
    // Not JSON: YAML says what is wrong, if anything.
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
