import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { FRAUD_ON_SANDBOX, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// A fork PR's run on `pull_request` gets a read-only token from GitHub: every write answers 403
// "Resource not accessible by integration". The main step, from src/, against the GitHub stand-in.
const CONFIG = FRAUD_ON_SANDBOX;
const READ_ONLY = { message: 'Resource not accessible by integration' };

let sandbox: Sandbox;
let github: FakeGitHub;
const serving = () => fraudServing(sandbox);

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1'));
});

afterAll(async () => {
  expect(github.violations).toEqual([]);
  await sandbox?.close();
  await github?.close();
});

/** A fork PR moving fraud-detector from v1 to v2, and its pull_request run. */
function forkPullRequest(number: number, config = CONFIG) {
  github.setFile(sha(number * 10), 'models/fraud.yaml', 'version: v1\n');
  github.setFile(sha(number * 10 + 1), 'models/fraud.yaml', 'version: v2\n');
  const shas = { base: sha(number * 10), head: sha(number * 10 + 1) };
  github.setPullRequest(number, {
    baseSha: shas.base,
    headSha: shas.head,
    files: [{ filename: 'models/fraud.yaml', status: 'modified' }],
    headRepoFullName: 'a-stranger/Hello-World',
  });
  return runMainStep({
    eventName: 'pull_request',
    event: pullRequestEvent('opened', shas, { number, fork: true }),
    inputs: { ledger: 'github' },
    config,
    githubUrl: github.url,
    env: { SANDBOX_URL: sandbox.url, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
  });
}

describe('a fork PR on pull_request, whose token is read-only', () => {
  it('not allowed: the step passes, skipped, and the summary and a notice say why no comment says so', async () => {
    github.failNext('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 403, 1, {}, READ_ONLY);
    const run = await forkPullRequest(7);
    expect(run.error).toBeUndefined();
    expect(run.exitCode).toBeUndefined();
    expect(run.outputs).toMatchObject({ decision: 'skipped', models: '[]' });
    expect(run.outputs['comment-url']).toBeUndefined();
    expect(github.comments(7)).toEqual([]);
    const notice = /^::notice title=model-gate%3A fork PR not deployed::(.*)$/m.exec(run.log)?.[1] ?? '';
    // The report escapes markdown (pull\_request): read as the summary shows it.
    for (const text of [notice, run.report.replace(/\\(.)/g, '$1')]) {
      expect(text).toContain('comes from a fork');
      expect(text).toContain('allow-forks: true');
      expect(text).toContain(
        "No comment says so on the PR: a fork's pull_request run gets a read-only token",
      );
      expect(text).toContain('run model-gate on pull_request_target instead');
    }
    expect(notice).toContain('GitHub answered 403 to POST');
    // No workflow permission gives a fork's pull_request run a token that writes.
    expect(notice).not.toContain('the token lacks');
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
  });

  it('allowed: the step fails before deploying, saying the token cannot write and what to do', async () => {
    // Read-only: the run's first write (the claim of the canary slot) is refused, and it stops there.
    github.failNext('POST', /^\/repos\//, 403, 1, {}, READ_ONLY);
    const run = await forkPullRequest(8, CONFIG.replace('models:\n', 'allow-forks: true\nmodels:\n'));
    expect(run.exitCode).toBe(1);
    expect(run.error).toMatch(
      /^model-gate cannot release this fork PR: on pull_request GitHub gives a fork's run a read-only token/,
    );
    expect(run.error).toContain('nothing was deployed');
    expect(run.error).toContain('run model-gate on pull_request_target instead');
    expect(run.error).toContain('or set allow-forks: false');
    expect(run.error).not.toContain('the token lacks');
    expect(run.error).not.toMatch(/^model-gate stopped: GitHub answered 403/);
    expect(run.outputs.decision).toBe('error');
    expect(github.comments(8)).toEqual([]);
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
  });
});
