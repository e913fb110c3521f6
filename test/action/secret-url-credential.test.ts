import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { startFraudWorld } from '../support/main-step.js';
import { MODEL, runOnPullRequest, sentToGitHub } from './secret-world.js';

// A metrics endpoint's password sits in its URL, from a variable whose name does not look secret
// (GRAFANA_GLC, as Grafana Cloud names its access policy tokens). The endpoint refuses it and
// quotes it, as an auth proxy may: the log, the PR comment and the ledger show *** in its place.
const PASSWORD = 'glc_eyJvIjoiNzc3IiwibiI6Im1vZGVsLWdhdGUifQ';

let sandbox: Sandbox;
let github: FakeGitHub;
let metrics: Server;
let metricsUrl: string;
const seenAuthorization: (string | undefined)[] = [];

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1'));
  metrics = createServer((req, res) => {
    seenAuthorization.push(req.headers.authorization);
    const given = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
    req.resume();
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: `invalid credentials ${given}: the access policy has expired` }));
  });
  await new Promise<void>((done) => metrics.listen(0, '127.0.0.1', done));
  metricsUrl = `127.0.0.1:${(metrics.address() as AddressInfo).port}`;
});

afterAll(async () => {
  metrics?.closeAllConnections();
  await new Promise((done) => metrics?.close(done));
  await sandbox?.close();
  await github?.close();
});

const CONFIG = `version: 1
models:
  ${MODEL}:
    source: { file: models/fraud.yaml, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}" }
    metrics:
      type: http-json
      url: "http://model-gate:\${GRAFANA_GLC}@\${METRICS_HOST}/stats/{{model}}/{{slot}}"
    strategy: { type: canary, steps: [10, 50], step-duration: 30s, min-requests: 40, interval: 250ms }
    gates:
      - { name: errors, kind: threshold, query: error_rate, max: 0.05 }
`;

describe("a URL's password, from a variable not named like a secret", () => {
  it('is masked in the log, the PR comment and the ledger when the endpoint quotes it', async () => {
    const run = await runOnPullRequest(
      github,
      5,
      CONFIG,
      { SANDBOX_URL: sandbox.url, METRICS_HOST: metricsUrl, GRAFANA_GLC: PASSWORD },
      { 'max-wait': '30s' },
    );
    expect(seenAuthorization.length).toBeGreaterThan(0);
    for (const text of [run.log, run.comment, sentToGitHub(github)]) {
      expect(text).toContain('invalid credentials model-gate:***');
      expect(text).not.toContain(PASSWORD);
    }
  });
});
