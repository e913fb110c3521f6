/**
 * Metrics from a file, for offline checks and replays: a JSON document of values per slot, or
 * JSONL lines of them over time. The file is read again at every look, so an earlier step
 * (or a process beside the job) can keep writing it.
 *
 * JSON: `{"slots": {"stable": {...}, "canary": {...}}}` or, for several models,
 * `{"models": {"<model>": {"slots": {...}}}}`. A slot entry holds `version` (optional; when
 * present it must be the version in the window, or the slot has no data) and numbers that gate
 * queries select: `{"version": "v2", "requests": 1200, "error-rate": 0.01, "latency": {"p99": 0.21}}`.
 *
 * JSONL: one object per line with `slot`, optional `model`, `version` and `time` (epoch
 * seconds or ISO 8601) and the numbers; the last line that matches the window is the answer,
 * but for a histogram, whose lines carry running totals: the window's increase between lines
 * (jsonl-window-histogram.ts).
 *
 * A count query selects a number of the entry (`errors`), none being no data, never 0
 * (json-count.ts); a buckets query a list of cumulative `{le, count}` (`latency.buckets`).
 */
import { readFile, realpath } from 'node:fs/promises';
import { isAbsolute, relative as relativeTo, resolve, sep } from 'node:path';
import type { FileMetricsConfig } from '../config/types.js';
import { MetricsError } from '../core/errors.js';
import { NON_FINITE_TOKEN, parseJsonAllowingNaN } from './fetch-json.js';
import { noEntry, selectCount } from './json-count.js';
import { type SlotLine, windowHistogram } from './jsonl-window-histogram.js';
import { countQuery, countQueryName, REQUESTS_QUERY } from './reduce.js';
import { selectBuckets, selectNumber } from './selector.js';
import type { MetricSource, MetricWindow } from './source.js';
import { type Escaper, plainToken, renderTemplate, templateValues } from './template.js';

type Entry = Record<string, unknown>;

/** Values in a path are plain tokens: no separators, so they cannot leave the folder. */
const escapePath: Escaper = (value, _quote, variable) => {
  const token = plainToken(value, variable);
  if (token === '.' || token === '..')
    throw new MetricsError(`the value of {{${variable}}} cannot be "${token}" in a path`);
  return token;
};

export function fileSource(config: FileMetricsConfig, baseDir: string = process.cwd()): MetricSource {
  const root = resolve(baseDir);

  async function read(w: MetricWindow): Promise<{ text: string; file: string; jsonl: boolean }> {
    const relative = renderTemplate(config.path, templateValues(w), { quotes: {} }, escapePath);
    const file = resolve(root, relative);
    if (isAbsolute(relative) || !(file === root || file.startsWith(root + sep))) {
      throw new MetricsError(`file: ${relative} is outside the repository`);
    }
    let text: string;
    try {
      // The path text stays inside; a symlink (shipped by the PR) must not lead out of it.
      const real = await realpath(file);
      const inside = relativeTo(await realpath(root), real);
      if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
        throw new MetricsError(
          `file: ${relative}: a symlink to outside the repository; model-gate reads metric files inside it only`,
        );
      }
      text = await readFile(real, 'utf8');
    } catch (err) {
      if (err instanceof MetricsError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new MetricsError(
        code === 'ENOENT'
          ? `file: ${relative} not found; the step that writes it must run before model-gate`
          : `file: cannot read ${relative}: ${code ?? (err as Error).message}`,
      );
    }
    return { text, file: relative, jsonl: /\.(jsonl|ndjson)$/i.test(file) };
  }

  async function entryFor(w: MetricWindow): Promise<{ entry: Entry | undefined; file: string }> {
    const { text, file, jsonl } = await read(w);
    return { entry: jsonl ? fromLines(text, file, w) : fromDocument(text, file, w), file };
  }

  async function number(query: string, w: MetricWindow): Promise<number | undefined> {
    const { entry, file } = await entryFor(w);
    return entry ? selectNumber(entry, query, `file: ${file} (${w.slot})`) : undefined;
  }

  /**
   * A count (whole, never negative). No entry for the slot, or a selector that picks no number in
   * it, is no data, never 0: the error names the selector, the arm and the file.
   */
  async function count(query: string, w: MetricWindow, what: string): Promise<number> {
    const { entry, file } = await entryFor(w);
    if (!entry) {
      const why = `${file} has no entry for it (an entry stating another version is not this one's)`;
      throw noEntry('file', what, w, why, query);
    }
    return selectCount(entry, query, what, w, {
      source: 'file',
      where: `file: ${file} (${w.slot})`,
      document: `the ${w.slot} entry of ${file}`,
    });
  }

  return {
    value: (query, w) => number(query, w),
    requests: (w) => count(config.requests, w, countQueryName(REQUESTS_QUERY)),
    count: (query, w) => count(countQuery(query, config.requests), w, countQueryName(query)),
    async buckets(query, w) {
      const { text, file, jsonl } = await read(w);
      if (jsonl) return windowHistogram(slotLines(text, file, w), query, w, file);
      const entry = fromDocument(text, file, w);
      return entry ? selectBuckets(entry, query, `file: ${file} (${w.slot})`) : undefined;
    },
  };
}

const asEntry = (value: unknown): Entry | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Entry) : undefined;

