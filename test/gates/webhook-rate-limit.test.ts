/**
 * A webhook gate whose service answers 429 with a Retry-After, treated as a metric source's 429
 * is: a reset within half the gate's timeout is waited out and the check sent once more; a later
 * one leaves the look an error, saying it is rate limited and when the limit resets, that is not
 * counted against consecutive-error-limit until then. Before, every 429 counted, and a few looks
 * in a row failed the release of a healthy candidate. A 5xx still counts, as a metric source's does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebhookGateConfig } from '../../src/config/types.js';
import { lookAtGate } from '../../src/gates/live-gates.js';
import { measureWebhook } from '../../src/gates/webhook-gate.js';
import type { GateState } from '../../src/release/types.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

interface Refusal {
  status: number;
  headers: Record<string, string>;
  body: string;
}

let server: Server | undefined;
let checks = 0;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  server = undefined;
  checks = 0;
});

/** A check service refusing the first `refusals` checks with `refused`, then answering pass. */
async function service(refusals: number, refused: Refusal): Promise<string> {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (++checks <= refusals) {
        res.writeHead(refused.status, { 'content-type': 'application/json', ...refused.headers });
        return void res.end(refused.body);
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ verdict: 'pass', note: 'load test green' }));
    });
  });
  await new Promise<void>((done) => server?.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/check`;
}

const tooMany = (retryAfter: string): Refusal => ({
  status: 429,
  headers: { 'retry-after': retryAfter },
  body: JSON.stringify({ error: 'too many checks' }),
});

const gate = (url: string, timeoutMs = 4_000): WebhookGateConfig => ({
  kind: 'webhook',
  name: 'approval',
  url,
  headers: {},
  timeoutMs,
  consecutiveErrorLimit: 2,
});
const pending: GateState = {
  name: 'approval',
  kind: 'webhook',
  verdict: 'pending',
  failures: 0,
  inconclusives: 0,
  consecutiveErrors: 0,
};
const T0 = Date.UTC(2026, 0, 1);
/** The look at `now` of the candidate v2 on 25%. */
const look = (now: number) => ({
  metrics: new ScriptedMetrics({ stable: { rps: 90, values: {} }, canary: { rps: 10, values: {} } }),
  model: 'fraud',
  stable: 'v1',
  candidate: 'v2',
  since: T0,
  now,
  minRequests: 100,
  weight: 25,
});

describe('a webhook gate whose service answers 429 with a Retry-After', () => {
  it('waits out a reset of 1 s and takes the answer that follows', async () => {
    const url = await service(1, tooMany('1'));
    const started = Date.now();
    expect(await measureWebhook(gate(url), look(T0 + 60_000))).toMatchObject({
      verdict: 'pass',
      note: 'load test green',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(checks).toBe(2);
  });

  it('does not fail the release on a far reset: the looks before it are not counted, and say when it resets', async () => {
    const url = await service(Number.POSITIVE_INFINITY, tooMany('1800'));
    let state = pending;
    // Five looks a minute apart, all within the 30 minutes the limit has left; the limit is 2.
    for (let n = 1; n <= 5; n++) {
      state = await lookAtGate(gate(url), state, look(T0 + n * 60_000));
      expect(state).toMatchObject({ verdict: 'pending', consecutiveErrors: 0 });
      expect(state.last?.note).toMatch(
        /^the webhook is rate limited \(HTTP 429\), retry in 1800s \(at \d{4}-[\d-]+T[\d:.]+Z\) \(too many checks\); this look is not counted against consecutive-error-limit until then; if it keeps happening, lengthen the strategy's interval or raise the webhook's limit$/,
      );
    }
    expect(checks).toBe(5);
    // Refused again after the reset the last look was given: the limit did not lift, and the look counts.
    state = await lookAtGate(gate(url), state, look(T0 + 5 * 60_000 + 1_900_000));
    expect(state).toMatchObject({ verdict: 'pending', consecutiveErrors: 1 });
  });

  it('counts a 5xx, Retry-After or not, as a metric source does: past the limit, the gate fails', async () => {
    const url = await service(Number.POSITIVE_INFINITY, {
      status: 503,
      headers: { 'retry-after': '1' },
      body: JSON.stringify({ error: 'load test runner busy' }),
    });
    let state = pending;
    for (let n = 1; n <= 3; n++) state = await lookAtGate(gate(url), state, look(T0 + n * 60_000));
    expect(state).toMatchObject({
      verdict: 'fail',
      consecutiveErrors: 3,
      reason:
        'approval: the webhook failed 3 times in a row (the webhook answered 503: load test runner busy)',
    });
    expect(checks).toBe(3);
  });
});
