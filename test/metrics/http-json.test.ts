import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { HttpJsonMetricsConfig } from '../../src/config/types.js';
import { MetricsError } from '../../src/core/errors.js';
import { measureLatency } from '../../src/gates/latency-gate.js';
import { measureRatio } from '../../src/gates/ratio-gate.js';
import { httpJsonSource } from '../../src/metrics/http-json-source.js';
import { NoDataError } from '../../src/metrics/no-data.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { metricsFor } from '../../src/release/adapters.js';
import { fraudLook, fraudOnSource } from '../support/fraud-on-source.js';
import { type JsonServer, startJsonServer } from '../support/metrics-http.js';
import { freePort } from '../support/prometheus.js';

// A metrics service of the user's own: GET /api/slots/{model}/{slot}?version=&since=&window=,
// bearer token required; answers per slot and version, or 404 {"error"} for an unknown model.
const TOKEN = 'Bearer s3cret';
const DATA: Record<string, Record<string, unknown>> = {
  'fraud/stable/v1': {
    stats: {
      requests: 1000,
      errors: 10,
      error_rate: 0.01,
      latency: {
        p99: '0.210',
        buckets: [
          { le: 0.1, count: 600 },
          { le: 0.25, count: 990 },
          { le: '+Inf', count: 1000 },
        ],
      },
    },
    history: [1, 2, 3],
  },
  'fraud/canary/v2': {
    stats: {
      requests: 180.6,
      errors: 4,
      error_rate: 0.02,
      // In any order; sorted by le.
      latency: {
        p99: null,
        buckets: [
          { le: '+Inf', count: 181 },
          { le: 0.1, count: 100 },
          { le: 0.25, count: 170 },
        ],
      },
    },
    history: [4, 5, 6],
    perBucket: [
      { le: 0.1, count: 100 },
      { le: 0.25, count: 70 },
      { le: '+Inf', count: 11 },
    ],
    noInf: [{ le: 0.1, count: 100 }],
  },
};
const BASIC = `Basic ${Buffer.from('metrics:p@ss').toString('base64')}`;

let server: JsonServer;
let hang = false;

