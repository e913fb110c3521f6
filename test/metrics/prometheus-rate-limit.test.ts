/**
 * A gateway in front of Prometheus (Thanos, Cortex, Mimir, a proxy) that answers a query 429 with
 * a Retry-After, as the http-json source's endpoint may: a reset within half the timeout is waited
 * out and the query asked once more; a later one leaves the look unanswered but not counted
 * against the gate's consecutive-error-limit until the reset has passed. Before, the 429 was an
 * error at once, every look counted, and five in a row failed a healthy candidate's release.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ThresholdGateConfig } from '../../src/config/types.js';
import { foldMeasurement, measureThreshold } from '../../src/gates/threshold-gate.js';
import { RateLimitedError } from '../../src/metrics/passing-fault.js';
import { metricsFor } from '../../src/release/adapters.js';
import { pendingGate } from '../../src/release/types.js';
import { fraudLook, fraudOnSource } from '../support/fraud-on-source.js';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.js';
import { type PrometheusError, type PrometheusFront, prometheusFront } from '../support/prometheus-front.js';

let scratch: string;
let prometheus: RunningPrometheus;
let gateway: PrometheusFront;
/** The gateway refuses this many more queries with `refusal`, then passes them to Prometheus. */
let refusals = 0;
let refusal: PrometheusError;
let queries = 0;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'model-gate-prom-429-'));
  prometheus = await startPrometheus({ dir: scratch });
  gateway = await prometheusFront(
    () => prometheus.url,
    () => {
      queries += 1;
      return refusals-- > 0 ? refusal : undefined;
    },
  );
});
afterAll(async () => {
  await gateway?.close();
  await prometheus?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});
beforeEach(() => {
  queries = 0;
});

/** Model fraud reading Prometheus through the gateway: 120 requests a look, a latency of 42. */
function fraud(timeout: string) {
  const yaml = fraudOnSource(
    `{ type: prometheus, url: "${gateway.url}", timeout: ${timeout}, requests: "vector(120)" }`,
    ['{ name: latency, kind: threshold, query: "vector(42)", max: 100 }'],
    1,
  );
  const model = parseConfig(yaml, {}).config.models.fraud;
  if (!model) throw new Error('no model fraud');
  return model;
}

const limit = (retryAfter: string, text?: string): PrometheusError => ({
  status: 429,
  errorType: 'too_many_requests',
  error: 'the query rate limit of this tenant was reached',
  headers: { 'retry-after': retryAfter },
  text,
});

describe('Prometheus behind a gateway that answers 429 with a Retry-After', () => {
  it('waits out a reset of 1 s and reads the answer', async () => {
    refusals = 1;
    refusal = limit('1');
    const now = Date.now();
    const started = Date.now();
    const requests = await metricsFor(fraud('5s')).requests({
      model: 'fraud',
      slot: 'canary',
      version: 'v2',
      since: now - 60_000,
      until: now,
    });
    expect(requests).toBe(120);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(queries).toBe(2);
  });

  it('leaves a look unanswered but uncounted while a far reset is ahead, and counts it once that reset has passed', async () => {
    refusals = Number.POSITIVE_INFINITY;
    // Mimir and Cortex say it in plain text, not in Prometheus's JSON.
    refusal = limit('1800', 'too many outstanding requests');
    const model = fraud('2s');
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
        /^prometheus: rate limited \(HTTP 429\), retry in 1800s \(at \d{4}-[\d-]+T[\d:.]+Z\) \(too many outstanding requests\); this look is not counted against consecutive-error-limit until then; if it keeps happening, lengthen the strategy's interval or raise the query limit of the gateway in front of Prometheus: "vector\(120\)"$/,
      );
      state = foldMeasurement(state, gate, m);
      expect(state).toMatchObject({ verdict: 'pending', consecutiveErrors: 0 });
    }
    // Refused again after the reset it was given: the limit did not lift, and the look counts.
    const late = await measureThreshold(gate, fraudLook(source, now - 60_000, now + 1_900_000, 1));
    state = foldMeasurement(state, gate, late);
    expect(state).toMatchObject({ verdict: 'pending', consecutiveErrors: 1 });
  });

  it("says the reset of a 429 in Prometheus's own JSON, and that it passes by itself", async () => {
    refusals = Number.POSITIVE_INFINITY;
    refusal = limit('600');
    const now = Date.now();
    const err = await metricsFor(fraud('2s'))
      .requests({ model: 'fraud', slot: 'canary', version: 'v2', since: now - 60_000, until: now })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).passing).toBe(true);
    expect((err as RateLimitedError).until).toBeGreaterThanOrEqual(now + 600_000);
    expect((err as Error).message).toMatch(
      /^prometheus: rate limited \(HTTP 429\), retry in 600s \(at .*\) \(the query rate limit of this tenant was reached\); this look/,
    );
    expect(queries).toBe(1);
  });
});
