import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseDocument } from 'yaml';
import { parseDuration } from '../config/duration.js';
import { DEFAULT_CONFIG_PATH } from '../config/load.js';
import { quote } from '../config/messages.js';
import { parsePercent } from '../config/percent.js';
import { isSecretField } from '../config/secret-fields.js';
import { EndedElsewhereError, SlotTakenError } from '../ledger/ledger.js';
import { MAX_CONFIG_CHANGES_NOTE } from '../ledger/release-schema.js';
import type { FileReader } from '../version/changed-models.js';
import { MAX_ALIAS_COUNT } from '../version/yaml-document.js';
import type { Logger, Ports } from './ports.js';
import type { Release } from './types.js';

// A PR can change the config that judges it: loosen a gate, drop one, promote on merge whatever
// the analysis says. Its run obeys that config (it is the PR's), so the report says what the PR
// changed, for a reviewer to see before merging. Values as the user wrote them: the YAML's own text
// (`2%`, `${NAME}`), never a value interpolated from the environment.

/** The most changes one model's note lists; the rest are counted. */
const MAX_LISTED = 6;
/** A value longer than this (a query, say) is said to have changed, not shown. */
const MAX_SHOWN = 40;

/** How the PR's own comment names the PR whose config changed. */
const THIS_PR = 'this PR';
/** The words before a model's list of changes. */
const CHANGES = `${THIS_PR} changes its release config`;

/**
 * A kept note (`this PR changes its release config: …`) as any report but PR #`pr`'s own comment
 * says it (a command's or a schedule tick's job summary, the CLI's): `PR #3 changes …`, as there
 * `this PR` could be any.
 */
export const noteNamingPr = (note: string, pr: number): string =>
  note.startsWith(`${THIS_PR} `) ? `PR #${pr}${note.slice(THIS_PR.length)}` : note;

/** One model's release settings as a config file writes them, `defaults` applied. */
interface WrittenSettings {
  gates: Map<string, Record<string, unknown>>;
  /** Where the PR declares the version (`source: { file, key }`). */
  source: unknown;
  strategy: unknown;
  target: unknown;
  metrics: unknown;
  driftWatch: unknown;
  onMerge: unknown;
  mustHaveData: unknown;
  /** The file's own `allow-forks`, which every model's release obeys. */
  allowForks: unknown;
}

/**
 * How much a change matters to a reviewer, most first: the note is cut to fit, and what loosens
 * the release must never be the part cut. POLICY: what decides whether an unproven candidate
 * ships or whose code deploys (on-merge, must-have-data, allow-forks, a gate removed, where the
 * metrics or the version come from). LOOSENED: a bound of a gate or strategy made easier to
 * pass. OTHER: the rest (a gate added or tightened, steps, the target).
 */
const POLICY = 0;
const LOOSENED = 1;
const OTHER = 2;

/** One change, in words with its values (`text`) and without (`brief`: `gate "p99" max`). */
interface SettingChange {
  text: string;
  brief: string;
  rank: number;
}

/** One model's note: why is `this PR changes its release config: …`. */
export interface ConfigChangeNote {
  model: string;
  why: string;
  kind: 'note';
}

/**
 * Per model of `models`, the line saying how the PR's config (at `head`) changes its release
 * settings from the base's: gates by name (added, removed, fields changed), strategy, target,
 * metrics, the version's source, drift watch, on-merge, must-have-data, allow-forks. None where
 * nothing changed, or where either side has no readable config of the model (a new model, a
 * config the base lacks or cannot parse): nothing to compare. At most MAX_CONFIG_CHANGES_NOTE characters: the release record keeps it.
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
): Promise<ConfigChangeNote[]> {
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
  const notes: ConfigChangeNote[] = [];
  for (const model of models) {
    const before = base(model);
    const after = head(model);
    if (!before || !after) continue;
    const changes = settingChanges(before, after);
    if (changes.length > 0) notes.push({ model, why: changesNote(changes), kind: 'note' });
  }
  return notes;
}

/**
 * `this PR changes its release config: a; b; c`. A list too long to show whole lists its first
 * MAX_LISTED changes by rank (what loosens the release first) with their values, then names every
 * other one without them (`and 2 more: gate "g5" max, strategy steps`), cut further to fit the
 * record's limit: a trivial change never hides an on-merge or a removed gate.
 */
