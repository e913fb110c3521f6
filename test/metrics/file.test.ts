import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSource } from '../../src/metrics/file-source.js';
import type { MetricWindow } from '../../src/metrics/source.js';

let root: string;
const T0 = 1_760_000_000_000;
const w = (slot: 'stable' | 'canary', version: string, model = 'fraud'): MetricWindow => ({
  model,
  slot,
  version,
  since: T0,
  until: T0 + 60_000,
});

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'model-gate-file-metrics-'));
  await mkdir(join(root, 'metrics'));
  await writeFile(
    join(root, 'metrics', 'slots.json'),
    JSON.stringify({
      slots: {
        stable: { version: 'v1', requests: 5000, 'error-rate': 0.01, latency: { p99: 0.2 } },
        canary: { version: 'v2', requests: 400, 'error-rate': 0.015, latency: { p99: 0.25 } },
      },
    }),
  );
  await writeFile(
    join(root, 'metrics', 'models.json'),
    JSON.stringify({ models: { ranker: { slots: { canary: { requests: 7, ndcg: 0.61 } } } } }),
  );
  await writeFile(
    join(root, 'metrics', 'fraud.json'),
    JSON.stringify({ slots: { canary: { version: 'v2', requests: 3 } } }),
  );
  const line = (o: object) => JSON.stringify(o);
  await writeFile(
    join(root, 'metrics', 'log.jsonl'),
    [
      line({ slot: 'canary', version: 'v2', time: (T0 - 10_000) / 1000, requests: 1, 'error-rate': 0.9 }),
      line({ slot: 'canary', version: 'v2', time: (T0 + 10_000) / 1000, requests: 100, 'error-rate': 0.02 }),
      '',
      line({
        slot: 'canary',
        version: 'v2',
        time: new Date(T0 + 50_000).toISOString(),
        requests: 300,
        'error-rate': 0.03,
      }),
      line({ slot: 'stable', model: 'other', requests: 5 }),
      line({ slot: 'canary', version: 'v2', time: (T0 + 120_000) / 1000, requests: 999, 'error-rate': 0.5 }),
    ].join('\n'),
  );
  await writeFile(join(root, 'metrics', 'broken.jsonl'), `${line({ slot: 'canary' })}\n{oops\n`);
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('file source', () => {
  it('reads numbers per slot from JSON, only for the version in the window', async () => {
    const source = fileSource({ type: 'file', path: 'metrics/slots.json', requests: 'requests' }, root);
    expect(await source.requests(w('stable', 'v1'))).toBe(5000);
    expect(await source.value('error-rate', w('canary', 'v2'))).toBe(0.015);
    expect(await source.value('latency.p99', w('canary', 'v2'))).toBe(0.25);
    expect(await source.value('error-rate', w('canary', 'v3'))).toBeUndefined();
    expect(await source.requests(w('canary', 'v3'))).toBe(0);
  });

  it('reads a model by name from "models", and fills template variables in the path', async () => {
    const models = fileSource({ type: 'file', path: 'metrics/models.json', requests: 'requests' }, root);
    expect(await models.value('ndcg', w('canary', 'any', 'ranker'))).toBe(0.61);
    expect(await models.value('ndcg', w('canary', 'any', 'fraud'))).toBeUndefined();
    const perModel = fileSource({ type: 'file', path: 'metrics/{{model}}.json', requests: 'requests' }, root);
    expect(await perModel.requests(w('canary', 'v2'))).toBe(3);
  });

  it('takes the last JSONL line of the slot and version inside the window', async () => {
    const source = fileSource({ type: 'file', path: 'metrics/log.jsonl', requests: 'requests' }, root);
    expect(await source.requests(w('canary', 'v2'))).toBe(300);
    expect(await source.value('error-rate', w('canary', 'v2'))).toBe(0.03);
    expect(await source.requests(w('stable', 'v1'))).toBe(0);
  });

  it('says which file and line is wrong', async () => {
    const missing = fileSource({ type: 'file', path: 'metrics/none.json', requests: 'requests' }, root);
    await expect(missing.requests(w('canary', 'v2'))).rejects.toThrow(
      'file: metrics/none.json not found; the step that writes it must run before model-gate',
    );
    const broken = fileSource({ type: 'file', path: 'metrics/broken.jsonl', requests: 'requests' }, root);
    await expect(broken.requests(w('canary', 'v2'))).rejects.toThrow(
      /^file: metrics\/broken\.jsonl:2 is not valid JSON/,
    );
    const outside = fileSource(
      { type: 'file', path: 'metrics/{{version}}.json', requests: 'requests' },
      root,
    );
    await expect(outside.requests(w('canary', '..'))).rejects.toThrow(/cannot be ".." in a path/);
  });
});
