/**
 * Python writes a missing float as a bare NaN (Flask's jsonify, json.dumps by default), which
 * JSON.parse refuses: every look at such an endpoint or file was an error ("did not answer
 * JSON"), and five in a row rolled back the candidate. The docs promise NaN is no data: the
 * answer is read, its NaN / Infinity / -Infinity are non-finite numbers, which the gates take for
 * no data, and the other numbers in it are judged. A body still invalid after that stays an error.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ThresholdGateConfig } from '../../src/config/types.js';
import { measureThreshold } from '../../src/gates/threshold-gate.js';
import { fileSource } from '../../src/metrics/file-source.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { metricsFor } from '../../src/release/adapters.js';
import { fraudLook, fraudOnSource } from '../support/fraud-on-source.js';
import { type JsonServer, startJsonServer } from '../support/metrics-http.js';

const T0 = 1_760_000_000_000;
const w = (slot: 'stable' | 'canary', version: string): MetricWindow => ({
  model: 'fraud',
  slot,
  version,
  since: T0,
  until: T0 + 60_000,
});

/** What Flask's jsonify writes for a p99 it could not compute (float('nan')). */
const FLASK: Record<string, string> = {
  '/stats/canary': '{"stats":{"requests":500,"errors":40,"latency_p99":NaN,"note":"p99: NaN, [Infinity]"}}',
  '/stats/stable': '{"stats": {"requests": 5000, "errors": 50, "latency_p99": Infinity, "drift": -Infinity}}',
  '/broken/canary': '{"stats":{"requests":500,"latency_p99":NaN,}}',
};

let api: JsonServer;
let root: string;
beforeAll(async () => {
  api = await startJsonServer((req) => {
    const text = FLASK[req.path];
    return text === undefined ? { status: 404, body: { error: 'no such slot' } } : { status: 200, text };
  });
  root = await mkdtemp(join(tmpdir(), 'model-gate-bare-nan-'));
  await writeFile(
    join(root, 'slots.json'),
    '{"slots": {"canary": {"version": "v2", "requests": 500, "errors": NaN, "p99": NaN}}}',
  );
  await writeFile(
    join(root, 'log.jsonl'),
    [
      '{"slot": "canary", "version": "v2", "requests": 400, "p99": -Infinity}',
      '{"slot": "canary", oops}',
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  await api?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

/** Model fraud reading `<api>/<path>/{{slot}}`, judged by a p99 threshold gate. */
function onApi(path: string) {
  const model = parseConfig(
    fraudOnSource(`{ type: http-json, url: "${api.url}/${path}/{{slot}}", requests: stats.requests }`, [
      '{ name: p99, kind: threshold, query: stats.latency_p99, max: 0.5 }',
    ]),
    {},
  ).config.models.fraud;
  if (!model) throw new Error('no model');
  return model;
}

describe('a JSON answer with Python bare NaN / Infinity', () => {
  it('is read: the NaN p99 is no data, an inconclusive look, and the counts beside it are counted', async () => {
    const model = onApi('stats');
    const source = metricsFor(model);
    expect(await source.requests(w('canary', 'v2'))).toBe(500);
    expect(await source.count?.('stats.errors', w('stable', 'v1'))).toBe(50);
    expect(await source.value('stats.latency_p99', w('canary', 'v2'))).toBeUndefined();
    expect(await source.value('stats.drift', w('stable', 'v1'))).toBeUndefined();

    const m = await measureThreshold(
      model.gates[0] as ThresholdGateConfig,
      fraudLook(source, T0, T0 + 60_000),
    );
    expect(m).toMatchObject({ verdict: 'inconclusive', canaryRequests: 500 });
    expect(m.note).toBe(
      'no data for the candidate: the query gave no number for the canary slot (version v2): "stats.latency_p99"',
    );
  });

  it('keeps a NaN inside a string as text', async () => {
    const source = metricsFor(onApi('stats'));
    await expect(source.value('stats.note', w('canary', 'v2'))).rejects.toThrow(
      /selects the text "p99: NaN, \[Infinity\]", not a number/,
    );
  });

  it('a count that is NaN says so, as no data', async () => {
    const source = fileSource({ type: 'file', path: 'slots.json', requests: 'requests' }, root);
    expect(await source.requests(w('canary', 'v2'))).toBe(500);
    expect(await source.value('p99', w('canary', 'v2'))).toBeUndefined();
    await expect(source.count?.('errors', w('canary', 'v2'))).rejects.toThrow(
      /the count query matched nothing for the canary slot \(version v2\), which is no data, not 0: the canary entry of slots\.json holds NaN there/,
    );
  });

  it('reads JSONL lines with them, and a line invalid for another reason is still an error at its place', async () => {
    const source = fileSource({ type: 'file', path: 'log.jsonl', requests: 'requests' }, root);
    await expect(source.requests(w('canary', 'v2'))).rejects.toThrow(
      'file: log.jsonl:2 is not valid JSON (column 20)',
    );
  });

  it('a body invalid for another reason still did not answer JSON', async () => {
    const model = onApi('broken');
    await expect(metricsFor(model).requests(w('canary', 'v2'))).rejects.toThrow(
      /\/broken\/canary did not answer JSON \(\{"stats":\{"requests":500,"latency_p99":NaN,\}\}\)/,
    );
  });
});
