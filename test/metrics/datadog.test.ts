import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { DatadogMetricsConfig } from '../../src/config/types.js';
import { MetricsError } from '../../src/core/errors.js';
import { measureRatio } from '../../src/gates/ratio-gate.js';
import { datadogSource } from '../../src/metrics/datadog-source.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { metricsFor } from '../../src/release/adapters.js';
import { fraudLook, fraudOnSource } from '../support/fraud-on-source.js';
import { type FakeDatadog, type StoredSeries, startFakeDatadog } from '../support/metrics-datadog.js';

const API_KEY = 'api-key-123';
const APP_KEY = 'app-key-456';
const T0 = 1_760_000_000_000; // a whole 10 s
const window = (slot: 'stable' | 'canary', version: string): MetricWindow => ({
  model: 'fraud',
  slot,
  version,
  since: T0,
  until: T0 + 60_000,
});

/** Counts per 10 s for 6 intervals: stable v1 serves 100 (2 errors), canary v2 serves 20 (1 or 2 errors). */
function store(): StoredSeries[] {
  const points = (values: number[]): [number, number][] => values.map((v, i) => [T0 + i * 10_000, v]);
  return [
    {
      metric: 'model.requests',
      tags: { model: 'fraud', slot: 'stable', version: 'v1' },
      points: points([100, 100, 100, 100, 100, 100]),
    },
    {
      metric: 'model.errors',
      tags: { model: 'fraud', slot: 'stable', version: 'v1' },
      points: points([2, 2, 2, 2, 2, 2]),
    },
    {
      metric: 'model.requests',
      tags: { model: 'fraud', slot: 'canary', version: 'v2' },
      points: points([20, 20, 20, 20, 20, 20]),
    },
    {
      metric: 'model.errors',
      tags: { model: 'fraud', slot: 'canary', version: 'v2' },
      points: points([1, 2, 1, 2, 1, 2]),
    },
    // An earlier point outside the window is never read.
    {
      metric: 'model.requests',
      tags: { model: 'fraud', slot: 'canary', version: 'v2' },
      points: [[T0 - 60_000, 999]],
    },
  ];
}

const REQUESTS = 'sum:model.requests{model:{{model}},slot:{{slot}},version:{{version}}}.as_count()';
const ERROR_RATE =
  'sum:model.errors{model:{{model}},slot:{{slot}},version:{{version}}}.as_count() / sum:model.requests{model:{{model}},slot:{{slot}},version:{{version}}}.as_count()';

let dd: FakeDatadog;
const config = (over: Partial<DatadogMetricsConfig> = {}): DatadogMetricsConfig => ({
  type: 'datadog',
  url: dd.url,
  apiKey: API_KEY,
  applicationKey: APP_KEY,
  timeoutMs: 2_000,
  requests: REQUESTS,
  reducer: 'avg',
  ...over,
});

beforeAll(async () => {
  dd = await startFakeDatadog({ apiKey: API_KEY, applicationKey: APP_KEY, series: store() });
});
afterAll(async () => {
  await dd?.close();
});

