import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { WebhookGateConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { measureWebhook } from '../../src/gates/webhook-gate.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import { MemoryTarget } from '../support/memory-target.js';
import { type JsonServer, startJsonServer } from '../support/metrics-http.js';
import { canaryModel } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { type CheckService, startCheckService, WEBHOOK_OPENAPI } from '../support/standins/webhook-check.js';

// A real check service to docs/webhook-gate.openapi.yaml; a refused answer must say which field broke which rule.
let service: CheckService;
beforeAll(async () => {
  service = await startCheckService();
});
afterAll(() => service.close());

const T0 = Date.UTC(2026, 0, 1);
const ctx = {
  metrics: new ScriptedMetrics({ stable: { rps: 90, values: {} }, canary: { rps: 10, values: {} } }),
  model: 'fraud',
  stable: 'v1',
  candidate: 'v2',
  since: T0,
  now: T0 + 30_000,
  minRequests: 100,
};
const gate = (url = service.url): WebhookGateConfig => ({
  kind: 'webhook',
  name: 'approval',
  url,
  headers: {},
  timeoutMs: 2_000,
  consecutiveErrorLimit: 2,
});
const SHAPE =
  '{"verdict": "pass" | "fail" | "waiting", "note"?: text of at most 500 characters, "value"?: number}';
const answered = async (body: unknown) => {
  service.answer = { status: 200, body };
  const look = await measureWebhook(gate(), ctx);
  expect(service.contractViolations).toEqual([]);
  return look;
};

/** Whether the contract's own `Answer` schema accepts `body`. */
function contractAccepts(body: unknown): boolean {
  const ajv = new Ajv2020({ strict: false });
  ajv.addSchema(parse(readFileSync(WEBHOOK_OPENAPI, 'utf8')), 'openapi');
  return ajv.validate({ $ref: 'openapi#/components/schemas/Answer' }, body) as boolean;
}

describe('a webhook answer the gate refuses', () => {
  it('names the field and the rule it broke, quoting the whole shape', async () => {
    expect((await answered({ verdict: 'PASS' })).note).toBe(
      `the webhook's answer is not one model-gate reads: its "verdict" is "PASS", not "pass", "fail" or "waiting"; an answer is ${SHAPE}; got {"verdict":"PASS"}`,
    );
    expect((await answered({ note: 'ok', value: '212' })).note).toContain(
      'model-gate reads: it has no "verdict";',
    );
    expect((await answered([{ verdict: 'pass' }])).note).toContain(
      'model-gate reads: it is not a JSON object;',
    );
  });
});

// A load test that fails must fail the candidate: its verdict counts though another field of its
// answer breaks the contract, which was an error look (must-have-data: false let such steps pass).
describe('a webhook answer with a valid verdict and a field that breaks the contract', () => {
  const BROKE = "the webhook's answer breaks its contract, its verdict counted all the same";

  it('takes the verdict, leaves out a value that is no finite number and says so', async () => {
    const quoted = { verdict: 'fail', note: 'p99 312 ms over budget 250 ms', value: '312' };
    expect(contractAccepts(quoted)).toBe(false);
    expect(await answered(quoted)).toEqual({
      at: T0 + 30_000,
      verdict: 'fail',
      note: `p99 312 ms over budget 250 ms; ${BROKE}: its "value" is "312", not a number (send it without quotes), so no value is shown`,
    });
    // What Python's json.dumps writes for a NaN p99 (a load test where nothing succeeded): bare NaN.
    service.answer = {
      status: 200,
      body: '{"verdict": "fail", "note": "0 of 3000 requests succeeded", "value": NaN}',
    };
    expect(await measureWebhook(gate(), ctx)).toEqual({
      at: T0 + 30_000,
      verdict: 'fail',
      note: `0 of 3000 requests succeeded; ${BROKE}: its "value" is NaN, not a finite number, so no value is shown`,
    });
    expect((await answered({ verdict: 'pass', value: true })).note).toBe(
      `the webhook answered pass; ${BROKE}: its "value" is true, not a number, so no value is shown`,
    );
  });

  it('cuts a note over 500 characters, leaves out one that is not text, and says so', async () => {
    const long = await answered({ verdict: 'fail', note: `${'x'.repeat(600)}`, value: 312 });
    expect(long).toMatchObject({ verdict: 'fail', canary: 312 });
    expect(long.note).toBe(
      `${'x'.repeat(499)}…; ${BROKE}: its "note" has 600 characters, at most 500, so it is cut`,
    );
    service.answer = {
      status: 200,
      body: '{"verdict": "waiting", "note": {"text": "queued"}, "value": -Infinity}',
    };
    expect(await measureWebhook(gate(), ctx)).toEqual({
      at: T0 + 30_000,
      verdict: 'waiting',
      note: `the webhook answered waiting; ${BROKE}: its "note" is {"text":"queued"}, not text, so it is left out; its "value" is -Infinity, not a finite number, so no value is shown`,
    });
  });

  it("fails the release at once with the service's note, whatever must-have-data says", async () => {
    for (const mustHaveData of [false, true]) {
      const clock = new FakeClock(T0);
      const config = canaryModel({ mustHaveData, gates: [gate()] });
      const c = { config, target: new MemoryTarget(), metrics: ctx.metrics, clock };
      service.answer = {
        status: 200,
        body: '{"verdict":"fail","note":"p99 312 ms over budget 250 ms","value":"312"}',
      };
      let release = newRelease(config, { from: 'v1', to: 'v2', pr: 7, headSha: 'b'.repeat(40), now: T0 });
      for (let i = 0; i < 30 && release.status === 'analysing'; i++) {
        release = await tick(release, c);
        await clock.sleep(config.strategy.intervalMs);
      }
      expect(release.status).toBe('failed');
      // On its first look: no error look before it.
      expect(release.gates[0]).toMatchObject({ failures: 1, consecutiveErrors: 0 });
      expect(release.gates[0]?.reason).toMatch(/^approval: p99 312 ms over budget 250 ms; /);
      expect(release.phases.map((p) => p.outcome)).toEqual(['failed']);
    }
  });

  it('takes null for the optional note and value, as the contract says', async () => {
    for (const body of [
      { verdict: 'pass', note: null },
      { verdict: 'pass', value: null },
    ]) {
      expect(contractAccepts(body)).toBe(true);
      expect(await answered(body)).toEqual({
        at: T0 + 30_000,
        verdict: 'pass',
        note: 'the webhook answered pass',
      });
    }
  });
});

describe('a webhook that redirects', () => {
  const SECRET = 'T0KEN_in_the_query';
  let moved: JsonServer;
  beforeAll(async () => {
    moved = await startJsonServer((req) => {
      if (req.path === '/check')
        return { status: 307, headers: { location: `https://checks.example.com/check?key=${SECRET}` } };
      if (req.path === '/hooks/services/T1/B2/abcdef')
        return { status: 308, headers: { location: '/hooks/services/T1/B2/moved-secret' } };
      return { status: 302 };
    });
  });
  afterAll(() => moved.close());

  it('says it redirected, to where (secrets hidden), and to update the url', async () => {
    const look = await measureWebhook(gate(`${moved.url}/check`), ctx);
    expect(look).toEqual({
      at: T0 + 30_000,
      verdict: 'error',
      note: `the webhook redirected (307) to https://checks.example.com/check?…: model-gate does not follow redirects, so the check and its headers never go elsewhere; update the gate's "url" to the address it redirects to`,
    });
    const secretPath = await measureWebhook(gate(`${moved.url}/hooks/services/T1/B2/abcdef`), ctx);
    expect(secretPath.note).toMatch(
      /^the webhook redirected \(308\) to http:\/\/127\.0\.0\.1:\d+\/… \(path hidden: it may hold a secret\): /,
    );
    expect(secretPath.note).not.toContain('moved-secret');
    const nowhere = await measureWebhook(gate(`${moved.url}/gone`), ctx);
    expect(nowhere.note).toMatch(/^the webhook redirected \(302\) without saying where \(no Location\): /);
    for (const note of [look.note, secretPath.note]) expect(note).not.toContain(SECRET);
  });
});
