import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub, FakePullRequestFile } from '../support/fake-github/server.js';
import { FRAUD_ON_SANDBOX, runMainStep, startFraudWorld, UNREACHABLE_CHURN } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// The README's workflow runs on every pull request: most change no model's version. Such a PR
// gets no model-gate comment (noise on every PR), but the log and the job summary say why; a PR
// that has one already (an earlier head did something) sees it updated. Main step from src/,
// against the GitHub stand-in and the sandbox (fraud-detector serves v1).
// Its metrics cannot be reached: nothing here is measured.
const METRICS_UNREACHABLE = 'metrics: { type: sandbox, url: "http://127.0.0.1:1" }';
const CONFIG = `${FRAUD_ON_SANDBOX.replace(/metrics: \{ type: sandbox, url: "[^"]*" \}/, METRICS_UNREACHABLE)}${UNREACHABLE_CHURN}`;
const NONE_WATCHED =
  "no model's declared version changed: the PR touches none of the version files the config watches (models/fraud.yaml, models/churn.yaml)";

let github: FakeGitHub;
let sandbox: Sandbox;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1'));
  for (const n of [1, 2]) {
    github.setFile(sha(n), 'models/fraud.yaml', 'version: v1\nowner: risk\n');
    github.setFile(sha(n), 'models/churn.yaml', 'version: "2.0"\n');
  }
  github.setFile(sha(2), 'models/fraud.yaml', 'version: v1\nowner: fraud-team\n');
});

afterAll(async () => {
  expect(github.violations).toEqual([]);
  await github?.close();
  await sandbox?.close();
});

/** A run of the main step on pull request `number`, moved from sha(base) to sha(head). */
function onPullRequest(
  number: number,
  action: 'opened' | 'synchronize' | 'closed',
  shas: { base: number; head: number },
  files: FakePullRequestFile[],
  inputs: Record<string, string> = {},
) {
  github.setPullRequest(number, { baseSha: sha(shas.base), headSha: sha(shas.head), files });
  return runMainStep({
    eventName: 'pull_request',
    event: pullRequestEvent(action, { base: sha(shas.base), head: sha(shas.head) }, { number }),
    inputs: { ledger: 'github', ...inputs },
    config: CONFIG,
    githubUrl: github.url,
    env: { SANDBOX_URL: sandbox.url, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
  });
}

const README: FakePullRequestFile[] = [{ filename: 'README.md', status: 'modified' }];

describe('a pull request that changes no declared version', () => {
  it('touching no version file: no comment, and the log and summary say why in one sentence', async () => {
    const run = await onPullRequest(11, 'opened', { base: 1, head: 1 }, README);
    expect(run.error).toBeUndefined();
    expect(run.outputs).toMatchObject({ decision: 'skipped', models: '[]' });
    expect(run.outputs['comment-url']).toBeUndefined();
    expect(github.comments(11)).toEqual([]);
    expect(run.log).toContain(`model-gate: ℹ️ Nothing to release\n  ${NONE_WATCHED}\n`);
    expect(run.report).toContain(`- ${NONE_WATCHED}\n`);
  });

  it('touching a version file but not its version: says so, still without a comment', async () => {
    const files: FakePullRequestFile[] = [{ filename: 'models/fraud.yaml', status: 'modified' }];
    const run = await onPullRequest(12, 'opened', { base: 1, head: 2 }, files);
    expect(github.comments(12)).toEqual([]);
    expect(run.log).toContain(
      "  no model's declared version changed: the PR touches models/fraud.yaml, but not the version declared there\n",
    );
  });

  it('in a matrix job of one model: says so of that model', async () => {
    const run = await onPullRequest(15, 'opened', { base: 1, head: 1 }, README, { model: 'churn' });
    expect(github.comments(15)).toEqual([]);
    expect(run.log).toContain(
      '  churn: its declared version did not change: the PR does not touch its version file (models/churn.yaml)\n',
    );
  });

  it('closed with no release recorded: no comment either', async () => {
    const run = await onPullRequest(13, 'closed', { base: 1, head: 1 }, README);
    expect(run.error).toBeUndefined();
    expect(run.outputs.decision).toBe('skipped');
    expect(github.comments(13)).toEqual([]);
    expect(run.log).toContain('  no release of PR #13 is recorded\n');
  });

  it('with a model-gate comment from an earlier head: it is updated to say why, and its URL is output', async () => {
    // The first head moves fraud-detector from v0 to v1, which already serves: the comment says so.
    github.setFile(sha(3), 'models/fraud.yaml', 'version: v0\n');
    github.setFile(sha(4), 'models/fraud.yaml', 'version: v1\n');
    const files: FakePullRequestFile[] = [{ filename: 'models/fraud.yaml', status: 'modified' }];
    const first = await onPullRequest(14, 'opened', { base: 3, head: 4 }, files);
    expect(first.outputs.decision).toBe('skipped');
    const [comment] = github.comments(14);
    expect(comment?.body).toContain('fraud-detector: v1 is already the stable version');
    // The next head puts v0 back: the PR no longer touches any version file.
    github.setFile(sha(5), 'models/fraud.yaml', 'version: v0\n');
    const run = await onPullRequest(14, 'synchronize', { base: 3, head: 5 }, README);
    expect(github.comments(14)).toHaveLength(1);
    const body = github.comments(14)[0]?.body ?? '';
    expect(body).toContain('## model-gate: ℹ️ Nothing to release');
    expect(body).toContain(NONE_WATCHED);
    expect(body).not.toContain('already the stable version');
    expect(run.outputs['comment-url']).toBe(comment?.htmlUrl);
  });
});
