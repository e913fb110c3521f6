import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runStep } from '../support/actions-runner.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';
import { type ServingLayer, startServingLayer } from '../support/standins/http-serving-layer.js';
import { MODEL, MODEL_FILE, runnerLog, sentToGitHub } from './secret-world.js';

// An http target behind a gateway that takes its key in the URL's path, as many do:
// `${SERVING_URL}/gw/${SERVING_TOKEN}/models/fraud-detector`. The key is rotated between two runs
// of the same PR. Before, the second run took the new key for a move to another target: it failed
// printing the old key (no longer registered, so unmasked), and so did every later run; and the PR
// comment's hidden state held the key in plain text. Each run here is the main step's own process
// (from src/), against the GitHub stand-in, the serving layer behind a real gateway.
const OLD_KEY = 'tok_OLD_9f8e7d6c5b4a39281706';
const NEW_KEY = 'tok_NEW_0a1b2c3d4e5f60718293';
const PR = 9;

let sandbox: Sandbox;
let github: FakeGitHub;
let layer: ServingLayer;
let gateway: Server;
let gatewayUrl: string;
/** The key the gateway takes now: the rotation changes it. */
let currentKey = OLD_KEY;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1'));
  layer = await startServingLayer({ deployed: ['v1', 'v2'], stable: 'v1' });
  gateway = createServer((req, res) => {
    const route = /^\/gw\/([^/]+)\/models\/fraud-detector(\/.*)$/.exec(req.url ?? '');
    if (!route || route[1] !== currentKey) {
      req.resume();
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'unknown or expired key' }));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      const answer = await fetch(`${layer.url}${route[2]}`, {
        method: req.method ?? 'GET',
        headers: { 'content-type': 'application/json' },
        ...(body ? { body } : {}),
      });
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(await answer.text());
    });
  });
  await new Promise<void>((done) => gateway.listen(0, '127.0.0.1', done));
  gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
  github.setFile(sha(1), MODEL_FILE, 'version: v1\n');
  github.setFile(sha(2), MODEL_FILE, 'version: v2\n');
  github.setPullRequest(PR, {
    baseSha: sha(1),
    headSha: sha(2),
    files: [{ filename: MODEL_FILE, status: 'modified' }],
  });
});

afterAll(async () => {
  expect(github?.violations).toEqual([]);
  expect(layer?.contractViolations).toEqual([]);
  gateway?.closeAllConnections();
  await new Promise((done) => gateway?.close(done));
  await layer?.close();
  await sandbox?.close();
  await github?.close();
});

const CONFIG = `version: 1
models:
  ${MODEL}:
    source: { file: ${MODEL_FILE}, key: version }
    target: { type: http, url: "\${SERVING_URL}/gw/\${SERVING_TOKEN}/models/fraud-detector" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: { type: canary, steps: [10, 50], step-duration: 30m, min-requests: 100000, interval: 250ms }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
`;

let runId = 700;

/** The main step, in tick mode, on `eventName`'s `event` with the gateway's key `key`; its log as the runner shows it. */
async function step(eventName: string, event: unknown, key: string) {
  const workspace = await mkdtemp(join(tmpdir(), 'model-gate-rotated-'));
  await mkdir(join(workspace, '.github'));
  await writeFile(join(workspace, '.github', 'model-gate.yml'), CONFIG);
  runId += 1;
  github.startRun(runId);
  const run = await runStep('index.js', {
    workspace,
    eventName,
    event,
    fromSource: true,
    env: {
      GITHUB_API_URL: github.url,
      GITHUB_RUN_ID: String(runId),
      SERVING_URL: gatewayUrl,
      SERVING_TOKEN: key,
      SANDBOX_URL: sandbox.url,
    },
    inputs: { 'github-token': 'ghs_secret_test_token', mode: 'tick' },
  }).finally(() => github.endRun(runId));
  return { ...run, log: runnerLog(run.stdout) };
}

const onPr = (action: 'opened' | 'closed', key: string) =>
  step('pull_request', pullRequestEvent(action, { base: sha(1), head: sha(2) }, { number: PR }), key);

// The two tests run in turn on one PR: the second rotates the key of the release the first opened.
describe("an http target's key in its URL's path, rotated between two runs of a PR", () => {
  it('the first run deploys the candidate; neither its log nor what it sends GitHub holds the key', async () => {
    const opened = await onPr('opened', OLD_KEY);
    expect(opened.outputs.decision).toBe('analysing');
    expect(layer.traffic).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
    for (const text of [opened.log, sentToGitHub(github)]) expect(text).not.toContain(OLD_KEY);
  }, 60_000);

  it('after the rotation it is the same target: the release goes on and ends there, no key shown', async () => {
    currentKey = NEW_KEY;
    const ticked = await step('schedule', { schedule: '*/15 * * * *' }, NEW_KEY);
    expect(ticked.log).not.toContain('::error::');
    expect(ticked.outputs.decision).toBe('analysing');

    // The close withdraws the candidate through the gateway, under the new key.
    const closed = await onPr('closed', NEW_KEY);
    expect(closed.log).not.toContain('::error::');
    expect(closed.outputs.decision).toBe('aborted');
    expect(layer.traffic).toEqual({ stable: { version: 'v1' } });

    for (const text of [ticked.log, closed.log, sentToGitHub(github)]) {
      expect(text).not.toContain(OLD_KEY);
      expect(text).not.toContain(NEW_KEY);
    }
  }, 60_000);
});
