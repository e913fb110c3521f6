import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticRows } from '../../src/sandbox/dataset.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { call, featureRows, predictMany } from './helpers.js';

// A model name that needs escaping in label values: a double quote and a backslash.
const WEIRD = 'we"ird\\model';
let sandbox: Sandbox;
let modelsDir: string;
let text: string;
let contentType: string | null;
const sent = { 'fraud-detector': 300, [WEIRD]: 40 };

beforeAll(async () => {
  modelsDir = await mkdtemp(join(tmpdir(), 'model-gate-prom-'));
  await cp(join(demoModelsDir, 'fraud-detector'), join(modelsDir, 'fraud-detector'), { recursive: true });
  await mkdir(join(modelsDir, WEIRD));
  await writeFile(
    join(modelsDir, WEIRD, 'v1.json'),
    JSON.stringify({
      version: 'v1',
      weights: [1, 1, 1, 1],
      bias: 0,
      threshold: 0.5,
      latencyMs: { median: 1, sigma: 0 },
    }),
  );
  sandbox = await startSandbox({
    modelsDir,
    endpoints: [
      { model: 'fraud-detector', stable: 'v1' },
      { model: WEIRD, stable: 'v1' },
    ],
    seed: 11,
  });
  await call('PUT', `${sandbox.url}/admin/models/fraud-detector/traffic`, {
    stable: { version: 'v1' },
    canary: { version: 'v2', weight: 25 },
  });
  const rows = syntheticRows(1);
  await predictMany(
    `${sandbox.url}/models/fraud-detector/predict`,
    featureRows(rows, sent['fraud-detector']),
  );
  await predictMany(
    `${sandbox.url}/models/${encodeURIComponent(WEIRD)}/predict`,
    featureRows(rows, sent[WEIRD]),
  );
  const res = await fetch(`${sandbox.url}/metrics`);
  contentType = res.headers.get('content-type');
  text = await res.text();
});
afterAll(async () => {
  await sandbox.close();
  await rm(modelsDir, { recursive: true, force: true });
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

// The text exposition grammar, one line at a time.
const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const VALUE = '(?:[+-]?(?:\\d+\\.?\\d*(?:[eE][+-]?\\d+)?|\\.\\d+(?:[eE][+-]?\\d+)?)|[+-]Inf|NaN)';
const SAMPLE_LINE = new RegExp(`^(${NAME})(?:\\{(${LABEL}(?:,${LABEL})*,?)?\\})? (${VALUE})(?: -?\\d+)?$`);
const HELP_LINE = new RegExp(`^# HELP (${NAME}) .*$`);
const TYPE_LINE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);

function parseExposition(body: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const lines = body.split('\n');
  expect(lines.at(-1)).toBe(''); // ends with a line feed
  for (const line of lines.slice(0, -1)) {
    const type = TYPE_LINE.exec(line);
    if (type) {
      expect(types.has(type[1] as string)).toBe(false);
      types.set(type[1] as string, type[2] as string);
      continue;
    }
    if (HELP_LINE.test(line)) continue;
    const m = SAMPLE_LINE.exec(line);
    if (!m) throw new Error(`not a valid exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const name = m[1] as string;
    const family = name.replace(/_(bucket|sum|count)$/, '');
    // Every sample belongs to a family whose TYPE was declared before it.
    expect(types.has(name) || types.get(family) === 'histogram', `TYPE before ${name}`).toBe(true);
    samples.push({ name, labels, value: Number((m[3] as string).replace('Inf', 'Infinity')) });
  }
  return { samples, types };
}

describe('/metrics', () => {
  it('is served as Prometheus text and every line follows the exposition grammar', () => {
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const { types } = parseExposition(text);
    expect(Object.fromEntries(types)).toEqual({
      model_gate_requests_total: 'counter',
      model_gate_request_duration_seconds: 'histogram',
      model_gate_prediction_score: 'histogram',
      model_gate_shadow_dropped_total: 'counter',
      model_gate_traffic_weight: 'gauge',
    });
  });

  it('escapes label values so they read back as the original model name', () => {
    expect(text).toContain('model="we\\"ird\\\\model"');
    const { samples } = parseExposition(text);
    const models = new Set(samples.map((s) => s.labels.model));
    expect(models).toEqual(new Set(['fraud-detector', WEIRD]));
  });

  it('counts every request once, split by slot, version and outcome', () => {
    const { samples } = parseExposition(text);
    const total = (model: string) =>
      samples
        .filter((s) => s.name === 'model_gate_requests_total' && s.labels.model === model)
        .reduce((sum, s) => sum + s.value, 0);
    expect(total('fraud-detector')).toBe(sent['fraud-detector']);
    expect(total(WEIRD)).toBe(sent[WEIRD]);
    const outcomes = new Set(
      samples.filter((s) => s.name === 'model_gate_requests_total').map((s) => s.labels.outcome),
    );
    expect(outcomes).toEqual(new Set(['ok', 'error', 'null']));
  });

  it('has cumulative histogram buckets ending in +Inf equal to _count', () => {
    const { samples } = parseExposition(text);
    for (const family of ['model_gate_request_duration_seconds', 'model_gate_prediction_score']) {
      const series = new Map<string, Sample[]>();
      for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
        const key = JSON.stringify([s.labels.model, s.labels.slot, s.labels.version]);
        series.set(key, [...(series.get(key) ?? []), s]);
      }
      expect(series.size).toBe(3); // fraud-detector stable and canary, the weird model's stable
      for (const [key, buckets] of series) {
        const les = buckets.map((b) => Number(b.labels.le?.replace('Inf', 'Infinity')));
        expect(les).toEqual([...les].sort((a, b) => a - b));
        expect(buckets.at(-1)?.labels.le).toBe('+Inf');
        const counts = buckets.map((b) => b.value);
        expect(counts).toEqual([...counts].sort((a, b) => a - b));
        const [model, slot, version] = JSON.parse(key) as string[];
        const count = samples.find(
          (s) =>
            s.name === `${family}_count` &&
            s.labels.model === model &&
            s.labels.slot === slot &&
            s.labels.version === version,
        );
        expect(count?.value).toBe(buckets.at(-1)?.value);
      }
    }
  });

  it('exposes the live weights in percent', () => {
    const { samples } = parseExposition(text);
    const weights = samples
      .filter((s) => s.name === 'model_gate_traffic_weight')
      .map((s) => [s.labels.model, s.labels.slot, s.labels.version, s.value]);
    expect(weights).toEqual([
      ['fraud-detector', 'stable', 'v1', 75],
      ['fraud-detector', 'canary', 'v2', 25],
      [WEIRD, 'stable', 'v1', 100],
    ]);
  });
});
