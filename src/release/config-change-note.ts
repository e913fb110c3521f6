import { isAbsolute, normalize, relative, sep } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseDocument } from 'yaml';
import { DEFAULT_CONFIG_PATH } from '../config/load.js';
import { quote } from '../config/messages.js';
import { isSecretField } from '../config/secret-fields.js';
import type { FileReader } from '../version/changed-models.js';
import { MAX_ALIAS_COUNT } from '../version/yaml-document.js';
import type { Logger } from './ports.js';

// A PR can change the config that judges it: loosen a gate, drop one, promote on merge whatever
// the analysis says. Its run obeys that config (it is the PR's), so the report says what the PR
// changed, for a reviewer to see before merging. Values as the user wrote them: the YAML's own text
// (`2%`, `${NAME}`), never a value interpolated from the environment.

/** The most changes one model's note lists; the rest are counted. */
const MAX_LISTED = 6;
/** A value longer than this (a query, say) is said to have changed, not shown. */
const MAX_SHOWN = 40;

/** One model's release settings as a config file writes them, `defaults` applied. */
interface WrittenSettings {
  gates: Map<string, Record<string, unknown>>;
  strategy: unknown;
  target: unknown;
  onMerge: unknown;
  mustHaveData: unknown;
}

/**
 * Per model of `models`, the line saying how the PR's config (at `head`) changes its release
 * settings from the base's: gates by name (added, removed, fields changed), strategy, target,
 * on-merge, must-have-data. None where nothing changed, or where either side has no readable
 * config of the model (a new model, a config the base lacks or cannot parse): nothing to compare.
 */
export async function configChangeNotes(
  reader: FileReader,
  refs: { base: string; head: string },
  models: string[],
  configFile: string | undefined,
  log: Logger,
  /** The files the PR touches, when known: a config the PR leaves alone differs from the base's
   * tip only by the base's own later changes, which are not the PR's to report. */
  touched?: ReadonlySet<string>,
): Promise<{ model: string; why: string; kind: 'note' }[]> {
  if (configFile === undefined || models.length === 0 || (touched && !touched.has(configFile))) return [];
  let texts: (string | undefined)[];
  try {
    texts = await Promise.all([reader.read(refs.base, configFile), reader.read(refs.head, configFile)]);
  } catch (error) {
    // The note is a courtesy: a file that cannot be fetched leaves it out, not the release.
    log.warn(
      `${configFile}: could not read it at the PR's base or head (${(error as Error).message}); the report does not say whether the PR changes its release config`,
    );
    return [];
  }
  const [base, head] = texts.map((text) => (text === undefined ? undefined : writtenModels(text)));
  if (!base || !head) return [];
  const notes = [];
  for (const model of models) {
    const before = base(model);
    const after = head(model);
    if (!before || !after) continue;
    const changes = settingChanges(before, after);
    if (changes.length === 0) continue;
    const more = changes.length - MAX_LISTED;
    const listed = more > 0 ? [...changes.slice(0, MAX_LISTED), `and ${more} more`] : changes;
    notes.push({
      model,
      why: `this PR changes its release config: ${listed.join('; ')}`,
      kind: 'note' as const,
    });
  }
  return notes;
}

/**
 * The config file's path in the repository, as the reader takes it. The action spreads its inputs
 * into the run options, `config` among them: a path on the runner, relative to the workspace (the
 * step's working folder) or absolute in it. Without one (the CLI), the default path. Undefined for
 * a file outside the workspace: no commit holds it.
 */
export function configFileOf(
  opts: { config?: string },
  workspace: string = process.env.GITHUB_WORKSPACE ?? process.cwd(),
): string | undefined {
  const given = opts.config ?? DEFAULT_CONFIG_PATH;
  const inRepo = isAbsolute(given) ? relative(workspace, given) : normalize(given);
  if (inRepo === '' || inRepo.startsWith('..') || isAbsolute(inRepo)) return undefined;
  return inRepo.split(sep).join('/');
}

