import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { fraudCanaryConfig, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// A workflow whose `permissions:` leave one out: GitHub refuses the job token's request with 403
// "Resource not accessible by integration", which names no permission. The run says which one to
// add, and a write refused at every save of the release is warned about once. Main step from src/,
// against the sandbox (with live traffic) and the GitHub stand-in, each test on a fresh pair.
const CONFIG = fraudCanaryConfig(
  '{ type: canary, steps: [10, 50], step-duration: 30s, min-requests: 40, interval: 250ms }',
);
const NOT_ACCESSIBLE = {
  message: 'Resource not accessible by integration',
  documentation_url: 'https://docs.github.com/rest',
  status: '403',
};

let sandbox: Sandbox;
let github: FakeGitHub;
let traffic: TrafficGenerator;

beforeEach(async () => {
  ({ sandbox, github } = await startFraudWorld('v1', 6));
  github.setFile(sha(1), 'models/fraud.yaml', 'version: v1\n');
  github.setFile(sha(2), 'models/fraud.yaml', 'version: v2\n');
  github.setPullRequest(7, {
    baseSha: sha(1),
    headSha: sha(2),
    files: [{ filename: 'models/fraud.yaml', status: 'modified' }],
  });
  traffic = startTraffic({ url: sandbox.url, model: 'fraud-detector', rps: 200, seed: 10 });
});

afterEach(async () => {
  traffic?.stop();
  expect(github?.violations).toEqual([]);
  await sandbox?.close();
  await github?.close();
});

/** PR #7's job (fraud-detector v1 -> v2), GitHub refusing every `method` request to `path` for want of permission. */
function prJobWithout(method: string, path: string) {
  github.failNext(method, path, 403, 1000, {}, NOT_ACCESSIBLE);
  return runMainStep({
    eventName: 'pull_request',
    event: pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 }),
    inputs: { ledger: 'github', 'max-wait': '2m' },
    config: CONFIG,
    githubUrl: github.url,
    env: { SANDBOX_URL: sandbox.url, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
  });
}

const warnings = (log: string) => log.split('\n').filter((line) => line.startsWith('::warning'));

describe('a PR job whose token lacks a permission', () => {
  it('without pull-requests: write, the error names it', async () => {
    const run = await prJobWithout('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments');
    expect(run.outputs.decision).toBe('error');
    expect(run.error).toMatch(
      /^model-gate stopped: GitHub answered 403 to POST .*\/issues\/7\/comments: Resource not accessible by integration \(the token lacks pull-requests: write: add it to the workflow's permissions\)$/,
    );
  }, 60_000);

  it('without deployments: write, the error names it', async () => {
    const run = await prJobWithout('POST', '/repos/{owner}/{repo}/deployments');
    expect(run.outputs.decision).toBe('error');
    expect(run.error).toMatch(
      /GitHub answered 403 to POST .*\/deployments: Resource not accessible by integration \(the token lacks deployments: write: add it to the workflow's permissions\)/,
    );
  }, 60_000);

  it('without statuses: write, it still ends ready, warning once that names the permission', async () => {
    const run = await prJobWithout('POST', '/repos/{owner}/{repo}/statuses/{sha}');
    expect([run.error, run.outputs.decision]).toEqual([undefined, 'ready']);
    const refused = github.requests.filter((r) => r.method === 'POST' && r.template?.includes('/statuses/'));
    expect(refused.length).toBeGreaterThan(1);
    const said = warnings(run.log).filter((line) => line.includes('commit status'));
    expect(said).toEqual([
      expect.stringMatching(
        new RegExp(
          `^::warning::could not set the commit status of fraud-detector: GitHub answered 403 to POST .*/statuses/${sha(2)}: Resource not accessible by integration \\(the token lacks statuses: write: add it to the workflow's permissions\\) \\(${refused.length} times\\)$`,
        ),
      ),
    ]);
  }, 60_000);
});
