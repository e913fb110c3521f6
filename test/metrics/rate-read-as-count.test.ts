import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { measureRatio } from '../../src/gates/ratio-gate.js';
import { cloudwatchSource } from '../../src/metrics/cloudwatch-source.js';
import { datadogSource } from '../../src/metrics/datadog-source.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { metricsFor } from '../../src/release/adapters.js';
import { fraudLook, fraudOnSource } from '../support/fraud-on-source.js';
import { type FakeDatadog, startFakeDatadog } from '../support/metrics-datadog.js';
import { type FakeAws, installFakeAws } from '../support/metrics-fake-aws.js';
import { type JsonServer, startJsonServer } from '../support/metrics-http.js';

// A ratio gate's `events` query that returns a rate, a ratio or an average instead of a count was
// rounded to 0 errors for both arms: a candidate with ten times stable's error rate passed every
// phase ("canary 0, baseline 0"). A count above 0 and below 1 is no count: an error look naming
// the query. Real counts stay counts, fractional ones from extrapolation (180.6, 1.3) included.

const T0_MS = 1_760_000_040_000; // a whole minute
const SINCE = T0_MS;
const NOW = T0_MS + 130_000;

/** Canary v2: 1000 requests, 30 errors (3%); stable v1: 10000 requests, 30 errors (0.3%). */
const SLOTS: Record<string, { requests: number; errors: number; error_rate: number }> = {
  'canary/v2': { requests: 1000, errors: 30, error_rate: 0.03 },
  'stable/v1': { requests: 10_000, errors: 30, error_rate: 0.003 },
};

let server: JsonServer;
beforeAll(async () => {
  server = await startJsonServer((req) => {
    const slot = SLOTS[`${req.path.split('/').at(-1)}/${req.query.get('version')}`];
    return slot ? { status: 200, body: { stats: slot } } : { status: 404, body: { error: 'no such slot' } };
  });
});
afterAll(async () => {
  await server?.close();
});

/** fraud on the http-json service above, judged by one ratio gate on `events`. */
function ratioOnHttpJson(events: string) {
  const metrics = `{ type: http-json, url: "${server.url}/slots/{{slot}}?version={{version}}", requests: stats.requests }`;
  const model = parseConfig(
    fraudOnSource(metrics, [`{ name: errors, kind: ratio, events: ${events}, max-increase: 10% }`]),
    {},
  ).config.models.fraud;
  const gate = model?.gates[0];
  if (!model || gate?.kind !== 'ratio') throw new Error('no ratio gate');
  return { model, gate };
}

describe('a ratio gate whose events query returns a rate', () => {
  it('is an error look naming the query and what to write, not 0 errors that pass a tenfold regression', async () => {
    const { model, gate } = ratioOnHttpJson('stats.error_rate');
    const look = await measureRatio(gate, fraudLook(metricsFor(model), SINCE, NOW));
    expect(look.verdict).toBe('error');
    expect(look.note).toBe(
      `events: http-json: ${server.url}/slots/canary: the count query returned 0.03, which is not a count: is it a rate, a ratio or an average? use a sum/count query: the number of events in the window: "stats.error_rate"`,
    );
  });

  it('still judges the same gate on the count of errors, and finds the regression', async () => {
    const { model, gate } = ratioOnHttpJson('stats.errors');
    const look = await measureRatio(gate, fraudLook(metricsFor(model), SINCE, NOW));
    expect(look).toMatchObject({ canary: 0.03, baseline: 0.003, canaryRequests: 1000 });
    expect(look.verdict).toBe('fail');
  });
});

describe('a count query of another backend that returns a fraction', () => {
  const window = (slot: 'stable' | 'canary', version: string): MetricWindow => ({
    model: 'fraud',
    slot,
    version,
    since: SINCE,
    until: NOW,
  });

  it('on CloudWatch ("Stat": "Average" of a 0/1 error metric) names the query and "Stat": "Sum"', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'model-gate-rate-count-'));
    const t0 = T0_MS / 1000;
    // One observation per invocation every 10 s, 1 for a 5XX: SageMaker's Invocation5XXErrors.
    const errors = (slot: string, version: string, every: number) => ({
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocation5XXErrors',
      Dimensions: { Slot: slot, Version: version },
      points: Array.from({ length: 13 }, (_, i): [number, number] => [t0 + i * 10, i % every === 0 ? 1 : 0]),
    });
    const aws: FakeAws = await installFakeAws(dir, {
      mode: 'ok',
      metrics: [errors('canary', 'v2', 2), errors('stable', 'v1', 20)],
    });
    vi.stubEnv('FAKE_AWS_STATE', aws.env.FAKE_AWS_STATE);
    vi.stubEnv('FAKE_AWS_LOG', aws.env.FAKE_AWS_LOG);
    try {
      const query = (stat: string) =>
        `{"Id":"e","MetricStat":{"Metric":{"Namespace":"AWS/SageMaker","MetricName":"Invocation5XXErrors","Dimensions":[{"Name":"Slot","Value":"{{slot}}"},{"Name":"Version","Value":"{{version}}"}]},"Stat":"${stat}"}}`;
      const source = cloudwatchSource(
        { type: 'cloudwatch', timeoutMs: 5_000, requests: query('SampleCount'), reducer: 'avg' },
        { command: join(aws.binDir, 'aws') },
        new FakeClock(NOW),
      );
      await expect(source.count?.(query('Average'), window('stable', 'v1'))).rejects.toThrow(
        /^cloudwatch: the count query returned 0\.0769, which is not a count: is it a rate, a ratio or an average\? count with "Stat": "Sum" \(or "SampleCount"\) of a count metric, or SELECT SUM\(\.\.\.\): "\{\\"Id\\":\\"e\\"/,
      );
      // 7 of 13 invocations failed: an average above one half was read as 1 error.
      await expect(source.count?.(query('Average'), window('canary', 'v2'))).rejects.toThrow(
        /returned 0\.538, which is not a count/,
      );
      expect(await source.count?.(query('Sum'), window('canary', 'v2'))).toBe(7);
      expect(await source.requests(window('canary', 'v2'))).toBe(13);
    } finally {
      vi.unstubAllEnvs();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('on Datadog (a ratio of two counts) names the query and sum:...as_count()', async () => {
    const keys = { apiKey: 'k1', applicationKey: 'k2' };
    const points = (value: number): [number, number][] =>
      Array.from({ length: 6 }, (_, i) => [SINCE + i * 10_000, value]);
    const dd: FakeDatadog = await startFakeDatadog({
      ...keys,
      series: [
        { metric: 'errors', tags: { slot: 'canary' }, points: points(1) },
        { metric: 'requests', tags: { slot: 'canary' }, points: points(100) },
      ],
    });
    try {
      const source = datadogSource({
        type: 'datadog',
        url: dd.url,
        ...keys,
        timeoutMs: 2_000,
        requests: 'sum:requests{slot:{{slot}}}.as_count()',
        reducer: 'avg',
      });
      const ratio = 'sum:errors{slot:{{slot}}}.as_count() / sum:requests{slot:{{slot}}}.as_count()';
      await expect(source.count?.(ratio, window('canary', 'v2'))).rejects.toThrow(
        'datadog: the count query returned 0.06, which is not a count: is it a rate, a ratio or an average? count with sum:<metric>{...}.as_count(): "sum:errors{slot:canary}.as_count() / sum:requests{slot:canary}.as_count()"',
      );
      expect(await source.count?.('sum:errors{slot:{{slot}}}.as_count()', window('canary', 'v2'))).toBe(6);
    } finally {
      await dd.close();
    }
  });
});
