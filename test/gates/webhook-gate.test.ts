import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookGateConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { measureWebhook } from '../../src/gates/webhook-gate.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { MemoryTarget } from '../support/memory-target.js';
import { canaryModel } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { type CheckService, startCheckService } from '../support/standins/webhook-check.js';

// A real check service, written to docs/webhook-gate.openapi.yaml, answering what each test says.
let service: CheckService;
beforeAll(async () => {
  service = await startCheckService();
});
afterAll(() => service.close());
afterEach(() => {
  expect(service.contractViolations).toEqual([]);
  service.checks.length = 0;
});

const gate = (over: Partial<WebhookGateConfig> = {}): WebhookGateConfig => ({
  kind: 'webhook',
  name: 'approval',
  url: service.url,
  headers: { authorization: 'Bearer s3cret' },
  timeoutMs: 2_000,
  consecutiveErrorLimit: 2,
  ...over,
});
const T0 = Date.UTC(2026, 0, 1);
const ctx = {
  metrics: new ScriptedMetrics({ stable: { rps: 90, values: {} }, canary: { rps: 10, values: {} } }),
  model: 'fraud',
  stable: 'v1',
  candidate: 'v2',
  since: T0,
  now: T0 + 30_000,
  minRequests: 100,
  weight: 25,
};

