import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLEANUP_STATE } from '../../src/action/post.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runStep } from '../support/actions-runner.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { FRAUD_ON_SANDBOX, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';
import { workspaceWith } from '../support/platform-pass-through.js';

// A job cancelled after its first commit status ("v2: deploying the candidate", pending) and before
// the PR comment recorded its release or v2 got live traffic. The post step found v2 with no live
// traffic and only logged it: the status stayed pending, so a required check waited with a false
// description. Now the post step sets it to error, saying v2 got no live traffic and to re-run the
// job; the re-run (nothing on record refuses it) analyses the head. The post step is from src/ as its
// own process, given the state the main step saved; the platform a real sandbox serving v1 alone.
const MODEL = 'fraud-detector';
const FILE = 'models/fraud.yaml';
const shas = { base: sha(1), head: sha(2) };

let sandbox: Sandbox;
let github: FakeGitHub;
let workspace: string;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1'));
  workspace = await workspaceWith(FRAUD_ON_SANDBOX, 'model-gate-post-no-traffic-');
  github.setFile(shas.base, FILE, 'version: v1\n');
  github.setFile(shas.head, FILE, 'version: v2\n');
  github.setPullRequest(50, {
    baseSha: shas.base,
    headSha: shas.head,
    files: [{ filename: FILE, status: 'modified' }],
  });
});

afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await sandbox?.close();
  await github?.close();
});

const event = pullRequestEvent('opened', shas, { number: 50 });
const ourComments = () => github.comments(50).filter((c) => c.body.startsWith('<!-- model-gate report -->'));

describe('a job cancelled before its candidate got live traffic or a record', () => {
  it("sets the head's status to error, saying v2 got no live traffic and to re-run the job", async () => {
    const post = await runStep('post.js', {
      workspace,
      eventName: 'pull_request',
      event,
      env: { SANDBOX_URL: sandbox.url, GITHUB_API_URL: github.url, GITHUB_RUN_ID: '5050' },
      inputs: { 'github-token': 'ghs_fake_token' },
      state: {
        [CLEANUP_STATE]: JSON.stringify([{ model: MODEL, from: 'v1', to: 'v2', startedAt: Date.now() }]),
      },
      fromSource: true,
    });
    expect(post.code).toBe(0);
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
    expect(github.commitStatuses(shas.head).at(-1)).toMatchObject({
      state: 'error',
      context: `model-gate/${MODEL}`,
      description: 'v2 got no live traffic: the job stopped before its release was recorded; re-run the job',
    });
    // Nothing recorded: the PR has no comment of an aborted release that would refuse the re-run.
    expect(ourComments()).toEqual([]);

    const rerun = await runMainStep({
      eventName: 'pull_request',
      event,
      inputs: { ledger: 'github', mode: 'tick' },
      config: FRAUD_ON_SANDBOX,
      githubUrl: github.url,
      env: { SANDBOX_URL: sandbox.url, GITHUB_RUN_ID: '5050', GITHUB_RUN_ATTEMPT: '2' },
    });
    expect([rerun.error, rerun.outputs.decision]).toEqual([undefined, 'analysing']);
    expect(github.commitStatuses(shas.head).at(-1)?.state).toBe('pending');
  }, 60_000);
});
