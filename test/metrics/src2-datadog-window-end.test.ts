import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datadogSource } from '../../src/metrics/datadog-source.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { type FakeDatadog, startFakeDatadog } from '../support/metrics-datadog.js';

// Datadog answers the points stamped from `from` to `to`, both included. A point stamped at `to`
// is the rollup bucket that begins at the window's end: the next window's traffic. Counted, a
// minute that ended in the past (a re-run, `model-gate analyze`, a rollback's look back) held the
// first 10 s after it, and two back-to-back windows counted that bucket twice.

const API_KEY = 'api-key-123';
const APP_KEY = 'app-key-456';
const T0 = 1_760_000_000_000; // a whole 10 s
const MINUTE = 60_000;
const REQUESTS = 'sum:model.requests{model:{{model}},slot:{{slot}},version:{{version}}}.as_count()';

/** Requests per 10 s: 20 in the first minute, 50 in the second (the canary's weight went up). */
const points = [20, 20, 20, 20, 20, 20, 50, 50, 50, 50, 50, 50].map((v, i): [number, number] => [
  T0 + i * 10_000,
  v,
]);

const minute = (n: number): MetricWindow => ({
  model: 'fraud',
  slot: 'canary',
  version: 'v2',
  since: T0 + n * MINUTE,
  until: T0 + (n + 1) * MINUTE,
});

let dd: FakeDatadog;
beforeAll(async () => {
  dd = await startFakeDatadog({
    apiKey: API_KEY,
    applicationKey: APP_KEY,
    series: [{ metric: 'model.requests', tags: { model: 'fraud', slot: 'canary', version: 'v2' }, points }],
  });
});
afterAll(async () => {
  await dd?.close();
});

const source = () =>
  datadogSource({
    type: 'datadog',
    url: dd.url,
    apiKey: API_KEY,
    applicationKey: APP_KEY,
    timeoutMs: 2_000,
    requests: REQUESTS,
    reducer: 'last',
  });

describe('a datadog window ends before its `to`', () => {
  it('counts a past minute without the bucket that begins at its end', async () => {
    expect(await source().requests(minute(0))).toBe(120);
    expect(await source().requests(minute(1))).toBe(300);
  });

  it('counts back-to-back windows with no bucket twice', async () => {
    const both = { ...minute(0), until: minute(1).until };
    const [first, second, whole] = await Promise.all([
      source().requests(minute(0)),
      source().requests(minute(1)),
      source().requests(both),
    ]);
    expect(first + second).toBe(whole);
    expect(whole).toBe(420);
  });

  it('reads a gate value from the window’s own last bucket, not the next one', async () => {
    expect(await source().value(REQUESTS, minute(0))).toBe(20);
  });
});
