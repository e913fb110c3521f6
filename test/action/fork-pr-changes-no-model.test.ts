import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub, FakePullRequestFile } from '../support/fake-github/server.js';
import { FRAUD_ON_SANDBOX, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// Most fork PRs change no model (a typo in the README): like any such PR they get no comment and
// no notice; the "comes from a fork" note is for a fork PR that changes a model's version. Main
// step from src/, against the GitHub stand-in and the sandbox (fraud-detector serves v1).
const NO_CHANGE =
  "no model's declared version changed: the PR touches none of the version files the config watches (models/fraud.yaml)";
// The fork's own config, which allows forks: never read, the base's config judges the PR.
const READ_ONLY = { message: 'Resource not accessible by integration' };
const FORK_CONFIG = 'version: 1\nallow-forks: true\nmodels: {}\n';

let sandbox: Sandbox;
let github: FakeGitHub;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1'));
});

afterAll(async () => {
  expect(github.violations).toEqual([]);
  await sandbox?.close();
  await github?.close();
});

/** Fork PR `number` from sha(number * 10) to the next commit, where fraud.yaml declares `head`. */
function forkPullRequest(
  number: number,
  trigger: 'pull_request' | 'pull_request_target',
  head: { version: string; files: FakePullRequestFile[] },
) {
  const shas = { base: sha(number * 10), head: sha(number * 10 + 1) };
  github.setFile(shas.base, 'models/fraud.yaml', 'version: v1\n');
  github.setFile(shas.head, 'models/fraud.yaml', `version: ${head.version}\n`);
  github.setFile(shas.head, '.github/model-gate.yml', FORK_CONFIG);
  github.setPullRequest(number, {
    baseSha: shas.base,
    headSha: shas.head,
    files: head.files,
    headRepoFullName: 'a-stranger/Hello-World',
  });
  github.resetRequests();
  return runMainStep({
    eventName: trigger,
    event: pullRequestEvent('opened', shas, { number, fork: true }),
    inputs: { ledger: 'github' },
    config: FRAUD_ON_SANDBOX,
    githubUrl: github.url,
    env: { SANDBOX_URL: sandbox.url, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
  });
}

const README: FakePullRequestFile[] = [
  { filename: 'README.md', status: 'modified' },
  { filename: '.github/model-gate.yml', status: 'modified' },
];
const VERSION_FILE: FakePullRequestFile[] = [{ filename: 'models/fraud.yaml', status: 'modified' }];

/** The paths of the files the run read through the contents API. */
const contentsRead = () =>
  github.requests
    .filter((r) => r.operationId === 'repos/get-content')
    .map((r) => decodeURIComponent(r.path.replace(/^.*?\/contents\//, '')));

describe('a fork PR that changes no model version', () => {
  it('on pull_request_target: no comment, the log and summary say why, as for any PR', async () => {
    const run = await forkPullRequest(7, 'pull_request_target', { version: 'v1', files: README });
    expect(run.error).toBeUndefined();
    expect(run.outputs).toMatchObject({ decision: 'skipped', models: '[]' });
    expect(run.outputs['comment-url']).toBeUndefined();
    expect(github.comments(7)).toEqual([]);
    expect(run.log).toContain(`model-gate: ℹ️ Nothing to release\n  ${NO_CHANGE}\n`);
    expect(run.report).toContain(`- ${NO_CHANGE}\n`);
    expect(run.report).not.toContain('comes from a fork');
    // Of the fork's files, only whether its head still has the version file (a typo in source.file
    // is warned of): never its config.
    expect(contentsRead()).toEqual(['models/fraud.yaml']);
    expect(github.writeCount()).toBe(0);
  });

  it('on pull_request (a read-only token): no notice, no write tried, the step passes', async () => {
    // GitHub refuses every write of a fork's pull_request run.
    for (const method of ['POST', 'PATCH', 'DELETE'])
      github.failNext(method, /^\/repos\//, 403, 20, {}, READ_ONLY);
    const run = await forkPullRequest(8, 'pull_request', { version: 'v1', files: README }).finally(() =>
      github.clearFaults(),
    );
    expect(run.exitCode).toBeUndefined();
    expect(run.outputs).toMatchObject({ decision: 'skipped', models: '[]' });
    expect(run.log).not.toContain('fork PR not deployed');
    expect(run.log).toContain(NO_CHANGE);
    expect(github.writeCount()).toBe(0);
  });

  it('touching the version file but not its version: still quiet', async () => {
    const run = await forkPullRequest(9, 'pull_request_target', { version: 'v1', files: VERSION_FILE });
    expect(github.comments(9)).toEqual([]);
    expect(run.report).not.toContain('comes from a fork');
    expect(contentsRead()).toEqual(['models/fraud.yaml', 'models/fraud.yaml']);
  });
});

describe('a fork PR that changes a model version', () => {
  it('gets the fork note, deploys nothing, and is judged by the base config, not its own', async () => {
    const run = await forkPullRequest(11, 'pull_request_target', { version: 'v2', files: VERSION_FILE });
    expect(run.outputs).toMatchObject({ decision: 'skipped', models: '[]' });
    const comments = github.comments(11);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain(
      'this pull request comes from a fork, and the config does not allow deploying fork code (allow-forks: true)',
    );
    // Its version file at base and head, read as data; its own config (allow-forks: true) never.
    expect(contentsRead()).toEqual(['models/fraud.yaml', 'models/fraud.yaml']);
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
  });
});
