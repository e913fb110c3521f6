import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { WebhookGateConfig } from '../../src/config/types.js';
import { measureWebhook } from '../../src/gates/webhook-gate.js';
import { type JsonServer, startJsonServer } from '../support/metrics-http.js';
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
    const long = await answered({ verdict: 'pass', note: 'x'.repeat(501) });
    expect(long).toMatchObject({ verdict: 'error' });
    expect(long.note).toMatch(
      /^the webhook's answer is not one model-gate reads: its "note" has 501 characters, at most 500: shorten it; an answer is /,
    );
    expect(long.note).toContain(SHAPE);
    expect((await answered({ verdict: 'pass', value: '212' })).note).toBe(
      `the webhook's answer is not one model-gate reads: its "value" is "212", not a number (send it without quotes); an answer is ${SHAPE}; got {"verdict":"pass","value":"212"}`,
    );
    expect((await answered({ note: 'ok' })).note).toContain('model-gate reads: it has no "verdict";');
    expect((await answered([{ verdict: 'pass' }])).note).toContain(
      'model-gate reads: it is not a JSON object;',
    );
    for (const body of [
      { verdict: 'pass', value: '212' },
      { verdict: 'pass', note: 'x'.repeat(501) },
    ])
      expect(contractAccepts(body)).toBe(false);
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