function changesNote(changes: SettingChange[]): string {
  const whole = `${CHANGES}: ${changes.map((c) => c.text).join('; ')}`;
  if (changes.length <= MAX_LISTED && whole.length <= MAX_CONFIG_CHANGES_NOTE) return whole;
  // Stable: within a rank, the file's own order.
  const ranked = [...changes].sort((a, b) => a.rank - b.rank);
  for (const named of [true, false]) {
    for (let shown = Math.min(ranked.length, MAX_LISTED); shown >= (named ? 0 : 1); shown--) {
      const rest = ranked.slice(shown);
      const more = named
        ? `and ${rest.length} more: ${rest.map((c) => c.brief).join(', ')}`
        : `and ${rest.length} more`;
      const listed = [...ranked.slice(0, shown).map((c) => c.text), ...(rest.length > 0 ? [more] : [])];
      const why = `${CHANGES}: ${listed.join('; ')}`;
      if (why.length <= MAX_CONFIG_CHANGES_NOTE) return why;
    }
  }
  return `${CHANGES}: ${changes.length} of its settings, too many to list here`;
}

/**
 * `releases` with each note of `notes` on the record of its model's release of PR `of.pr` (of its
 * head `of.headSha`, where given), saved unless `dryRun`: every later report of the release (a
 * schedule tick's, a watch's progress) then says it, not only this run's lines. A record another
 * run changed since keeps that run's state, and the note stays this run's line only.
 */
export async function keepConfigChanges(
  releases: Release[],
  notes: readonly ConfigChangeNote[],
  of: { pr: number; headSha?: string },
  ports: Pick<Ports, 'ledger' | 'log'>,
  dryRun: boolean,
): Promise<Release[]> {
  const out: Release[] = [];
  for (const release of releases) {
    const note = notes.find((n) => n.model === release.model)?.why;
    const ours = release.pr === of.pr && (of.headSha === undefined || release.headSha === of.headSha);
    if (!note || !ours || release.configChanges?.note === note) {
      out.push(release);
      continue;
    }
    const kept: Release = { ...release, configChanges: { note } };
    try {
      if (!dryRun) await ports.ledger.saveRelease(kept);
      out.push(kept);
    } catch (error) {
      if (!(error instanceof EndedElsewhereError || error instanceof SlotTakenError)) throw error;
      ports.log.info(
        `${release.model}: the note on its release config is not kept on its record: ${error.message}`,
      );
      out.push(release);
    }
  }
  return out;
}

/**
 * The config file's path in the repository, as the reader takes it. The action spreads its inputs
 * into the run options, `config` among them: a path on the runner, relative to the workspace (the
 * step's working folder) or absolute; the CLI passes the file it loaded, absolute. The path is
 * measured from the checkout's top, the nearest folder above the file that holds `.git` (a checkout
 * into a subfolder, `path: repo`, puts it below the workspace), else from the workspace (a checkout
 * without git). Without one, the default path. Undefined, said in the log, for a file outside both:
 * no commit holds it.
 */
export function configFileOf(
  opts: { config?: string },
  log: Logger,
  workspace: string = process.env.GITHUB_WORKSPACE ?? process.cwd(),
): string | undefined {
  if (opts.config === undefined) return DEFAULT_CONFIG_PATH;
  const file = resolve(workspace, opts.config);
  const top = checkoutTop(dirname(file)) ?? resolve(workspace);
  const inRepo = relative(top, file);
  if (inRepo === '' || inRepo === '..' || inRepo.startsWith(`..${sep}`) || isAbsolute(inRepo)) {
    log.info(
      `${opts.config}: the config file is outside the repository (no folder above it holds .git, and it is not in the workspace ${workspace}), so the report does not say whether the PR changes its release config`,
    );
    return undefined;
  }
  return inRepo.split(sep).join('/');
}

