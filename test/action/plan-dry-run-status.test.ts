import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import type { FakeGitHub, FakePullRequestFile } from '../support/fake-github/server.js';
import { fraudCanaryConfig, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// `command: plan` passes the `model-gate/<model>` status of a head that no longer changes a model
// whose release of the PR ended earlier (no job runs for it). With `dry-run: true` it must write
// nothing, that status included. PR #7 takes fraud-detector from v1 to v2 (head 2, ready), is
// closed (v2 withdrawn), then reopened on head 3, which puts v1 back. Main step from src/, against
// the GitHub stand-in and the sandbox.
const FILE = 'models/fraud.yaml';
const CONFIG = fraudCanaryConfig(
  '{ type: canary, steps: [50], step-duration: 30s, min-requests: 40, interval: 250ms }',
);
const CONTEXT = 'model-gate/fraud-detector';

let github: FakeGitHub;
let sandbox: Sandbox;
let traffic: TrafficGenerator;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1', 6));
  traffic = startTraffic({ url: sandbox.url, model: 'fraud-detector', rps: 200, seed: 10 });
  github.setFile(sha(1), FILE, 'version: v1\n');
  github.setFile(sha(2), FILE, 'version: v2\n');
  github.setFile(sha(3), FILE, 'version: v1\n');
});

afterAll(async () => {
  await traffic?.stop();
  await sandbox?.close();
  await github?.close();
});

/** The main step on PR #7 at `head`, with `inputs` (a release job unless `command: plan`). */
function step(
  action: 'opened' | 'closed' | 'reopened',
  head: number,
  files: FakePullRequestFile[],
  inputs: Record<string, string> = {},
) {
  github.setPullRequest(7, { baseSha: sha(1), headSha: sha(head), files });
  return runMainStep({
    eventName: 'pull_request',
    event: pullRequestEvent(action, { base: sha(1), head: sha(head) }, { number: 7 }),
    inputs: { ledger: 'github', 'max-wait': '2m', ...inputs },
    config: CONFIG,
    githubUrl: github.url,
    env: { SANDBOX_URL: sandbox.url, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
  });
}

const statuses = (head: number) =>
  github.commitStatuses(sha(head)).map((s) => [s.context, s.state, s.description]);

describe('command: plan on a head that no longer changes a model whose release ended', () => {
  it('writes no commit status in a dry run, and passes the head without one', async () => {
    const touched = [{ filename: FILE, status: 'modified' as const }];
    const opened = await step('opened', 2, touched);
    expect(opened.error).toBeUndefined();
    expect(opened.outputs.decision).toBe('ready');
    expect((await step('closed', 2, touched)).outputs.decision).toBe('aborted');

    const readme = [{ filename: 'README.md', status: 'modified' as const }];
    const dry = await step('reopened', 3, readme, { command: 'plan', 'dry-run': 'true' });
    expect(dry.error).toBeUndefined();
    expect(dry.outputs).toMatchObject({ 'has-models': 'false', decision: 'skipped' });
    expect(statuses(3)).toEqual([]);

    const real = await step('reopened', 3, readme, { command: 'plan' });
    expect(real.error).toBeUndefined();
    expect(statuses(3)).toEqual([
      [CONTEXT, 'success', 'no longer changes fraud-detector: candidate v2 was withdrawn earlier'],
    ]);
  });

  it('spoke only the documented API', () => {
    expect(github.violations).toEqual([]);
  });
});
