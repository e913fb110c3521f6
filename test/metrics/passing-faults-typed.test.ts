/**
 * Whether a metrics fault passes by itself (a 429, a 5xx, a server not reached) is said by the
 * error each HTTP source throws, not read back out of its words: the check before traffic asks
 * for a re-run on such a fault and fails the head on any other (metrics-preflight.ts). A rate
 * limit that said when it resets carries the reset, and a look it refused keeps it in the stored
 * release, so the gate still waits it out after the record is read back.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ThresholdGateConfig } from '../../src/config/types.js';
import { MetricsError } from '../../src/core/errors.js';
import { foldMeasurement, measureThreshold } from '../../src/gates/threshold-gate.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { RateLimitedError } from '../../src/metrics/passing-fault.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { metricsFor } from '../../src/release/adapters.js';
import { newRelease } from '../../src/release/new-release.js';
import { fraudLook, fraudOnSource } from '../support/fraud-on-source.js';
import { type JsonServer, type Reply, startJsonServer } from '../support/metrics-http.js';
import { sha } from '../support/model-config.js';
import { freePort } from '../support/prometheus.js';

const T0 = 1_760_000_000_000;
const W: MetricWindow = { model: 'fraud', slot: 'canary', version: 'v2', since: T0, until: T0 + 60_000 };

/** Each HTTP metric source as a user writes it on `url`, and a query its threshold gate reads. */
const SOURCES: Record<string, { metrics: (url: string) => string; query: string }> = {
  prometheus: { metrics: (url) => `{ type: prometheus, url: "${url}", timeout: 5s }`, query: 'latency' },
  datadog: {
    metrics: (url) =>
      `{ type: datadog, url: "${url}", api-key: "\${DD_API_KEY}", application-key: "\${DD_APP_KEY}", timeout: 5s, requests: "sum:model.requests{slot:{{slot}}}.as_count()" }`,
    query: 'avg:model.latency{slot:{{slot}}}',
  },
  'http-json': {
    metrics: (url) => `{ type: http-json, url: "${url}/stats", timeout: 5s, requests: stats.requests }`,
    query: 'stats.p99',
  },
  sandbox: { metrics: (url) => `{ type: sandbox, url: "${url}" }`, query: 'latency-p99' },
};

/** The error bodies each backend's API documents (a proxy's would be text; both are read). */
const errorBody = (status: number): Reply['body'] => ({
  status: 'error',
  errorType: status === 503 ? 'unavailable' : 'bad_data',
  error: `refused with ${status}`,
  errors: [`refused with ${status}`],
});

/** Model fraud reading `source` on `url`. */
const model = (source: string, url: string) => {
  const { metrics, query } = SOURCES[source] ?? { metrics: () => '', query: '' };
  const gate = `{ name: latency, kind: threshold, query: "${query}", max: 100 }`;
  const env = { DD_API_KEY: 'k', DD_APP_KEY: 'a' };
  const fraud = parseConfig(fraudOnSource(metrics(url), [gate], 1), env).config.models.fraud;
  if (!fraud) throw new Error('no model fraud');
  return fraud;
};

let server: JsonServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** What the source threw on the requests query against a server answering `reply` to everything. */
async function thrownOn(source: string, reply: Reply): Promise<MetricsError> {
  server = await startJsonServer(() => reply);
  const err = await metricsFor(model(source, server.url))
    .requests(W)
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(MetricsError);
  return err as MetricsError;
}

describe.each(Object.keys(SOURCES))('the %s metric source', (source) => {
  it.each([
    [429, true],
    [503, true],
    [400, false],
    [403, false],
  ])('says whether HTTP %i passes by itself (%s)', async (status, passing) => {
    const err = await thrownOn(source, { status, body: errorBody(status) });
    expect(err.message).not.toBe('');
    expect(err.passing).toBe(passing);
  });

  it("says a proxy's 502 page (not JSON) passes by itself", async () => {
    const err = await thrownOn(source, { status: 502, text: '<html>502 Bad Gateway</html>' });
    expect(err.passing).toBe(true);
  });

  it('says a server not listening passes by itself', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const err = await metricsFor(model(source, url))
      .requests(W)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetricsError);
    expect((err as MetricsError).passing).toBe(true);
  });
});

describe('a 429 that says its limit resets in 30 minutes', () => {
  it.each([
    ['datadog', { 'x-ratelimit-reset': '1800' }],
    ['http-json', { 'retry-after': '1800' }],
    ['prometheus', { 'retry-after': '1800' }],
  ])('is a passing %s RateLimitedError carrying the reset, its words unchanged', async (source, headers) => {
    const before = Date.now();
    const err = await thrownOn(source, { status: 429, body: { errors: ['Too many requests'] }, headers });
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err.passing).toBe(true);
    const until = (err as RateLimitedError).until;
    expect(until).toBeGreaterThanOrEqual(before + 1_800_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 1_800_000);
    expect(err.message).toContain(
      `${source}: rate limited (HTTP 429), retry in 1800s (at ${new Date(until).toISOString()})`,
    );
  });
});

describe('a look a rate limit refused, stored in the file ledger and read back', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'model-gate-passing-faults-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('keeps when the limit resets, so the next refused look before it is still not counted', async () => {
    server = await startJsonServer(() => ({
      status: 429,
      body: { errors: ['Too many requests'] },
      headers: { 'x-ratelimit-reset': '1800' },
    }));
    const fraud = model('datadog', server.url);
    const gate = fraud.gates[0] as ThresholdGateConfig;
    const source = metricsFor(fraud);
    const now = Date.now();
    const refused = await measureThreshold(gate, fraudLook(source, now - 60_000, now, 1));
    expect(refused).toMatchObject({ verdict: 'error', rateLimitedUntil: expect.any(Number) });

    const ledger = fileLedger(join(scratch, 'ledger.json'));
    const release = newRelease(fraud, { from: 'v1', to: 'v2', pr: 3, headSha: sha(7), now });
    const [state] = release.gates;
    if (!state) throw new Error('no gate state');
    await ledger.saveRelease({ ...release, gates: [foldMeasurement(state, gate, refused)] });
    const stored = (await fileLedger(join(scratch, 'ledger.json')).release('fraud'))?.gates[0];
    expect(stored?.last?.rateLimitedUntil).toBe(refused.rateLimitedUntil);
    expect(stored).toMatchObject({ consecutiveErrors: 0 });

    // Refused again 10 minutes on, before the reset the stored look gave: still not counted.
    const later = await measureThreshold(gate, fraudLook(source, now, now + 600_000, 1));
    expect(stored && foldMeasurement(stored, gate, later)).toMatchObject({ consecutiveErrors: 0 });
  });
});