/** The nearest folder from `dir` up that holds `.git` (a folder, or a file in a worktree or submodule). */
function checkoutTop(dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, '.git'))) return at;
    if (dirname(at) === at) return undefined;
  }
}

/** Each change of `after` from `before`, in words: `gate "p99" removed`, `on-merge require-pass → analyze-then-promote`. */
function settingChanges(before: WrittenSettings, after: WrittenSettings): SettingChange[] {
  const changes: SettingChange[] = [];
  const whole = (text: string, rank: number): SettingChange => ({ text, brief: text, rank });
  /** `subject` with the fields that changed, where any did. */
  const fieldsOf = (subject: string, was: unknown, now: unknown, policy: boolean, ignored?: string[]) => {
    const fields = fieldChanges(was, now, ignored);
    if (fields.length === 0) return;
    const rank = policy ? POLICY : fields.some((f) => f.loosens) ? LOOSENED : OTHER;
    changes.push({
      text: `${subject} ${fields.map((f) => f.text).join(', ')}`,
      brief: `${subject} ${fields.map((f) => f.field).join('/')}`,
      rank,
    });
  };
  for (const name of before.gates.keys())
    if (!after.gates.has(name)) changes.push(whole(`gate ${quote(name)} removed`, POLICY));
  for (const [name, gate] of after.gates) {
    const was = before.gates.get(name);
    if (!was) changes.push(whole(`gate ${quote(name)} added`, OTHER));
    // A gate's name is who it is, not one of its settings.
    else fieldsOf(`gate ${quote(name)}`, was, gate, false, ['name']);
  }
  fieldsOf('strategy', before.strategy, after.strategy, false);
  fieldsOf('target', before.target, after.target, false);
  // Where the gates' numbers come from, and which file declares the version: the PR's to point.
  fieldsOf('metrics', before.metrics, after.metrics, true);
  fieldsOf('source', before.source, after.source, true);
  if (after.driftWatch === undefined && before.driftWatch !== undefined)
    changes.push(whole('drift-watch removed', POLICY));
  else fieldsOf('drift-watch', before.driftWatch, after.driftWatch, false);
  for (const [field, was, now] of [
    ['on-merge', before.onMerge, after.onMerge],
    ['must-have-data', before.mustHaveData, after.mustHaveData],
    ['allow-forks', before.allowForks, after.allowForks],
  ] as const)
    if (!isDeepStrictEqual(was, now))
      changes.push({ text: valueChange(field, was, now), brief: field, rank: POLICY });
  return changes;
}

/** A field that changed: its name as the note writes it, its change in words, whether it loosens. */
interface FieldChange {
  field: string;
  text: string;
  loosens: boolean;
}

/** The fields of a mapping that changed, each `field old → new`; a value that is no mapping, as a whole. */
function fieldChanges(before: unknown, after: unknown, ignored: string[] = []): FieldChange[] {
  const was = mapping(before);
  const now = mapping(after);
  if (!was || !now)
    return isDeepStrictEqual(before, after) ? [] : [{ field: 'changed', text: 'changed', loosens: false }];
  const keys = [...new Set([...Object.keys(now), ...Object.keys(was)])];
  return keys
    .filter((key) => !ignored.includes(key) && !sameAsLoaded(key, was[key], now[key]))
    .map((key) => ({
      field: fieldName(key),
      text: valueChange(key, was[key], now[key]),
      loosens: loosens(key, was[key], now[key]),
    }));
}

/** Bounds a candidate passes more easily the higher they are: a gate's tolerance, its error budget. */
const LOOSER_HIGHER = new Set([
  'max',
  'max-increase',
  'max-decrease',
  'max-distance',
  'max-mismatch',
  'margin',
  'alpha',
  'failure-limit',
  'inconclusive-limit',
  'consecutive-error-limit',
]);
/** Bounds a candidate passes more easily the lower they are. */
const LOOSER_LOWER = new Set(['min', 'min-requests']);

