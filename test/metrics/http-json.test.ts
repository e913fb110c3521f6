import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpJsonMetricsConfig } from '../../src/config/types.js';
import { MetricsError } from '../../src/core/errors.js';
import { httpJsonSource } from '../../src/metrics/http-json-source.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { type JsonServer, startJsonServer } from '../support/metrics-http.js';
import { freePort } from '../support/prometheus.js';

// A metrics service of the user's own: GET /api/slots/{model}/{slot}?version=&since=&window=,
// bearer token required; answers per slot and version, or 404 {"error"} for an unknown model.
const TOKEN = 'Bearer s3cret';
const DATA: Record<string, Record<string, unknown>> = {
  'fraud/stable/v1': {
    stats: { requests: 1000, error_rate: 0.01, latency: { p99: '0.210' } },
    history: [1, 2, 3],
  },
  'fraud/canary/v2': {
    stats: { requests: 180.6, error_rate: 0.02, latency: { p99: null } },
    history: [4, 5, 6],
  },
};

let server: JsonServer;
let hang = false;

beforeAll(async () => {
  server = await startJsonServer((req) => {
    if (req.method !== 'GET') return { status: 405, body: { error: 'GET only' } };
    if (req.headers.authorization !== TOKEN) return { status: 401, body: { error: 'missing or bad token' } };
    if (hang) return { status: 200, hang: true };
    if (req.path === '/text') return { status: 200, text: 'not json' };
    const m = /^\/api\/slots\/([^/]+)\/([^/]+)$/.exec(req.path);
    if (!m) return { status: 404, body: { error: `no route ${req.path}` } };
    const key = `${decodeURIComponent(m[1] as string)}/${m[2]}/${req.query.get('version')}`;
    const data = DATA[key];
    if (!data) return { status: 200, body: { stats: {} } };
    return {
      status: 200,
      body: { ...data, echo: { since: req.query.get('since'), window: req.query.get('window') } },
    };
  });
});
afterAll(async () => {
  await server?.close();
});

const config = (over: Partial<HttpJsonMetricsConfig> = {}): HttpJsonMetricsConfig => ({
  type: 'http-json',
  url: `${server.url}/api/slots/{{model}}/{{slot}}?version={{version}}&since={{since}}&window={{window}}`,
  headers: { Authorization: TOKEN },
  timeoutMs: 2_000,
  requests: 'stats.requests',
  ...over,
});
const w = (slot: 'stable' | 'canary', version: string): MetricWindow => ({
  model: 'fraud',
  slot,
  version,
  since: 1_760_000_000_000,
  until: 1_760_000_030_000,
});

describe('http-json source', () => {
  it('fetches the URL template with the headers and selects numbers', async () => {
    server.requests.length = 0;
    const source = httpJsonSource(config());
    expect(await source.requests(w('stable', 'v1'))).toBe(1000);
    expect(await source.requests(w('canary', 'v2'))).toBe(181);
    expect(await source.value('stats.error_rate', w('canary', 'v2'))).toBe(0.02);
    expect(await source.value('stats.latency.p99', w('stable', 'v1'))).toBe(0.21);
    expect(await source.value('history[-1]', w('canary', 'v2'))).toBe(6);
    expect(await source.value('echo.since', w('canary', 'v2'))).toBe(1_760_000_000);
    const [req] = server.requests;
    expect(req?.method).toBe('GET');
    expect(req?.path).toBe('/api/slots/fraud/stable');
    expect(Object.fromEntries(req?.query ?? [])).toEqual({
      version: 'v1',
      since: '1760000000',
      window: '30s',
    });
    expect(req?.headers.accept).toBe('application/json');
  });

  it('has no data for null, missing keys and a version the service does not know', async () => {
    const source = httpJsonSource(config());
    expect(await source.value('stats.latency.p99', w('canary', 'v2'))).toBeUndefined();
    expect(await source.value('stats.error_rate', w('canary', 'v9'))).toBeUndefined();
    expect(await source.requests(w('canary', 'v9'))).toBe(0);
  });

  it('lets a query name its own endpoint as <url>#<selector>', async () => {
    const source = httpJsonSource(config({ url: `${server.url}/nowhere` }));
    const query = `${server.url}/api/slots/{{model}}/{{slot}}?version={{version}}#stats.error_rate`;
    expect(await source.value(query, w('stable', 'v1'))).toBe(0.01);
  });

  it('turns HTTP errors, non-JSON and a selector of an object into MetricsErrors', async () => {
    const source = httpJsonSource(config());
    await expect(source.value('stats', w('stable', 'v1'))).rejects.toThrow(
      /"stats" selects an object, not a number; select a number inside it/,
    );
    await expect(httpJsonSource(config({ headers: {} })).requests(w('stable', 'v1'))).rejects.toThrow(
      /^http-json: http:\/\/127\.0\.0\.1:\d+\/api\/slots\/fraud\/stable answered HTTP 401 \(missing or bad token\)$/,
    );
    await expect(
      httpJsonSource(config({ url: `${server.url}/text` })).requests(w('stable', 'v1')),
    ).rejects.toThrow(/did not answer JSON \(not json\)/);
    const port = await freePort();
    await expect(
      httpJsonSource(config({ url: `http://127.0.0.1:${port}/x` })).requests(w('stable', 'v1')),
    ).rejects.toThrow(/^http-json: cannot reach .*ECONNREFUSED/);
  });

  it('gives up after the timeout', async () => {
    hang = true;
    try {
      const err = await httpJsonSource(config({ timeoutMs: 200 }))
        .requests(w('stable', 'v1'))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MetricsError);
      expect((err as Error).message).toMatch(/within 200ms \(timeout\)/);
    } finally {
      hang = false;
    }
  });
});
