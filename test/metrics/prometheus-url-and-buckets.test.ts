import { describe, expect, it } from 'vitest';
import { PROMETHEUS_REQUESTS_DEFAULT } from '../../src/config/metrics-schema.js';
import { NoDataError } from '../../src/metrics/no-data.js';
import { prometheusSource } from '../../src/metrics/prometheus-source.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { type Recorded, type Reply, startJsonServer } from '../support/metrics-http.js';

// The Prometheus source against stand-in servers answering as the HTTP API reference says: a url
// with its own query string, refused credentials, and bucket counts that dip.

const w: MetricWindow = { model: 'm', slot: 'canary', version: 'v2', since: 0, until: 300_000 };

async function withServer<T>(
  reply: (req: Recorded) => Reply,
  use: (url: string, seen: Recorded[]) => Promise<T>,
) {
  const server = await startJsonServer(reply);
  try {
    return await use(server.url, server.requests);
  } finally {
    await server.close();
  }
}

const source = (url: string) =>
  prometheusSource({
    type: 'prometheus',
    url,
    headers: {},
    timeoutMs: 5_000,
    requests: PROMETHEUS_REQUESTS_DEFAULT,
  });

const vector = (series: [Record<string, string>, string][]) => ({
  status: 'success',
  data: { resultType: 'vector', result: series.map(([metric, v]) => ({ metric, value: [300, v] })) },
});

describe('prometheus source urls and answers', () => {
  it('keeps a query string in the url (a tenant, ?orgId=1) after the API path, not before it', async () => {
    await withServer(
      () => ({ status: 200, body: vector([[{}, '7']]) }),
      async (url, seen) => {
        expect(await source(`${url}/prometheus/?orgId=1`).value('up', w)).toBe(7);
        expect(seen[0]?.path).toBe('/prometheus/api/v1/query');
        expect(seen[0]?.query.get('orgId')).toBe('1');
        expect(seen[0]?.query.get('query')).toBe('up');
      },
    );
  });

  it('says to check the credentials when the server answers 403 with an API error', async () => {
    await withServer(
      () => ({
        status: 403,
        body: { status: 'error', errorType: 'forbidden', error: 'token lacks read scope' },
      }),
      async (url) => {
        await expect(source(url).value('up', w)).rejects.toThrow(
          'prometheus: HTTP 403 (token lacks read scope); the server refused the credentials: check the token or password sent (metrics.headers, or user:password in the url) and that it may query this server: "up"',
        );
      },
    );
  });

  it('refuses buckets that fall by more than 5% below the one beneath, and evens out smaller dips', async () => {
    const buckets = (le02: string) =>
      vector([
        [{ le: '0.1' }, '1000'],
        [{ le: '0.2' }, le02],
        [{ le: '+Inf' }, '1200'],
      ]);
    await withServer(
      () => ({ status: 200, body: buckets('900') }),
      async (url) => {
        const err = await source(url)
          .buckets('b', w)
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(NoDataError);
        expect((err as Error).message).toMatch(
          /^prometheus: the buckets are not cumulative \(le="0\.2" counts 900, fewer than the 1000 at or below le="0\.1"\): the replicas behind this query most likely export different bucket layouts/,
        );
      },
    );
    // 1% under: increase()'s rounding, read as the bucket below, as histogram_quantile does.
    await withServer(
      () => ({ status: 200, body: buckets('990') }),
      async (url) => {
        expect(await source(url).buckets('b', w)).toEqual([
          { le: 0.1, count: 1000 },
          { le: 0.2, count: 1000 },
          { le: '+Inf', count: 1200 },
        ]);
      },
    );
  });
});
