import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub, FakePullRequestFile } from '../support/fake-github/server.js';
import { fraudCanaryConfig, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// A PR's `pull_request.base.sha` is the base branch's tip, not where the PR branched from
// (actions/runner#1689). Here the PR branched at sha(1) (fraud-detector v1); main then moved the
// model to v3 (sha(2)) and serves v3; the PR (head sha(3)) edits only another key of the same
// file, so merging keeps v3. What the PR changes is its head against the merge base: no model.
// Before, the plan said "v3 → v1" and the job gave the OLD model v1 canary traffic.
// Main step from src/, against the GitHub stand-in (its commit graph seeded) and the sandbox.
const FILE = 'models/fraud.yaml';
const CONFIG = fraudCanaryConfig(
  '{ type: canary, steps: [50], step-duration: 30s, min-requests: 40, interval: 250ms }',
);
const FORK_POINT = sha(1);
const MAIN_TIP = sha(2);
const STALE_HEAD = sha(3);

let github: FakeGitHub;
let sandbox: Sandbox;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v3', 6));
  github.setFile(FORK_POINT, FILE, 'version: v1\nowner: a\n');
  github.setFile(MAIN_TIP, FILE, 'version: v3\nowner: a\n');
  github.setFile(STALE_HEAD, FILE, 'version: v1\nowner: b\n');
  github.setParents(MAIN_TIP, [FORK_POINT]);
  github.setParents(STALE_HEAD, [FORK_POINT]);
});

afterAll(async () => {
  await sandbox?.close();
  await github?.close();
});

/** The main step on PR #12 (base: main's tip), with `inputs` (a release job unless `command: plan`). */
function step(
  files: FakePullRequestFile[],
  inputs: Record<string, string> = {},
  closed?: { merged: boolean },
  head = STALE_HEAD,
) {
  github.setPullRequest(12, { baseSha: MAIN_TIP, headSha: head, files });
  const shas = { base: MAIN_TIP, head };
  return runMainStep({
    eventName: 'pull_request',
    event: closed
      ? pullRequestEvent('closed', shas, { number: 12, merged: closed.merged })
      : pullRequestEvent('opened', shas, { number: 12 }),
    inputs: { ledger: 'github', 'max-wait': '1m', ...inputs },
    config: CONFIG,
    githubUrl: github.url,
    env: { SANDBOX_URL: sandbox.url, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
  });
}

const touched = [{ filename: FILE, status: 'modified' as const }];
/** Over GitHub's 3000-file list: every version file is read, the PR never touching this one. */
const many = Array.from({ length: 3001 }, (_, i) => ({
  filename: `docs/page-${i}.md`,
  status: 'added' as const,
}));

const serving = () => fraudServing(sandbox);

describe('a PR on a stale branch that edits another key of the version file', () => {
  it('command: plan has no model to release', async () => {
    const plan = await step(touched, { command: 'plan' });
    expect(plan.error).toBeUndefined();
    expect(plan.outputs['has-models']).toBe('false');
    expect(plan.log).not.toMatch(/v3 → v1/);
  });

  it('its release job gives the old model no traffic', async () => {
    const before = await serving();
    const job = await step(touched);
    expect(job.error).toBeUndefined();
    expect(job.outputs.decision).toBe('skipped');
    expect(github.deployments()).toEqual([]);
    expect(await serving()).toEqual(before);
  });

  it('past 3000 files, the plan still has no model to release', async () => {
    const plan = await step(many, { command: 'plan' });
    expect(plan.error).toBeUndefined();
    expect(plan.outputs['has-models']).toBe('false');
  });

  it('its merge job starts nothing', async () => {
    const plan = await step(touched, { command: 'plan' }, { merged: true });
    expect(plan.outputs['has-models']).toBe('false');
    const job = await step(touched, {}, { merged: true });
    expect(job.error).toBeUndefined();
    expect(github.deployments()).toEqual([]);
  });

  it('a stale PR that does set a new version releases that one', async () => {
    const head = sha(4);
    github.setFile(head, FILE, 'version: v2\nowner: a\n');
    github.setParents(head, [FORK_POINT]);
    const plan = await step(touched, { command: 'plan' }, undefined, head);
    expect(plan.error).toBeUndefined();
    expect(plan.outputs['has-models']).toBe('true');
    expect(plan.outputs.matrix).toContain('fraud-detector');
  });

  it('stops, deploying nothing, when GitHub cannot say where the PR branched', async () => {
    const before = await serving();
    github.failNext('GET', '/repos/{owner}/{repo}/compare/{basehead}', 404);
    const job = await step(touched);
    expect(job.outputs.decision).toBe('error');
    expect(job.error).toMatch(
      /^cannot tell which commit the PR's head \w{7} branched from on its base \w{7}: comparing them failed \(GitHub answered 404 .*re-run the job/,
    );
    expect(github.deployments()).toEqual([]);
    expect(await serving()).toEqual(before);
  });

  it('asks GitHub where the PR branched from once per run, and speaks only the documented API', () => {
    expect(github.requestCount('GET', '/repos/{owner}/{repo}/compare/{basehead}')).toBe(7);
    expect(github.violations).toEqual([]);
  });
});
