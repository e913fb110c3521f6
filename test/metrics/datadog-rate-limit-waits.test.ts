/**
 * A metrics API's 429 that says when its limit resets (Datadog's X-RateLimit-Reset, seconds; an
 * http-json endpoint's Retry-After): a reset within the look is waited out and the query asked
 * once more; a later one leaves the look unanswered without counting it against the gate's
 * consecutive-error-limit until the reset has passed. Before, five such looks in a row (the
 * default limit is 4) failed the gate and rolled back a healthy candidate.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ThresholdGateConfig } from '../../src/config/types.js';
import { foldMeasurement, measureThreshold } from '../../src/gates/threshold-gate.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { metricsFor } from '../../src/release/adapters.js';
import { pendingGate } from '../../src/release/types.js';
import { fraudLook, fraudOnSource } from '../support/fraud-on-source.js';
import { type JsonServer, type Reply, startJsonServer } from '../support/metrics-http.js';

const T0 = 1_760_000_000_000;
const W: MetricWindow = { model: 'fraud', slot: 'canary', version: 'v2', since: T0, until: T0 + 60_000 };

/** Datadog's v1 query answer: one series of 6 points inside the window asked for. */
const SERIES = {
  status: 'ok',
  res_type: 'time_series',
  series: [{ pointlist: [0, 1, 2, 3, 4, 5].map((i) => [T0 + i * 10_000, 50]) }],
};
const tooMany = (headers: Record<string, string>): Reply => ({
  status: 429,
  body: { errors: ['Too many requests'] },
  headers,
});

let server: JsonServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server refusing the first `refusals` requests with `refused`, then answering `answer`. */
async function limited(refusals: number, refused: Reply, answer: Reply): Promise<JsonServer> {
  let seen = 0;
  server = await startJsonServer(() => (++seen <= refusals ? refused : answer));
  return server;
}

const datadogYaml = (url: string, timeout: string) =>
  fraudOnSource(
    `{ type: datadog, url: "${url}", api-key: "\${DD_API_KEY}", application-key: "\${DD_APP_KEY}", timeout: ${timeout}, requests: "sum:model.requests{slot:{{slot}}}.as_count()" }`,
    ['{ name: latency, kind: threshold, query: "avg:model.latency{slot:{{slot}}}", max: 100 }'],
    1,
  );

function modelOf(yaml: string) {
  const model = parseConfig(yaml, { DD_API_KEY: 'k', DD_APP_KEY: 'a' }).config.models.fraud;
  if (!model) throw new Error('no model');
  return model;
}

describe('a metrics API that answers 429 with when its limit resets', () => {
  it('waits out a Datadog reset of 1 s and reads the answer', async () => {
    const dd = await limited(1, tooMany({ 'x-ratelimit-reset': '1', 'x-ratelimit-remaining': '0' }), {
      status: 200,
      body: SERIES,
    });
    const source = metricsFor(modelOf(datadogYaml(dd.url, '5s')));
    const started = Date.now();
    expect(await source.requests(W)).toBe(300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(dd.requests).toHaveLength(2);
  });

  it('waits out an http-json Retry-After given as an HTTP date', async () => {
    // Whole seconds: an HTTP date has no finer grain, so the reset lands up to 2 s ahead.
    const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000).toUTCString();
    const api = await limited(1, tooMany({ 'retry-after': at }), {
      status: 200,
      body: { stats: { requests: 120 } },
    });
    const model = modelOf(
      fraudOnSource(`{ type: http-json, url: "${api.url}/stats", timeout: 5s, requests: stats.requests }`, [
        '{ name: p99, kind: threshold, query: stats.p99, max: 1 }',
      ]),
    );
    expect(await metricsFor(model).requests(W)).toBe(120);
    expect(api.requests).toHaveLength(2);
  });

  it('leaves a look unanswered but uncounted while a far reset is ahead, and counts it once that reset has passed', async () => {
    const dd = await limited(
      Number.POSITIVE_INFINITY,
      tooMany({ 'x-ratelimit-reset': '1800', 'x-ratelimit-name': 'query_timeseries' }),
      { status: 200, body: SERIES },
    );
    const model = modelOf(datadogYaml(dd.url, '2s'));
    const gate = model.gates[0] as ThresholdGateConfig;
    expect(gate.consecutiveErrorLimit).toBe(4);
    const source = metricsFor(model);
    let state = pendingGate({ name: 'latency', kind: 'threshold' });
    const now = Date.now();
    // Six looks a minute apart, all within the 30 minutes the limit has left.
    for (let look = 0; look < 6; look++) {
      const m = await measureThreshold(gate, fraudLook(source, now - 60_000, now + look * 60_000, 1));
      expect(m.verdict).toBe('error');
      expect(m.note).toMatch(
        /^datadog: rate limited \(HTTP 429\), retry in 1800s \(at \d{4}-[\d-]+T[\d:.]+Z\); this look is not counted against consecutive-error-limit until then; if it keeps happening, lengthen the strategy's interval, or ask Datadog support to raise the limit \(X-RateLimit-Name: query_timeseries\)$/,
      );
      state = foldMeasurement(state, gate, m);
      expect(state).toMatchObject({ verdict: 'pending', consecutiveErrors: 0 });
    }
    // Refused again after the reset it was given: the limit did not lift, and the look counts.
    const late = await measureThreshold(gate, fraudLook(source, now - 60_000, now + 1_900_000, 1));
    state = foldMeasurement(state, gate, late);
    expect(state).toMatchObject({ verdict: 'pending', consecutiveErrors: 1 });
  });
});
