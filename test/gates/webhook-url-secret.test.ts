import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookGateConfig } from '../../src/config/types.js';
import { measureWebhook } from '../../src/gates/webhook-gate.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { MODEL, runOnPullRequest, sentToGitHub } from '../action/secret-world.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { startFraudWorld } from '../support/main-step.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { type CheckService, startCheckService } from '../support/standins/webhook-check.js';

// An incoming webhook (Slack, Teams, Discord) carries its secret in the path, and the variable
// holding it need not be named like a secret, so nothing masks it: the gate's notes, which reach
// the PR comment, name the webhook by its origin only.
const SECRET = 'XyZsecretPath123abc';
const PATH = `/hooks/T0/B0123/${SECRET}`;

let service: CheckService;
let origin: string;
beforeAll(async () => {
  service = await startCheckService();
  origin = new URL(service.url).origin;
});
afterAll(() => service.close());

const gate = (url: string, timeoutMs = 2_000): WebhookGateConfig => ({
  kind: 'webhook',
  name: 'approval',
  url,
  headers: {},
  timeoutMs,
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

describe("a webhook gate's notes, for a URL with its secret in the path", () => {
  it('name only the origin, whatever went wrong', async () => {
    const url = `${origin}${PATH}`;
    const notes: Record<string, string | undefined> = {};
    notes.refused = (await measureWebhook(gate(`http://127.0.0.1:1${PATH}?token=${SECRET}`), ctx)).note;
    service.answer = { status: 404, body: { error: `no webhook at ${PATH}` } };
    notes.status = (await measureWebhook(gate(url), ctx)).note;
    service.answer = { status: 200, body: '<html>ok</html>' };
    notes.notJson = (await measureWebhook(gate(url), ctx)).note;
    service.answer = { status: 200, body: { verdict: 'approved', hook: `${url}` } };
    notes.badAnswer = (await measureWebhook(gate(url), ctx)).note;
    service.answer = { status: 200, body: {}, hang: true };
    notes.timeout = (await measureWebhook(gate(url, 200), ctx)).note;

    expect(notes).toEqual({
      refused: expect.stringMatching(/^the webhook did not answer: POST http:\/\/127\.0\.0\.1:1 failed: /),
      status: 'the webhook answered 404: no webhook at …',
      notJson: 'the webhook answered 200 with a body that is not JSON',
      badAnswer: `the webhook's answer is not one model-gate reads: its "verdict" is "approved", not "pass", "fail" or "waiting"; an answer is {"verdict": "pass" | "fail" | "waiting", "note"?: text of at most 500 characters, "value"?: number}; got {"verdict":"approved","hook":"${origin}"}`,
      timeout: `the webhook did not answer: POST ${origin} failed: no complete answer within 200ms (timeout)`,
    });
    for (const note of Object.values(notes)) expect(note).not.toContain(SECRET);
  });
});

describe('a release gated by a webhook whose URL comes from a variable not named like a secret', () => {
  let sandbox: Sandbox;
  let github: FakeGitHub;
  beforeAll(async () => {
    ({ sandbox, github } = await startFraudWorld('v1'));
  });
  afterAll(async () => {
    await sandbox?.close();
    await github?.close();
  });

  it('never shows the path in the log, the PR comment or what GitHub stores', async () => {
    const config = `version: 1
models:
  ${MODEL}:
    source: { file: models/fraud.yaml, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: { type: canary, steps: [10, 50], step-duration: 30s, min-requests: 40, interval: 250ms }
    gates:
      - { name: approval, kind: webhook, url: "\${APPROVAL_WEBHOOK_URL}", consecutive-error-limit: 1 }
`;
    const run = await runOnPullRequest(github, 9, config, {
      SANDBOX_URL: sandbox.url,
      APPROVAL_WEBHOOK_URL: `http://127.0.0.1:1${PATH}`,
    });
    expect(run.comment).toContain('the webhook did not answer: POST http://127.0.0.1:1 failed: ');
    for (const text of [run.log, run.stderr, run.comment, sentToGitHub(github)])
      expect(text).not.toContain(SECRET);
  });
});