beforeAll(async () => {
  server = await startJsonServer((req) => {
    if (req.method !== 'GET') return { status: 405, body: { error: 'GET only' } };
    if (req.path === '/basic') {
      return req.headers.authorization === BASIC
        ? { status: 200, body: { requests: 3 } }
        : { status: 401, body: { error: 'bad credentials' } };
    }
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
    // A request count too: never 0, which would read as a candidate without traffic.
    const err = await source.requests(w('canary', 'v9')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoDataError);
    expect((err as Error).message).toBe(
      `http-json: the requests query matched nothing for the canary slot (version v9), which is no data, not 0: the answer of ${server.url}/api/slots/fraud/canary has nothing there; check the selector (metrics.requests); a count of 0 must be written as 0: "stats.requests"`,
    );
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
      /^http-json: http:\/\/127\.0\.0\.1:\d+\/api\/slots\/fraud\/stable answered HTTP 401 \(missing or bad token\); the server refused the credentials: check the token or key sent \(metrics.headers/,
    );
    await expect(
      httpJsonSource(config({ url: `${server.url}/text` })).requests(w('stable', 'v1')),
    ).rejects.toThrow(/did not answer JSON \(not json\)/);
    const port = await freePort();
    await expect(
      httpJsonSource(config({ url: `http://127.0.0.1:${port}/x` })).requests(w('stable', 'v1')),
    ).rejects.toThrow(/^http-json: cannot reach .*ECONNREFUSED/);
  });

  it('counts events: a selected number, whole; `requests` is the source requests selector', async () => {
    const source = httpJsonSource(config());
    expect(await source.count?.('stats.errors', w('stable', 'v1'))).toBe(10);
    expect(await source.count?.('requests', w('canary', 'v2'))).toBe(181);
    await expect(source.count?.('stats.errors', w('canary', 'v9'))).rejects.toThrow(
      /^http-json: the count query matched nothing for the canary slot \(version v9\), which is no data, not 0: the answer of http:\/\/127\.0\.0\.1:\d+\/api\/slots\/fraud\/canary has nothing there; check the selector; a count of 0 must be written as 0: "stats\.errors"$/,
    );
    // A count the answer holds as null is no data too, saying so.
    await expect(source.count?.('stats.latency.p99', w('canary', 'v2'))).rejects.toThrow(
      'holds null there; check the selector; a count of 0 must be written as 0: "stats.latency.p99"',
    );
  });

  it('reads a histogram: a list of cumulative {le, count}, sorted; wrong lists say what is wanted', async () => {
    const source = httpJsonSource(config());
    expect(await source.buckets?.('stats.latency.buckets', w('canary', 'v2'))).toEqual([
      { le: 0.1, count: 100 },
      { le: 0.25, count: 170 },
      { le: '+Inf', count: 181 },
    ]);
    expect(await source.buckets?.('stats.latency.buckets', w('canary', 'v9'))).toBeUndefined();
    const shape =
      'a histogram is a list such as [{"le": 0.1, "count": 40}, ..., {"le": "+Inf", "count": 52}]';
    await expect(source.buckets?.('perBucket', w('canary', 'v2'))).rejects.toThrow(
      `"perBucket" is not cumulative ("le" 0.25 counts 70, fewer than the 100 at or below 0.1): each count must include the buckets below it; ${shape}`,
    );
    await expect(source.buckets?.('noInf', w('canary', 'v2'))).rejects.toThrow(
      `"noInf" has no "+Inf" bucket, so the total is unknown; ${shape}`,
    );
    await expect(source.buckets?.('stats.latency', w('canary', 'v2'))).rejects.toThrow(
      `"stats.latency" selects an object, not a list of buckets; ${shape}`,
    );
  });

  it('serves ratio and latency gates from the config file end to end', async () => {
    const yaml = fraudOnSource(
      `{ type: http-json, url: "${config().url}", headers: { Authorization: "\${METRICS_TOKEN}" }, requests: stats.requests }`,
      [
        `{ name: errors, kind: ratio, events: stats.errors, max-increase: 10% }`,
        `{ name: p95, kind: latency, buckets: stats.latency.buckets, quantile: 0.95, max-increase: 10% }`,
      ],
    );
    const model = parseConfig(yaml, { METRICS_TOKEN: TOKEN }).config.models.fraud;
    const [ratio, latency] = model?.gates ?? [];
    if (!model || ratio?.kind !== 'ratio' || latency?.kind !== 'latency') throw new Error('gates lost');
    const { since, until } = w('canary', 'v2');
    const ctx = fraudLook(metricsFor(model), since, until);
    const errors = await measureRatio(ratio, ctx);
    expect(errors).toMatchObject({ canaryRequests: 181, baselineRequests: 1000 });
    expect(errors.canary).toBeCloseTo(4 / 181, 12);
    expect(errors.baseline).toBeCloseTo(10 / 1000, 12);
    expect(errors.verdict).not.toBe('error');
    const p95 = await measureLatency(latency, ctx);
    expect(p95.verdict).not.toBe('error');
    // rank 0.95 * 181 = 171.95 of 181 falls in (0.25, +Inf): the last finite bound.
    expect(p95.canary).toBe(0.25);
  });

  it('sends credentials written in the url as Basic auth, never showing them', async () => {
    const at = new URL(server.url).host;
    const source = httpJsonSource(
      config({ url: `http://metrics:p%40ss@${at}/basic`, headers: {}, requests: 'requests' }),
    );
    expect(await source.requests(w('stable', 'v1'))).toBe(3);
    const wrong = httpJsonSource(
      config({ url: `http://metrics:n0pe-s3cret@${at}/basic`, headers: {}, requests: 'requests' }),
    );
    const err = (await wrong.requests(w('stable', 'v1')).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(
      /^http-json: http:\/\/127\.0\.0\.1:\d+\/basic answered HTTP 401 \(bad credentials\); the server refused the credentials/,
    );
    expect(err.message).not.toContain('n0pe-s3cret');
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