describe('datadog source against the published v1 query contract', () => {
  it('sends GET /api/v1/query with from, to, the rendered query and both keys', async () => {
    dd.requests.length = 0;
    expect(await datadogSource(config()).requests(window('canary', 'v2'))).toBe(120);
    const [req] = dd.requests;
    expect(req?.method).toBe('GET');
    expect(req?.path).toBe('/api/v1/query');
    expect(req?.query.get('from')).toBe(String(T0 / 1000));
    expect(req?.query.get('to')).toBe(String(T0 / 1000 + 60));
    expect(req?.query.get('query')).toBe('sum:model.requests{model:fraud,slot:canary,version:v2}.as_count()');
    expect(req?.headers['dd-api-key']).toBe(API_KEY);
    expect(req?.headers['dd-application-key']).toBe(APP_KEY);
  });

  it('sends a query holding "+" intact (an operator, and a version in a tag): it is %2B on the wire', async () => {
    dd.requests.length = 0;
    const sum =
      'sum:model.errors{model:{{model}},version:{{version}}}.as_count() + sum:model.timeouts{model:{{model}},version:{{version}}}.as_count()';
    // The stand-in evaluates only a / b: what matters is what reached it.
    await datadogSource(config())
      .value(sum, window('canary', '1.0.0+build.7'))
      .catch(() => undefined);
    expect(dd.requests[0]?.query.get('query')).toBe(
      'sum:model.errors{model:fraud,version:1.0.0+build.7}.as_count() + sum:model.timeouts{model:fraud,version:1.0.0+build.7}.as_count()',
    );
  });

  it('sums request counts and reduces a gate query over the window', async () => {
    const source = datadogSource(config());
    expect(await source.requests(window('stable', 'v1'))).toBe(600);
    expect(await source.value(ERROR_RATE, window('stable', 'v1'))).toBeCloseTo(0.02, 12);
    expect(await source.value(ERROR_RATE, window('canary', 'v2'))).toBeCloseTo(0.075, 12);
    const max = datadogSource(config({ reducer: 'max' }));
    expect(await max.value(ERROR_RATE, window('canary', 'v2'))).toBeCloseTo(0.1, 12);
    const last = datadogSource(config({ reducer: 'last' }));
    expect(await last.value(ERROR_RATE, window('canary', 'v2'))).toBeCloseTo(0.1, 12);
  });

  it('has no data, never zero, for a version that served nothing', async () => {
    const source = datadogSource(config());
    await expect(source.requests(window('canary', 'v9'))).rejects.toThrow(
      /^datadog: the requests query matched nothing for the canary slot \(version v9\), which is no data, not 0: check its metric name and tags \(metrics\.requests\): "sum:/,
    );
    expect(await source.value(ERROR_RATE, window('canary', 'v9'))).toBeUndefined();
  });

  it('refuses several series (a by {...}) where one is expected, saying how many and to aggregate', async () => {
    const bySlot = 'sum:model.requests{model:{{model}}} by {slot}.as_count()';
    const source = datadogSource(config({ requests: bySlot }));
    await expect(source.value(bySlot, window('canary', 'v2'))).rejects.toThrow(
      'datadog: the query returned 2 series, expected one; aggregate it (sum:...) without "by {...}": "sum:model.requests{model:fraud} by {slot}.as_count()"',
    );
    await expect(source.requests(window('canary', 'v2'))).rejects.toThrow(/returned 2 series, expected one/);
    await expect(source.count?.(bySlot, window('canary', 'v2'))).rejects.toThrow(
      /^datadog: the count query returned 2 series, expected one/,
    );
  });

  it('counts events over the window (.as_count() points summed); no series is no data, naming default_zero', async () => {
    const source = datadogSource(config());
    const errors = 'sum:model.errors{model:{{model}},slot:{{slot}},version:{{version}}}.as_count()';
    expect(await source.count?.(errors, window('stable', 'v1'))).toBe(12);
    expect(await source.count?.(errors, window('canary', 'v2'))).toBe(9);
    // `requests`, a ratio gate's default `total`, is the source's requests query.
    expect(await source.count?.('requests', window('canary', 'v2'))).toBe(120);
    await expect(source.count?.(errors, window('canary', 'v9'))).rejects.toThrow(
      'datadog: the count query matched nothing for the canary slot (version v9), which is no data, not 0: check its metric name and tags; if zero is meant, write default_zero(…): "sum:model.errors{model:fraud,slot:canary,version:v9}.as_count()"',
    );
  });

  it('serves a ratio gate from the config file end to end', async () => {
    const yaml = fraudOnSource(
      `{ type: datadog, url: "${dd.url}", api-key: "\${DD_API_KEY}", application-key: "\${DD_APP_KEY}", requests: "${REQUESTS}" }`,
      [
        `{ name: errors, kind: ratio, events: "sum:model.errors{model:{{model}},slot:{{slot}},version:{{version}}}.as_count()", max-increase: 10% }`,
      ],
    );
    const model = parseConfig(yaml, { DD_API_KEY: API_KEY, DD_APP_KEY: APP_KEY }).config.models.fraud;
    const gate = model?.gates[0];
    if (!model || gate?.kind !== 'ratio') throw new Error('no ratio gate');
    const m = await measureRatio(gate, fraudLook(metricsFor(model), T0, T0 + 60_000));
    expect(m).toMatchObject({ canaryRequests: 120, baselineRequests: 600 });
    expect(m.canary).toBeCloseTo(9 / 120, 12);
    expect(m.baseline).toBeCloseTo(12 / 600, 12);
    expect(m.verdict).not.toBe('error');
  });

  it('turns each documented failure into a MetricsError saying what to do', async () => {
    const w = window('canary', 'v2');
    await expect(datadogSource(config({ apiKey: 'wrong' })).requests(w)).rejects.toThrow(
      /^datadog: HTTP 403 \(Forbidden\); the server refused the credentials: check api-key and application-key/,
    );
    await expect(datadogSource(config()).value('sum:model.requests{', w)).rejects.toThrow(
      /^datadog: bad query \(Error parsing query: .*\): "sum:model.requests\{"/,
    );
    dd.mode = 'rate-limited';
    try {
      await expect(datadogSource(config()).requests(w)).rejects.toThrow(
        /rate limited \(HTTP 429\), retry in 42s/,
      );
    } finally {
      dd.mode = 'ok';
    }
    dd.mode = 'server-error';
    try {
      await expect(datadogSource(config()).requests(w)).rejects.toThrow(
        'datadog: HTTP 500 (upstream connect error)',
      );
    } finally {
      dd.mode = 'ok';
    }
  });

  it('gives up after the timeout', async () => {
    dd.mode = 'hang';
    try {
      const err = await datadogSource(config({ timeoutMs: 200 }))
        .requests(window('canary', 'v2'))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MetricsError);
      expect((err as Error).message).toMatch(/^datadog: no answer from .* within 200ms \(timeout\)/);
    } finally {
      dd.mode = 'ok';
    }
  });

  it('is built from the config file, keys from the environment', async () => {
    const yaml = `version: 1
defaults:
  target: { type: sandbox, url: http://127.0.0.1:1 }
  strategy: { type: canary, steps: [50] }
models:
  fraud:
    source: { file: model.yaml, key: version }
    metrics:
      type: datadog
      url: "\${DD_URL}"
      api-key: "\${DD_API_KEY}"
      application-key: "\${DD_APP_KEY}"
      requests: "${REQUESTS}"
    gates:
      - { name: errors, kind: threshold, query: "${ERROR_RATE}", max: 0.05 }
`;
    const { config: parsed, interpolated } = parseConfig(yaml, {
      DD_URL: dd.url,
      DD_API_KEY: API_KEY,
      DD_APP_KEY: APP_KEY,
    });
    const model = parsed.models.fraud;
    if (!model) throw new Error('no model');
    expect(interpolated.map((f) => f.path)).toContain('models.fraud.metrics.api-key');
    const source = metricsFor(model);
    expect(await source.requests(window('stable', 'v1'))).toBe(600);
  });
});
