import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import {
  FRAUD_ON_SANDBOX,
  fraudServing,
  runMainStep,
  startFraudWorld,
  UNREACHABLE_CHURN,
} from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent, workflowDispatchEvent } from '../support/payloads.js';

// The action's main step, run in this process from src/ the way the runner runs it (inputs as
// INPUT_*, the event in a file, outputs read back from GITHUB_OUTPUT): every run that ends sets
// `decision` and `models`, so a workflow step can branch on them, an error included.
const CONFIG = `${FRAUD_ON_SANDBOX}${UNREACHABLE_CHURN}`;

let sandbox: Sandbox;
let github: FakeGitHub;
const serving = () => fraudServing(sandbox);

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1'));
});

afterAll(async () => {
  await sandbox?.close();
  await github?.close();
});

/** Run the main step on `event` with `inputs` (a local ledger file unless `ledger` is given). */
async function mainStep(
  eventName: string,
  event: unknown,
  inputs: Record<string, string>,
  config = CONFIG,
  extraEnv: Record<string, string> = {},
): Promise<{ outputs: Record<string, string>; error?: string }> {
  const step = await runMainStep({
    eventName,
    event,
    inputs,
    config,
    githubUrl: github.url,
    env: { SANDBOX_URL: sandbox.url, ...extraEnv },
  });
  expect(step.exitCode === 1).toBe(step.error !== undefined);
  return step.error === undefined ? { outputs: step.outputs } : { outputs: step.outputs, error: step.error };
}

const dispatch = (inputs: Record<string, string>) =>
  mainStep('workflow_dispatch', workflowDispatchEvent(inputs), inputs);

