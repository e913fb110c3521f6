import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { fraudCanaryConfig, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// Each job reads a version file at a commit from GitHub once, however many steps look at it:
// a push that puts the version back is read by the changed-models check and again by the
// no-longer-changed check, in the plan job and in the model's job. Main step from src/,
// against the GitHub stand-in and the sandbox.
const FILE = 'models/fraud.yaml';
const CONFIG = fraudCanaryConfig('{ type: canary, steps: [10, 50], step-duration: 30s, interval: 250ms }');

let github: FakeGitHub;
let sandbox: Sandbox;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1'));
  github.setFile(sha(1), FILE, 'version: v1\n');
  github.setFile(sha(2), FILE, 'version: v2\n');
  // The push puts the base's version back, the file still among the PR's files.
  github.setFile(sha(3), FILE, 'version: v1 # reverted\n');
});

afterAll(async () => {
  await sandbox?.close();
  await github?.close();
});

const step = (head: number, inputs: Record<string, string>) => {
  github.setPullRequest(7, {
    baseSha: sha(1),
    headSha: sha(head),
    files: [{ filename: FILE, status: 'modified' }],
  });
  const action = head === 2 ? 'opened' : 'synchronize';
  return runMainStep({
    eventName: 'pull_request',
    event: pullRequestEvent(action, { base: sha(1), head: sha(head) }, { number: 7 }),
    inputs: { ledger: 'github', ...inputs },
    config: CONFIG,
    githubUrl: github.url,
    env: { SANDBOX_URL: sandbox.url, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
  });
};

/** The contents reads since the last call, as `ref:path`, in order. */
function contentReads(): string[] {
  const reads = github.requests
    .filter((r) => r.method === 'GET' && r.template === '/repos/{owner}/{repo}/contents/{path}')
    .map((r) => `${r.query.ref}:${decodeURIComponent(r.path.split('/contents/')[1] ?? '')}`);
  github.resetRequests();
  return reads;
}

describe('version files read from GitHub in one job', () => {
  it('a push that puts the version back: each job reads the file at base and at head once', async () => {
    // One pass: the candidate is live (analysing) when the push comes.
    const opened = await step(2, { mode: 'tick' });
    expect(opened.outputs.decision).toBe('analysing');
    expect(await fraudServing(sandbox)).toMatchObject({ canary: { version: 'v2' } });
    github.resetRequests();

    const plan = await step(3, { command: 'plan' });
    expect(plan.outputs.matrix).toBe('{"include":[{"model":"fraud-detector"}]}');
    const once = [`${sha(3)}:${FILE}`, `${sha(1)}:${FILE}`];
    expect(contentReads()).toEqual(once);

    const job = await step(3, { model: 'fraud-detector' });
    expect(job.outputs.decision).toBe('aborted');
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
    expect(contentReads()).toEqual(once);
  });
});