/** A slot's numbers belong to the window only when they are of its version (when stated). */
const sameVersion = (entry: Entry, w: MetricWindow) =>
  entry.version === undefined || String(entry.version) === w.version;

function fromDocument(text: string, file: string, w: MetricWindow): Entry | undefined {
  let doc: unknown;
  try {
    doc = parseJsonAllowingNaN(text);
  } catch (err) {
    throw new MetricsError(`file: ${file} is not valid JSON (${where(text, err)})`);
  }
  const root = asEntry(doc);
  if (!root || (root.slots === undefined && root.models === undefined)) {
    throw new MetricsError(
      `file: ${file} must be an object with "slots" (or "models": {"<model>": {"slots": ...}})`,
    );
  }
  const scope = root.models === undefined ? root : asEntry(asEntry(root.models)?.[w.model]);
  const entry = asEntry(asEntry(scope?.slots)?.[w.slot]);
  return entry && sameVersion(entry, w) ? entry : undefined;
}

/** The last line of the window's slot inside the window; a line without "time" is in every window. */
function fromLines(text: string, file: string, w: MetricWindow): Entry | undefined {
  return slotLines(text, file, w).findLast((l) => l.at === undefined || (l.at >= w.since && l.at <= w.until))
    ?.entry;
}

/** The lines of the window's slot (and model and version, where stated), in file order, with their time. */
function slotLines(text: string, file: string, w: MetricWindow): SlotLine[] {
  const found: SlotLine[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = parseJsonAllowingNaN(line);
    } catch (err) {
      // A last line with no newline yet is one a writer beside the job is still appending: the
      // look reads the lines before it. A bad line anywhere else stays an error.
      if (i === lines.length - 1) return;
      throw new MetricsError(`file: ${file}:${i + 1} is not valid JSON (${where(line, err)})`);
    }
    const entry = asEntry(value);
    if (!entry) throw new MetricsError(`file: ${file}:${i + 1} is not a JSON object`);
    if (entry.slot !== w.slot) return;
    if (entry.model !== undefined && entry.model !== w.model) return;
    if (!sameVersion(entry, w)) return;
    if (entry.time === undefined) {
      found.push({ entry, line: i + 1 });
      return;
    }
    const at = lineTime(entry.time);
    if (at === undefined)
      throw new MetricsError(`file: ${file}:${i + 1}: "time" must be epoch seconds or ISO 8601`);
    found.push({ entry, line: i + 1, at });
  });
  return found;
}

function lineTime(t: unknown): number | undefined {
  if (typeof t === 'number' && Number.isFinite(t)) return t * 1000;
  if (typeof t === 'string') {
    const ms = Date.parse(t);
    return Number.isFinite(ms) ? ms : undefined;
  }
  return undefined;
}

/**
 * Where JSON.parse stopped, as `line 3, column 2` (`column 2` on the first line), never the parser's message: it quotes the
 * text ("Unexpected token 'O', "OUTSIDE_s3"..."), and the file may hold anything.
 */
function where(text: string, err: unknown): string {
  const stated = /at position (\d+)/.exec((err as Error).message)?.[1];
  // The scanner first: JSON.parse's position may be a bare NaN or -Infinity, which are read.
  const at = jsonErrorOffset(text) ?? (stated === undefined ? undefined : Number(stated));
  if (at === undefined) return 'at an unknown place';
  if (at >= text.length) return 'it ends too early';
  const before = text.slice(0, at).split('\n');
  const column = `column ${(before.at(-1)?.length ?? 0) + 1}`;
  return before.length === 1 ? column : `line ${before.length}, ${column}`;
}

/** The offset of the first syntax error in `text`, or undefined when it is valid JSON. */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++;
  };
  const expect = (c: string) => {
    if (text.charAt(i) !== c) throw i;
    i++;
  };
  const string = () => {
    expect('"');
    for (;;) {
      if (i >= text.length) throw i;
      const c = text.charAt(i);
      if (c === '"') return void i++;
      if (c < ' ') throw i;
      if (c === '\\') {
        const e = text.charAt(i + 1);
        if (
          e === 'u'
            ? !/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))
            : !'"\\/bfnrt'.includes(e) || e === ''
        )
          throw i;
        i += e === 'u' ? 6 : 2;
      } else i++;
    }
  };
  const items = (close: string, item: () => void) => {
    i++;
    ws();
    if (text.charAt(i) === close) return void i++;
    for (;;) {
      item();
      ws();
      if (text.charAt(i) === close) return void i++;
      expect(',');
    }
  };
  const member = () => {
    ws();
    string();
    ws();
    expect(':');
    value();
  };
  const literal = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
  function value() {
    ws();
    const c = text.charAt(i);
    if (c === '{') items('}', member);
    else if (c === '[') items(']', value);
    else if (c === '"') string();
    else {
      // Python's bare NaN / Infinity are read (parseJsonAllowingNaN): the error is elsewhere.
      const token = [literal, NON_FINITE_TOKEN].find((t) => {
        t.lastIndex = i;
        return t.test(text);
      });
      if (!token) throw i;
      i = token.lastIndex;
    }
  }
  try {
    value();
    ws();
    if (i < text.length) throw i;
    return undefined;
  } catch (at) {
    if (typeof at === 'number') return at;
    throw at;
  }
}
