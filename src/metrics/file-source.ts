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
 * seconds or ISO 8601) and the numbers; the last line that matches the window is the answer.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve, sep } from 'node:path';
import type { FileMetricsConfig } from '../config/types.js';
import { MetricsError } from '../core/errors.js';
import { requestCount } from './reduce.js';
import { selectNumber } from './selector.js';
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

  async function entryFor(w: MetricWindow): Promise<{ entry: Entry | undefined; file: string }> {
    const relative = renderTemplate(config.path, templateValues(w), { quotes: {} }, escapePath);
    const file = resolve(root, relative);
    if (isAbsolute(relative) || !(file === root || file.startsWith(root + sep))) {
      throw new MetricsError(`file: ${relative} is outside the repository`);
    }
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new MetricsError(
        code === 'ENOENT'
          ? `file: ${relative} not found; the step that writes it must run before model-gate`
          : `file: cannot read ${relative}: ${code ?? (err as Error).message}`,
      );
    }
    const jsonl = /\.(jsonl|ndjson)$/i.test(file);
    const entry = jsonl ? fromLines(text, relative, w) : fromDocument(text, relative, w);
    return { entry, file: relative };
  }

  return {
    async value(query, w) {
      const { entry, file } = await entryFor(w);
      return entry ? selectNumber(entry, query, `file: ${file} (${w.slot})`) : undefined;
    },
    async requests(w) {
      const { entry, file } = await entryFor(w);
      const n = entry ? selectNumber(entry, config.requests, `file: ${file} (${w.slot})`) : undefined;
      return n === undefined ? 0 : requestCount(n);
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
    doc = JSON.parse(text);
  } catch (err) {
    throw new MetricsError(`file: ${file} is not valid JSON (${(err as Error).message})`);
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

function fromLines(text: string, file: string, w: MetricWindow): Entry | undefined {
  let found: Entry | undefined;
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new MetricsError(`file: ${file}:${i + 1} is not valid JSON (${(err as Error).message})`);
    }
    const entry = asEntry(value);
    if (!entry) throw new MetricsError(`file: ${file}:${i + 1} is not a JSON object`);
    if (entry.slot !== w.slot) return;
    if (entry.model !== undefined && entry.model !== w.model) return;
    if (!sameVersion(entry, w)) return;
    if (entry.time !== undefined) {
      const at = lineTime(entry.time);
      if (at === undefined)
        throw new MetricsError(`file: ${file}:${i + 1}: "time" must be epoch seconds or ISO 8601`);
      if (at < w.since || at > w.until) return;
    }
    found = entry;
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
