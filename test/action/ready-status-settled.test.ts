import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { fraudCanaryConfig, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// A candidate that passes is recorded ready before the change that takes it off its last step's
// traffic, then again once the platform confirmed it. The commit status `model-gate/<model>` was set
// on the first record only, so every ready PR's status kept saying v2 "is being taken off the
// traffic of step 2 of 2" long after it served no live traffic. Main step from src/, against the
// sandbox (with live traffic) and the GitHub stand-in.
const FILE = 'models/fraud.yaml';
const CONFIG = fraudCanaryConfig(
  '{ type: canary, steps: [10, 50], step-duration: 30s, min-requests: 40, interval: 250ms }',
);

let github: FakeGitHub;
let sandbox: Sandbox;
let traffic: TrafficGenerator;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1', 6));
  traffic = startTraffic({ url: sandbox.url, model: 'fraud-detector', rps: 200, seed: 10 });
  github.setFile(sha(1), FILE, 'version: v1\n');
  github.setFile(sha(2), FILE, 'version: v2\n');
  github.setPullRequest(7, {
    baseSha: sha(1),
    headSha: sha(2),
    files: [{ filename: FILE, status: 'modified' }],
  });
});

afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await traffic?.stop();
  await sandbox?.close();
  await github?.close();
});

describe("a ready PR's commit status", () => {
  it('says what holds once the change to idle is confirmed, not that it is under way', async () => {
    const run = await runMainStep({
      eventName: 'pull_request',
      event: pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 }),
      inputs: { ledger: 'github', 'max-wait': '2m' },
      config: CONFIG,
      githubUrl: github.url,
      env: { SANDBOX_URL: sandbox.url, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
    });
    expect([run.error, run.outputs.decision]).toEqual([undefined, 'ready']);
    // v2 has no live traffic left.
    expect(((await fraudServing(sandbox)) as { stable: unknown }).stable).toEqual({ version: 'v1' });
    const last = github.commitStatuses(sha(2)).at(-1);
    expect([last?.context, last?.state, last?.description]).toEqual([
      'model-gate/fraud-detector',
      'success',
      'v2: v2 passed all 2 phases; it serves no live traffic until the PR is merged',
    ]);
  }, 60_000);
});
