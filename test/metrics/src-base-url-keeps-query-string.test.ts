import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datadogSource } from '../../src/metrics/datadog-source.js';
import { sandboxSource } from '../../src/metrics/sandbox-source.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { type JsonServer, startJsonServer } from '../support/metrics-http.js';

// A metrics url behind a proxy may carry its own path and query string (a tenant, a gateway key).
// Datadog and the sandbox appended their API path as text: `…/dd/?tenant=eu/api/v1/query?from=…`
// asked the proxy's /dd/ with tenant "eu/api/v1/query?from=…" and no from, as Prometheus did
// before its apiUrl. Every source now puts the API path before the url's query string.

const T0 = 1_760_000_000_000; // a whole 10 s
const w: MetricWindow = { model: 'fraud', slot: 'canary', version: 'v2', since: T0, until: T0 + 60_000 };

const hist = { buckets: [{ le: '+Inf', count: 12 }], sum: 120, count: 12 };
let server: JsonServer;
beforeAll(async () => {
  server = await startJsonServer((req) => {
    if (req.path === '/dd/api/v1/query') {
      return {
        status: 200,
        body: {
          status: 'ok',
          series: [
            {
              pointlist: [
                [T0, 5],
                [T0 + 30_000, 7],
              ],
            },
          ],
        },
      };
    }
    if (req.path === '/sandbox/metrics.json') {
      const since = Number(req.query.get('since'));
      const until = Number(req.query.get('until'));
      const canary = { version: 'v2', requests: 12, errors: 1, nulls: 0, latencyMs: hist, scores: hist };
      return { status: 200, body: { since, until, slots: { canary } } };
    }
    return { status: 404, body: { errors: ['Not found'] } };
  });
});
afterAll(async () => {
  await server?.close();
});

const last = () => server.requests.at(-1);

describe('a metrics url with a path and a query string', () => {
  it('datadog asks <path>/api/v1/query with its own parameters and the tenant kept', async () => {
    const source = datadogSource({
      type: 'datadog',
      url: `${server.url}/dd/?tenant=eu`,
      apiKey: 'k1',
      applicationKey: 'k2',
      timeoutMs: 2_000,
      requests: 'sum:model.requests{slot:{{slot}}}.as_count()',
      reducer: 'avg',
    });
    expect(await source.requests(w)).toBe(12);
    expect(last()?.path).toBe('/dd/api/v1/query');
    expect(last()?.query.get('tenant')).toBe('eu');
    expect(last()?.query.get('from')).toBe(String(T0 / 1000));
    expect(last()?.query.get('to')).toBe(String(T0 / 1000 + 60));
    expect(last()?.query.get('query')).toBe('sum:model.requests{slot:canary}.as_count()');
  });

  it('the sandbox asks <path>/metrics.json with its own parameters and the token kept', async () => {
    const source = sandboxSource({ type: 'sandbox', url: `${server.url}/sandbox/?token=t1` });
    expect(await source.requests(w)).toBe(12);
    expect(last()?.path).toBe('/sandbox/metrics.json');
    expect(last()?.query.get('token')).toBe('t1');
    expect(last()?.query.get('model')).toBe('fraud');
    expect(last()?.query.get('since')).toBe(String(T0));
    expect(last()?.query.get('until')).toBe(String(T0 + 60_000));
  });
});
