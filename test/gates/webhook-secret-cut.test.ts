import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookGateConfig } from '../../src/config/types.js';
import { addSecret } from '../../src/core/redact.js';
import { measureWebhook } from '../../src/gates/webhook-gate.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { type CheckService, startCheckService } from '../support/standins/webhook-check.js';

// A webhook's answer that is no verdict is quoted in the gate's note, which reaches the log and
// the PR comment, cut to 120 characters. A secret the answer echoes (the token the gate sends, the
// secret in the webhook's path) is hidden whole or not at all: hidden after the cut, a secret the
// cut runs through no longer matches, and its head goes out.
const TOKEN = 'whk_Q7v2LmN9xR4tY8pZ3sW6';
const PATH_SECRET = 'XyZsecretPath123abcDEF';

let service: CheckService;
beforeAll(async () => {
  service = await startCheckService();
  // The config passes it (`Authorization: Bearer ${CHECK_TOKEN}`): the action registers it.
  addSecret(TOKEN);
});
afterAll(() => service.close());

const gate = (url: string): WebhookGateConfig => ({
  kind: 'webhook',
  name: 'approval',
  url,
  headers: { Authorization: `Bearer ${TOKEN}` },
  timeoutMs: 2_000,
  consecutiveErrorLimit: 1,
});
const ctx = {
  metrics: new ScriptedMetrics({ stable: { rps: 90, values: {} }, canary: { rps: 10, values: {} } }),
  model: 'fraud',
  stable: 'v1',
  candidate: 'v2',
  since: 0,
  now: 30_000,
  minRequests: 100,
  weight: 25,
};

/** An answer that is no verdict, quoting `text`: the `secret` in it starts 10 characters before the note's cut (120 characters of its JSON). */
function answerQuoting(text: string, secret = text) {
  const answer = (pad: number) => ({
    verdict: 'approved',
    detail: `${'r'.repeat(pad)} approved it: ${text}`,
  });
  const pad = 110 - JSON.stringify(answer(0)).indexOf(secret);
  expect(JSON.stringify(answer(pad)).indexOf(secret)).toBe(110);
  return answer(pad);
}

describe("a webhook's answer that is no verdict, quoting a secret across the note's cut", () => {
  it('shows no head of the token the gate sends', async () => {
    service.answer = { status: 200, body: answerQuoting(TOKEN) };
    const note = (await measureWebhook(gate(`${service.url}/check`), ctx)).note ?? '';
    expect(note).not.toContain(TOKEN.slice(0, 6));
    expect(note).toContain("the webhook's answer is not");
    expect(note).toContain('approved it: ***');
  });

  it("shows no head of the secret in the webhook's path", async () => {
    const url = `${new URL(service.url).origin}/hooks/T0/${PATH_SECRET}`;
    service.answer = { status: 200, body: answerQuoting(url, PATH_SECRET) };
    const note = (await measureWebhook(gate(url), ctx)).note ?? '';
    expect(note).toContain("the webhook's answer is not");
    expect(note).not.toContain(PATH_SECRET.slice(0, 6));
  });
});