/** Whether `field` going from `before` to `after` makes a gate or step easier to pass: a bound dropped, or moved that way. */
function loosens(field: string, before: unknown, after: unknown): boolean {
  const higher = LOOSER_HIGHER.has(field);
  if (!higher && !LOOSER_LOWER.has(field)) return false;
  if (after === undefined) return before !== undefined;
  const was = magnitude(asLoaded(field, before));
  const now = magnitude(asLoaded(field, after));
  if (was === undefined || now === undefined) return false;
  return higher ? now > was : now < was;
}

/** A loaded value's number (a count, a fraction, milliseconds), if it is one. */
function magnitude(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  const fields = mapping(value);
  const number = fields && Object.values(fields).length === 1 ? Object.values(fields)[0] : undefined;
  return typeof number === 'number' ? number : undefined;
}

/** Strategy fields of a share of traffic, which the loader reads from `10` and `"10%"` alike. */
const TRAFFIC_SHARES = new Set(['steps', 'step-size', 'max-weight', 'share', 'split']);

/**
 * Whether field `field` holds the same setting in both: its values as the loader reads them, so
 * that `1m` and `60s`, `10%` and `10.0%`, or steps `[10, 50]` and `["10%", "50%"]` are no change.
 */
const sameAsLoaded = (field: string, before: unknown, after: unknown) =>
  isDeepStrictEqual(asLoaded(field, before), asLoaded(field, after));

/**
 * A value as the loader reads it where the text may differ for the same setting: a duration in
 * milliseconds, a percentage as a fraction (a share of traffic: as its number), within mappings
 * and lists too; any other value as written.
 */
function asLoaded(field: string, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => asLoaded(field, v));
  const fields = mapping(value);
  if (fields) return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, asLoaded(k, v)]));
  const share = TRAFFIC_SHARES.has(field);
  if (typeof value === 'number' && share) return { percent: value };
  if (typeof value !== 'string') return value;
  const fraction = parsePercent(value);
  // As the strategy schema reads a share: the number before the `%`.
  if (fraction !== undefined) return share ? { percent: Number(value.slice(0, -1)) } : { fraction };
  const ms = parseDuration(value);
  return ms === undefined ? value : { ms };
}

/** `field old → new`, or `field changed` where a value is long or may be a secret (a URL's credentials, a header). */
function valueChange(field: string, before: unknown, after: unknown): string {
  const hidden = field === 'url' || field === 'headers' || isSecretField([field]);
  const was = hidden ? undefined : shown(before);
  const now = hidden ? undefined : shown(after);
  const name = fieldName(field);
  return was === undefined || now === undefined ? `${name} changed` : `${name} ${was} → ${now}`;
}

/** What a field's name may be to go into the note as written: a config's words (`step-duration`). */
const PLAIN_FIELD = /^[\w.-]{1,40}$/;

/**
 * A field's name for the note: as written when it is a plain word, else quoted with its control
 * characters escaped. The PR's config writes the names, and the note goes to the job's log: a
 * name holding a line break would start a line of its own there, which the runner may read as a
 * workflow command (`::set-output …`, `::add-mask::`, a forged `::error::`).
 */
const fieldName = (field: string): string => (PLAIN_FIELD.test(field) ? field : quote(field));

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
  // A control character (a line break above all) would let the PR's config write lines of its own in the log.
  return text !== undefined && text.length <= MAX_SHOWN && !/\p{Cc}/u.test(text) ? text : undefined;
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
      source: model.source,
      strategy: model.strategy ?? defaults.strategy,
      target: model.target ?? defaults.target,
      metrics: model.metrics ?? defaults.metrics,
      driftWatch: model['drift-watch'],
      onMerge: model['on-merge'] ?? defaults['on-merge'] ?? 'require-pass',
      mustHaveData: model['must-have-data'] ?? defaults['must-have-data'] ?? true,
      allowForks: root['allow-forks'] ?? false,
    };
  };
}

const mapping = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
