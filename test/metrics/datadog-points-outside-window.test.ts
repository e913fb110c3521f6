import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datadogSource } from '../../src/metrics/datadog-source.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { type JsonServer, startJsonServer } from '../support/metrics-http.js';

// Datadog may answer points stamped outside the from/to asked for (a rollup bucket begun before
// the window, a caching proxy answering a wider query). Every point was summed: 6000 errors from
// the previous phase became this window's, 6010 instead of 10. Only the window's points count.

const T0 = 1_760_000_000_000; // a whole 10 s
const w: MetricWindow = { model: 'fraud', slot: 'canary', version: 'v2', since: T0, until: T0 + 60_000 };

let server: JsonServer;
beforeAll(async () => {
  server = await startJsonServer(() => ({
    status: 200,
    body: {
      status: 'ok',
      res_type: 'time_series',
      series: [
        {
          metric: 'model.errors',
          pointlist: [
            [T0 - 60_000, 6000],
            [T0, 4],
            [T0 + 30_000, 6],
            [T0 + 60_000, null],
            [T0 + 120_000, 500],
          ],
        },
      ],
    },
  }));
});
afterAll(async () => {
  await server?.close();
});

const source = () =>
  datadogSource({
    type: 'datadog',
    url: server.url,
    apiKey: 'k1',
    applicationKey: 'k2',
    timeoutMs: 2_000,
    requests: 'sum:model.requests{slot:{{slot}}}.as_count()',
    reducer: 'max',
  });

describe('datadog points outside the window', () => {
  it('are left out of a count and of a gate value', async () => {
    const errors = 'sum:model.errors{slot:{{slot}}}.as_count()';
    expect(await source().count?.(errors, w)).toBe(10);
    expect(await source().value(errors, w)).toBe(6);
  });
});
