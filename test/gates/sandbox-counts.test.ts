import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsError } from '../../src/core/errors.js';
import { sandboxSource } from '../../src/metrics/sandbox-source.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { type JsonServer, startJsonServer } from '../support/metrics-http.js';

const NOW = 1_800_000_000_000;
const MINUTE = 60_000;

/** /metrics.json of a sandbox whose canary served 10 requests a minute (1 error, 2 slower than 50 ms). */
function answer(since: number) {
  const minutes = Math.max(0, Math.round((NOW - since) / MINUTE));
  const hist = (n: number) => ({
    buckets: [
      { le: 50, count: 8 * n },
      { le: '+Inf', count: 10 * n },
    ],
    sum: 400 * n,
    count: 10 * n,
  });
  const slot = {
    version: 'v2',
    requests: 10 * minutes,
    errors: minutes,
    nulls: 0,
    latencyMs: hist(minutes),
    scores: hist(minutes),
  };
  return { since, until: NOW, slots: { canary: slot } };
}

let server: JsonServer;
let url: string;

beforeAll(async () => {
  server = await startJsonServer((req) => ({ status: 200, body: answer(Number(req.query.get('since'))) }));
  url = server.url;
});
afterAll(() => server.close());
/** The `since` of each request the stand-in got. */
const asked = () => server.requests.map((r) => Number(r.query.get('since')));

const window = (since: number, until: number): MetricWindow => ({
  model: 'fraud',
  slot: 'canary',
  version: 'v2',
  since,
  until,
});

describe('the sandbox source for the statistical gates', () => {
  it('counts events over the window up to now in one request', async () => {
    const source = sandboxSource({ type: 'sandbox', url });
    server.requests.length = 0;
    expect(await source.count?.('errors', window(NOW - 5 * MINUTE, NOW))).toBe(5);
    expect(await source.count?.('answered', window(NOW - 5 * MINUTE, NOW))).toBe(45);
    expect(asked()).toEqual([NOW - 5 * MINUTE, NOW - 5 * MINUTE]);
  });

  it('counts exactly a window that ended earlier by subtracting what came after it', async () => {
    const source = sandboxSource({ type: 'sandbox', url });
    expect(await source.count?.('requests', window(NOW - 15 * MINUTE, NOW - 5 * MINUTE))).toBe(100);
    const h = await source.buckets?.('latency', window(NOW - 15 * MINUTE, NOW - 5 * MINUTE));
    expect(h).toEqual([
      { le: 50, count: 80 },
      { le: '+Inf', count: 100 },
    ]);
  });

  it('refuses unknown count and histogram queries, naming the known ones', async () => {
    const source = sandboxSource({ type: 'sandbox', url });
    await expect(source.count?.('error-rate', window(NOW - MINUTE, NOW))).rejects.toThrow(MetricsError);
    await expect(source.count?.('error-rate', window(NOW - MINUTE, NOW))).rejects.toThrow(
      'unknown sandbox count query "error-rate" (known: requests, errors, nulls, answered, conversions, exposures)',
    );
    await expect(source.buckets?.('p95', window(NOW - MINUTE, NOW))).rejects.toThrow(
      'unknown sandbox histogram "p95" (known: latency, scores)',
    );
  });
});
