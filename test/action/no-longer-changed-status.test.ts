import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import type { FakeGitHub, FakePullRequestFile } from '../support/fake-github/server.js';
import { fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// A branch protection that requires `model-gate/fraud-detector` looks for it on the PR's head
// only. PR #7 takes fraud-detector from v1 to v2 (head 2, ready: success there), then a push puts
// v1 back (head 3); PR #8 does the same and then deletes the version file (head 5). Each new head
// gets its own passing status saying why, else the PR could never merge. PR #9 never touches the
// model: no status (see docs/branch-protection.md). Main step from src/, against the GitHub
// stand-in (which checks every request against GitHub's OpenAPI description) and the sandbox.
const FILE = 'models/fraud.yaml';
const CONFIG = `version: 1
defaults:
  strategy: { type: canary, steps: [50], step-duration: 30s, min-requests: 40, interval: 250ms }
models:
  fraud-detector:
    source: { file: ${FILE}, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
`;
const CONTEXT = 'model-gate/fraud-detector';
const touches = (status: FakePullRequestFile['status']): FakePullRequestFile[] => [
  { filename: FILE, status },
];

let github: FakeGitHub;
let sandbox: Sandbox;
let traffic: TrafficGenerator;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1', 5));
  traffic = startTraffic({ url: sandbox.url, model: 'fraud-detector', rps: 200, seed: 9 });
  for (const n of [1, 3, 6]) github.setFile(sha(n), FILE, 'version: v1\n');
  for (const n of [2, 4]) github.setFile(sha(n), FILE, 'version: v2\n');
  // Head 5 has no version file; head 6 changes only the README.
  github.setFile(sha(6), 'README.md', 'a typo fixed\n');
});

afterAll(async () => {
  await traffic?.stop();
  await sandbox?.close();
  await github?.close();
});

async function push(
  number: number,
  action: 'opened' | 'synchronize',
  head: number,
  files: FakePullRequestFile[],
) {
  github.setPullRequest(number, { baseSha: sha(1), headSha: sha(head), files });
  const run = await runMainStep({
    eventName: 'pull_request',
    event: pullRequestEvent(action, { base: sha(1), head: sha(head) }, { number }),
    inputs: { ledger: 'github', 'max-wait': '2m' },
    config: CONFIG,
    githubUrl: github.url,
    env: { SANDBOX_URL: sandbox.url, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
  });
  expect(run.error).toBeUndefined();
  return run.outputs.decision;
}

const statuses = (head: number) =>
  github
    .commitStatuses(sha(head))
    .map((s) => ({ state: s.state, context: s.context, description: s.description }));

describe('the commit status of a head that no longer changes the model', () => {
  it('the version put back: the new head passes, saying the candidate was withdrawn', async () => {
    expect(await push(7, 'opened', 2, touches('modified'))).toBe('ready');
    expect(statuses(2).at(-1)).toMatchObject({ state: 'success', context: CONTEXT });
    expect(await push(7, 'synchronize', 3, [{ filename: 'README.md', status: 'modified' }])).toBe('aborted');
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
    expect(statuses(3)).toEqual([
      {
        state: 'success',
        context: CONTEXT,
        description: 'no longer changes fraud-detector: candidate v2 withdrawn',
      },
    ]);
  });

  it('the version file deleted: the new head passes, saying so', async () => {
    expect(await push(8, 'opened', 4, touches('modified'))).toBe('ready');
    expect(await push(8, 'synchronize', 5, touches('removed'))).toBe('aborted');
    expect(statuses(5)).toEqual([
      {
        state: 'success',
        context: CONTEXT,
        description: "no longer declares fraud-detector's version: candidate v2 withdrawn",
      },
    ]);
  });

  it('a PR that never changed the model gets no status for it', async () => {
    expect(await push(9, 'opened', 6, [{ filename: 'README.md', status: 'modified' }])).toBe('skipped');
    expect(statuses(6)).toEqual([]);
  });

  it('spoke only the documented API', () => {
    expect(github.violations).toEqual([]);
  });
});