describe('a run that stops on an error still sets decision and models', () => {
  it('a rollback to a hostile to-version: decision error, models [], nothing deployed', async () => {
    const run = await dispatch({
      command: 'rollback',
      model: 'fraud-detector',
      'to-version': '1.2; rm -rf /',
    });
    expect(run.error).toMatch(/^input to-version: "1\.2; rm -rf \/" is not a valid version /);
    expect(run.outputs).toEqual({
      decision: 'error',
      models: '[]',
      'report-path': expect.stringMatching(/model-gate-report\.md$/),
      // Set before the inputs are read: a job's upload-artifact step given an empty path would fail too.
      'observations-path': expect.stringMatching(/model-gate\/observations$/),
    });
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
  });

  it('a plan for a dispatch rollback without a model: decision error, not every model in the matrix', async () => {
    const event = workflowDispatchEvent({ command: 'rollback', model: '' });
    const run = await mainStep('workflow_dispatch', event, { command: 'plan', model: '' });
    expect(run.error).toContain('command rollback: set the model input to one of fraud-detector, churn');
    expect(run.outputs).toEqual({
      decision: 'error',
      models: '[]',
      'report-path': expect.stringMatching(/model-gate-report\.md$/),
    });
    // A status or tick still fans out to every model.
    const status = workflowDispatchEvent({ command: 'status', model: '' });
    const planned = await mainStep('workflow_dispatch', status, { command: 'plan', model: '' });
    expect(JSON.parse(planned.outputs.matrix ?? '{}')).toEqual({
      include: [{ model: 'fraud-detector' }, { model: 'churn' }],
    });
  });

  it('a command naming an unknown model: decision error, models []', async () => {
    const run = await dispatch({ command: 'abort', model: 'fraud' });
    expect(run.error).toContain('model "fraud" is not in the config; known models: fraud-detector, churn');
    expect(run.outputs).toEqual({
      decision: 'error',
      models: '[]',
      'report-path': expect.stringMatching(/model-gate-report\.md$/),
      // Set before the command ran: a job that stops midway still names the looks it logged.
      'observations-path': expect.stringMatching(/model-gate\/observations$/),
    });
  });

  it('a rollback whose serving platform does not answer: decision error, models []', async () => {
    const run = await dispatch({ command: 'rollback', model: 'churn', 'to-version': 'v1' });
    expect(run.error).toContain('http://127.0.0.1:1');
    expect(run.outputs).toEqual({
      decision: 'error',
      models: '[]',
      'report-path': expect.stringMatching(/model-gate-report\.md$/),
      // Set before the command ran: a job that stops midway still names the looks it logged.
      'observations-path': expect.stringMatching(/model-gate\/observations$/),
    });
  });

  it('a pull request run on a bad config: decision error, models [], as a dispatch run', async () => {
    const bad = CONFIG.replace('steps: [10, 50]', 'steps: [10, 150]');
    const event = pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 3 });
    const run = await mainStep('pull_request', event, {}, bad);
    expect(run.error).toContain('defaults.strategy.steps[1]: expected a number between 0 and 100, got 150');
    expect(run.outputs).toEqual({
      decision: 'error',
      models: '[]',
      'report-path': expect.stringMatching(/model-gate-report\.md$/),
      'observations-path': expect.stringMatching(/model-gate\/observations$/),
    });
  });

  it('a decided run whose PR comment GitHub refuses: the decision stands in the outputs, and the step fails', async () => {
    // The PR moves fraud-detector to v1, which already serves: nothing to release.
    github.setFile(sha(11), 'models/fraud.yaml', 'version: v0\n');
    github.setFile(sha(12), 'models/fraud.yaml', 'version: v1\n');
    github.setPullRequest(4, {
      baseSha: sha(11),
      headSha: sha(12),
      files: [{ filename: 'models/fraud.yaml', status: 'modified' }],
    });
    // The token may not write comments (a workflow without pull-requests: write).
    github.failNext('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 403, 1);
    const event = pullRequestEvent('opened', { base: sha(11), head: sha(12) }, { number: 4 });
    const run = await mainStep('pull_request', event, { ledger: 'github' });
    expect(run.error).toMatch(/403/);
    expect(run.outputs.decision).toBe('skipped');
    expect(JSON.parse(run.outputs.models ?? '')).toEqual([]);
    expect(github.violations).toEqual([]);
  });

  it('a pull request run that GitHub stops mid-run: decision error, and models names the release in flight', async () => {
    // A first run writes the PR's comment (nothing to release: v1 already serves).
    github.setFile(sha(21), 'models/fraud.yaml', 'version: v0\n');
    github.setFile(sha(22), 'models/fraud.yaml', 'version: v1\n');
    github.setFile(sha(23), 'models/fraud.yaml', 'version: v2\n');
    const files = [{ filename: 'models/fraud.yaml', status: 'modified' as const }];
    github.setPullRequest(5, { baseSha: sha(21), headSha: sha(22), files });
    const first = await mainStep(
      'pull_request',
      pullRequestEvent('opened', { base: sha(21), head: sha(22) }, { number: 5 }),
      { ledger: 'github' },
    );
    expect(first.outputs.decision).toBe('skipped');
    // A push moves it to v2: the release is recorded, then reading the comment back is refused.
    github.setPullRequest(5, { baseSha: sha(21), headSha: sha(23), files });
    github.failNext('GET', '/repos/{owner}/{repo}/issues/comments/{comment_id}', 403, 1);
    const event = pullRequestEvent('synchronize', { base: sha(21), head: sha(23) }, { number: 5 });
    const run = await mainStep('pull_request', event, { ledger: 'github' });
    expect(run.error).toMatch(/^model-gate stopped: GitHub answered 403/);
    expect(run.outputs.decision).toBe('error');
    expect(JSON.parse(run.outputs.models ?? '')).toEqual([
      {
        model: 'fraud-detector',
        from: 'v1',
        to: 'v2',
        pr: 5,
        status: 'analysing',
        reason: 'deploying the candidate',
      },
    ]);
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
  });

  it('a command target whose error echoes a secret: the error says *** in its place', async () => {
    const token = 'dpl_9f8e7d6c5b4a3210';
    const node = JSON.stringify(process.execPath);
    const read = JSON.stringify("console.error('+ curl -H token:' + process.argv[1]); process.exit(1)");
    const config = `${CONFIG}  scoring:
    source: { file: models/scoring.yaml, key: version }
    target: { type: command, apply: [${node}, -e, "0"], read: [${node}, -e, ${read}, "\${DEPLOY_TOKEN}"] }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;
    const inputs = { command: 'rollback', model: 'scoring', 'to-version': 'v1' };
    const run = await mainStep('workflow_dispatch', workflowDispatchEvent(inputs), inputs, config, {
      DEPLOY_TOKEN: token,
    });
    expect(run.error).toContain('+ curl -H token:***');
    expect(run.error).not.toContain(token);
    expect(run.outputs.decision).toBe('error');
  });
});
