import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// A schedule tick reads each model's canary holder once: its drift watch, which names a candidate
// serving beside the stable version by the release holding the slot, takes the tick's read. Read
// again per model, it took a quiet tick from 4 GitHub requests to 6.

const FILE = 'models/fraud.yaml';
const CONFIG = `version: 1
defaults:
  strategy: { type: canary, steps: [10, 50], step-duration: 2s, min-requests: 10, interval: 250ms }
models:
  fraud-detector:
    source: { file: ${FILE}, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
    drift-watch: { window: 60s, reference: 60s, max-psi: 0.25 }
`;
let github: FakeGitHub;
let sandbox: Sandbox;
beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1', 4));
  github.setFile(sha(1), FILE, 'version: v1\n');
  github.setFile(sha(2), FILE, 'version: v2\n');
  github.setPullRequest(7, {
    baseSha: sha(1),
    headSha: sha(2),
    files: [{ filename: FILE, status: 'modified' }],
  });
});
afterAll(async () => {
  await sandbox?.close();
  await github?.close();
});
const step = (eventName: string, event: unknown, inputs: Record<string, string> = {}) =>
  runMainStep({
    eventName,
    event,
    inputs: { ledger: 'github', ...inputs },
    config: CONFIG,
    githubUrl: github.url,
    env: { SANDBOX_URL: sandbox.url, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
  });

describe('a schedule tick with a drift watch', () => {
  it('reads the canary holder once per model: 4 GitHub requests with nothing in flight', async () => {
    // A PR that claimed the slot and ended: the claim is on record, inactive.
    const shas = { base: sha(1), head: sha(2) };
    await step('pull_request', pullRequestEvent('opened', shas, { number: 7 }), { mode: 'tick' });
    await step('pull_request', pullRequestEvent('closed', shas, { number: 7 }), { mode: 'tick' });
    github.resetRequests();
    const tick = await step('schedule', { schedule: '*/15 * * * *' });
    expect(tick.error).toBeUndefined();
    const claimsListed = github.requests.filter(
      (r) => r.operationId === 'repos/list-deployments' && r.query.task === 'model-gate:canary',
    );
    expect(claimsListed).toHaveLength(1);
    expect(github.requests).toHaveLength(4);
    expect(github.violations).toEqual([]);
  });
});