describe('the webhook gate', () => {
  it("sends the check with the gate's headers and takes the answer's verdict, note and value", async () => {
    service.answer = { status: 200, body: { verdict: 'fail', note: 'p99 312 ms at 300 rps', value: 312 } };
    expect(await measureWebhook(gate(), ctx)).toEqual({
      at: T0 + 30_000,
      verdict: 'fail',
      note: 'p99 312 ms at 300 rps',
      canary: 312,
    });
    expect(service.checks).toEqual([
      {
        body: {
          gate: 'approval',
          model: 'fraud',
          stable: 'v1',
          candidate: 'v2',
          slot: 'canary',
          weight: 25,
          since: T0,
          now: T0 + 30_000,
        },
        authorization: 'Bearer s3cret',
      },
    ]);
    service.answer = { status: 200, body: { verdict: 'pass' } };
    expect(await measureWebhook(gate(), ctx)).toMatchObject({
      verdict: 'pass',
      note: 'the webhook answered pass',
    });
  });

  it('counts an error status, a body that is not an answer and no answer in time as errors, never a pass', async () => {
    service.answer = { status: 503, body: { error: 'load test runner busy' } };
    expect(await measureWebhook(gate(), ctx)).toMatchObject({
      verdict: 'error',
      note: 'the webhook answered 503: load test runner busy',
    });
    service.answer = { status: 200, body: { verdict: 'approved' } };
    expect((await measureWebhook(gate(), ctx)).note).toBe(
      `the webhook's answer is not one model-gate reads: its "verdict" is "approved", not "pass", "fail" or "waiting"; an answer is {"verdict": "pass" | "fail" | "waiting", "note"?: text of at most 500 characters, "value"?: number}; got {"verdict":"approved"}`,
    );
    service.answer = { status: 200, body: 'OK' };
    expect(await measureWebhook(gate(), ctx)).toMatchObject({
      verdict: 'error',
      note: 'the webhook answered 200 with a body that is not JSON',
    });
    service.answer = { status: 200, body: {}, hang: true };
    const late = await measureWebhook(gate({ timeoutMs: 200 }), ctx);
    expect(late.verdict).toBe('error');
    expect(late.note).toMatch(/^the webhook did not answer: POST http:\/\/127\.0\.0\.1:\d+ failed: /);
  });

  it('gives the whole answer one timeout: a service trickling bytes cannot stretch it into a pass', async () => {
    // Headers at once, then a space every 100 ms for 3 s before a pass: each chunk is quick, the answer is not.
    const trickle = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let n = 0;
      const t = setInterval(() => {
        if (++n < 30) res.write(' ');
        else res.end('{"verdict":"pass"}');
      }, 100);
      res.on('close', () => clearInterval(t));
    });
    await new Promise<void>((resolve) => trickle.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(trickle.address() as AddressInfo).port}/check`;
      const late = await measureWebhook(gate({ url, timeoutMs: 300 }), ctx);
      expect(late).toMatchObject({ verdict: 'error' });
      expect(late.note).toMatch(/failed: no complete answer within 300ms \(timeout\)$/);
    } finally {
      trickle.closeAllConnections();
      await new Promise<void>((resolve) => trickle.close(() => resolve()));
    }
  });

  it('never shows a secret in the URL (credentials, query string) in its note, which reaches the PR comment', async () => {
    const secret = 'HOOKTOKEN_s3cr3t';
    const withSecrets = (url: string) => {
      const u = new URL(url);
      u.username = 'ci';
      u.password = secret;
      u.search = `?token=${secret}`;
      return u.toString();
    };
    service.answer = { status: 200, body: 'OK' };
    const notJson = await measureWebhook(gate({ url: withSecrets(service.url) }), ctx);
    expect(notJson.note).toBe('the webhook answered 200 with a body that is not JSON');
    const refused = await measureWebhook(gate({ url: withSecrets('http://127.0.0.1:1/hook') }), ctx);
    expect(refused.note).toMatch(/^the webhook did not answer: POST http:\/\/127\.0\.0\.1:1 failed: /);
    for (const look of [notJson, refused]) expect(look.note).not.toContain(secret);
  });
});

describe('a release gated by an approval webhook', () => {
  const setup = (mustHaveData = true, over: Partial<WebhookGateConfig> = {}) => {
    const clock = new FakeClock(T0);
    const target = new MemoryTarget();
    const config = canaryModel({ gates: [gate(over)], mustHaveData });
    const metrics = new ScriptedMetrics({ stable: { rps: 90, values: {} }, canary: { rps: 10, values: {} } });
    const release = newRelease(config, { from: 'v1', to: 'v2', pr: 7, headSha: 'b'.repeat(40), now: T0 });
    return { clock, target, c: { config, target, metrics, clock }, release };
  };
  const looks = async (r: Release, c: ReturnType<typeof setup>['c'], n: number) => {
    let next = r;
    for (let i = 0; i < n && next.status === 'analysing'; i++) {
      next = await tick(next, c);
      if (next.status === 'analysing') await c.clock.sleep(c.config.strategy.intervalMs);
    }
    return next;
  };

  it('holds the step while nobody approved, and moves on once the webhook passes', async () => {
    const { c, release } = setup();
    service.answer = { status: 200, body: { verdict: 'waiting', note: 'waiting for @ml-lead' } };
    const held = await looks(release, c, 3);
    expect(held).toMatchObject({ status: 'analysing', phase: 0 });
    expect(held.reason).toBe('analysing step 1 of 3: waiting for approval');
    service.answer = { status: 200, body: { verdict: 'pass', note: 'approved by @ml-lead' } };
    const next = await looks(held, c, 1);
    expect(next.phase).toBe(1);
  });

  it('rolls back a candidate nobody approved by the step deadline, and one the webhook failed', async () => {
    const unapproved = setup();
    service.answer = { status: 200, body: { verdict: 'waiting', note: 'waiting for @ml-lead' } };
    const timedOut = await looks(unapproved.release, unapproved.c, 20);
    expect(timedOut.status).toBe('failed');
    expect(timedOut.reason).toBe(
      'no conclusive evidence within 1m at step 1 of 3: approval (waiting for @ml-lead)',
    );
    expect(unapproved.target.state).toEqual({ stable: { version: 'v1' } });

    const refused = setup();
    service.answer = { status: 200, body: { verdict: 'fail', note: 'rejected by @ml-lead: see #12' } };
    const failed = await looks(refused.release, refused.c, 3);
    expect(failed.reason).toBe('approval: rejected by @ml-lead: see #12');
    expect(refused.target.state).toEqual({ stable: { version: 'v1' } });
  });

  it('rolls back a candidate nobody approved also with must-have-data off, which excuses only a webhook that never answered', async () => {
    const unapproved = setup(false);
    service.answer = { status: 200, body: { verdict: 'waiting', note: 'waiting for @ml-lead' } };
    const timedOut = await looks(unapproved.release, unapproved.c, 20);
    expect(timedOut.status).toBe('failed');
    expect(timedOut.reason).toBe(
      'no conclusive evidence within 1m at step 1 of 3: approval (waiting for @ml-lead)',
    );

    // Errors tolerated until the deadline (no consecutive-error-limit to fail it sooner).
    const unanswered = setup(false, { consecutiveErrorLimit: 1000 });
    service.answer = { status: 503, body: { message: 'down' } };
    const excused = await looks(unanswered.release, unanswered.c, 20);
    expect(excused.phases[0]?.outcome).toBe('passed');
    expect(excused.phases[0]?.note).toMatch(
      /^ended without conclusive data for approval \(the webhook answered 503/,
    );
  });
});
