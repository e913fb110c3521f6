import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { fraudCanaryConfig, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// A PR declaring a version the platform does not have (v9, a typo) was reported "rolled back" with
// "a fault outside the candidate: … push a new commit (an empty one will do)", which analyses the
// same typo again. Its comment says v9 was not deployed, in the sandbox's words, and that the fix is
// the PR's version. Main step from src/, against the sandbox and the GitHub stand-in.

let sandbox: Sandbox;
let github: FakeGitHub;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1', 6));
  github.setFile(sha(1), 'models/fraud.yaml', 'version: v1\n');
  github.setFile(sha(2), 'models/fraud.yaml', 'version: v9\n');
  github.setPullRequest(7, {
    baseSha: sha(1),
    headSha: sha(2),
    files: [{ filename: 'models/fraud.yaml', status: 'modified' }],
  });
});

afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await sandbox?.close();
  await github?.close();
});

it("a PR's unknown version: its comment says not deployed, and to fix the version and push", async () => {
  const run = await runMainStep({
    eventName: 'pull_request',
    event: pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 }),
    inputs: { ledger: 'github', 'max-wait': '1m' },
    config: fraudCanaryConfig('{ type: canary, steps: [10, 50, 100], step-duration: 30s, interval: 1s }'),
    githubUrl: github.url,
    env: { SANDBOX_URL: sandbox.url, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
  });
  // No verdict on the model: the run stopped on input the platform refused (`failed` is for a bad model).
  expect(run.outputs.decision).toBe('error');
  const [comment] = github.comments(7);
  const body = (comment?.body ?? '').replaceAll(sandbox.url, '<sandbox>');
  const said = `sandbox fraud-detector at <sandbox> refused: canary.version: unknown version "v9" of model fraud-detector; available: v1, v2, v3, v4; use a version the sandbox has, or add its artifact fraud-detector/v9.json to the sandbox's models directory`;
  expect(body).toContain('❌ Not deployed: the platform refused the change');
  expect(body).toContain(
    `fraud-detector v9 was not deployed and got no traffic: the platform refused the switch to 10% of live traffic: ${said}; the same request gets the same answer: correct the version (or the release config) the platform refused, then push a new commit to analyse again`,
  );
  expect(body).toContain(`| step 1 of 3 | 0% (asked 10%) |`);
  expect(body).toContain(`| 0s | refused: ${said} |`);
  expect(body).not.toMatch(/rolled back|an empty one/i);
}, 60_000);