/** Each change of `after` from `before`, in words: `gate "p99" removed`, `on-merge require-pass → analyze-then-promote`. */
function settingChanges(before: WrittenSettings, after: WrittenSettings): string[] {
  const changes: string[] = [];
  for (const name of before.gates.keys())
    if (!after.gates.has(name)) changes.push(`gate ${quote(name)} removed`);
  for (const [name, gate] of after.gates) {
    const was = before.gates.get(name);
    if (!was) changes.push(`gate ${quote(name)} added`);
    else {
      // A gate's name is who it is, not one of its settings.
      const fields = fieldChanges(was, gate, ['name']);
      if (fields.length > 0) changes.push(`gate ${quote(name)} ${fields.join(', ')}`);
    }
  }
  for (const [key, field] of [
    ['strategy', 'strategy'],
    ['target', 'target'],
  ] as const) {
    const fields = fieldChanges(before[field], after[field]);
    if (fields.length > 0) changes.push(`${key} ${fields.join(', ')}`);
  }
  if (!isDeepStrictEqual(before.onMerge, after.onMerge))
    changes.push(valueChange('on-merge', before.onMerge, after.onMerge));
  if (!isDeepStrictEqual(before.mustHaveData, after.mustHaveData))
    changes.push(valueChange('must-have-data', before.mustHaveData, after.mustHaveData));
  return changes;
}

/** The fields of a mapping that changed, each `field old → new`; a value that is no mapping, as a whole. */
function fieldChanges(before: unknown, after: unknown, ignored: string[] = []): string[] {
  const was = mapping(before);
  const now = mapping(after);
  if (!was || !now) return isDeepStrictEqual(before, after) ? [] : ['changed'];
  const keys = [...new Set([...Object.keys(now), ...Object.keys(was)])];
  return keys
    .filter((key) => !ignored.includes(key) && !isDeepStrictEqual(was[key], now[key]))
    .map((key) => valueChange(key, was[key], now[key]));
}

/** `field old → new`, or `field changed` where a value is long or may be a secret (a URL's credentials, a header). */
function valueChange(field: string, before: unknown, after: unknown): string {
  const hidden = field === 'url' || field === 'headers' || isSecretField([field]);
  const was = hidden ? undefined : shown(before);
  const now = hidden ? undefined : shown(after);
  return was === undefined || now === undefined ? `${field} changed` : `${field} ${was} → ${now}`;
}

/** A value as written, short enough to show; undefined when it is not. */
function shown(value: unknown): string | undefined {
  if (value === undefined) return 'unset';
  const text =
    typeof value === 'string'
      ? value
      : Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null)
        ? `[${value.map(String).join(', ')}]`
        : typeof value === 'object' && value !== null
          ? undefined
          : String(value);
  return text !== undefined && text.length <= MAX_SHOWN && !/[\r\n]/.test(text) ? text : undefined;
}

/**
 * The models of a config file's text as written, each model's settings looked up by name: the raw
 * YAML (anchors and merge keys resolved), `defaults` filling in what a model omits, as the loader
 * does. Undefined for a text that is no config (not YAML, no `models` mapping).
 */
function writtenModels(text: string): ((model: string) => WrittenSettings | undefined) | undefined {
  let data: unknown;
  try {
    const doc = parseDocument(text, { merge: true, uniqueKeys: true });
    if (doc.errors.length > 0) return undefined;
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch {
    // Too deep or too many aliases to read: no comparison, as for any text that is no config.
    return undefined;
  }
  const root = mapping(data);
  const models = mapping(root?.models);
  if (!root || !models) return undefined;
  const defaults = mapping(root.defaults) ?? {};
  return (name) => {
    const model = Object.hasOwn(models, name) ? mapping(models[name]) : undefined;
    if (!model) return undefined;
    const gates = new Map<string, Record<string, unknown>>();
    for (const entry of Array.isArray(model.gates) ? model.gates : []) {
      const gate = mapping(entry);
      if (typeof gate?.name === 'string' && !gates.has(gate.name)) gates.set(gate.name, gate);
    }
    return {
      gates,
      strategy: model.strategy ?? defaults.strategy,
      target: model.target ?? defaults.target,
      onMerge: model['on-merge'] ?? defaults['on-merge'] ?? 'require-pass',
      mustHaveData: model['must-have-data'] ?? defaults['must-have-data'] ?? true,
    };
  };
}

const mapping = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
