import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { FRAUD_ON_SANDBOX, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent, workflowDispatchEvent } from '../support/payloads.js';

// What a workflow_dispatch command tells the workflow and the person who ran it: `models` holds
// one object per model acted on (a rollback included), `comment-url` the PR comment it wrote,
// and the step log what happened. Main step from src/, the sandbox serving fraud-detector v2,
// GitHub's stand-in as the ledger.
const CONFIG = FRAUD_ON_SANDBOX;

let sandbox: Sandbox;
let github: FakeGitHub;
const serving = () => fraudServing(sandbox);

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v2'));
  github.setFile(sha(1), 'models/fraud.yaml', 'version: v2\n');
});

beforeEach(async () => {
  await requestJson('PUT', `${sandbox.url}/admin/models/fraud-detector/traffic`, {
    stable: { version: 'v2' },
  });
});

afterAll(async () => {
  expect(github.violations).toEqual([]);
  await sandbox?.close();
  await github?.close();
});

const step = (eventName: string, event: unknown, inputs: Record<string, string>) =>
  runMainStep({
    eventName,
    event,
    inputs: { ledger: 'github', ...inputs },
    config: CONFIG,
    githubUrl: github.url,
    // The commit a dispatch run's Deployments (its rollbacks) name.
    env: { SANDBOX_URL: sandbox.url, GITHUB_SHA: sha(1), MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
  });

const dispatch = (inputs: Record<string, string>) =>
  step('workflow_dispatch', workflowDispatchEvent(inputs), { model: 'fraud-detector', ...inputs });

/** PR `number` moves fraud-detector from v2 to `to`; one tick of its run puts the candidate in flight. */
async function inFlight(number: number, to: string) {
  const shas = { base: sha(number * 10), head: sha(number * 10 + 1) };
  github.setFile(shas.base, 'models/fraud.yaml', 'version: v2\n');
  github.setFile(shas.head, 'models/fraud.yaml', `version: ${to}\n`);
  github.setPullRequest(number, {
    baseSha: shas.base,
    headSha: shas.head,
    files: [{ filename: 'models/fraud.yaml', status: 'modified' }],
  });
  const run = await step('pull_request', pullRequestEvent('opened', shas, { number }), { mode: 'tick' });
  expect(run.outputs.decision).toBe('analysing');
  expect(await serving()).toMatchObject({ canary: { version: to } });
  return github.comments(number)[0]?.htmlUrl;
}

const models = (run: { outputs: Record<string, string> }) => JSON.parse(run.outputs.models ?? '');

describe('workflow_dispatch commands', () => {
  it('rollback: models names the rollback, and the log says what serves now', async () => {
    const run = await dispatch({ command: 'rollback', 'to-version': 'v1' });
    expect(run.error).toBeUndefined();
    expect(run.outputs.decision).toBe('rolled-back');
    expect(models(run)).toEqual([
      {
        model: 'fraud-detector',
        from: 'v2',
        to: 'v1',
        status: 'rolled-back',
        reason: 'rolled back by @octocat via workflow_dispatch',
      },
    ]);
    expect(run.log).toContain(
      'model-gate: ↩️ Rolled back by command\n  fraud-detector now serves v1 (was v2): rolled back by @octocat via workflow_dispatch\n',
    );
    // No PR introduced v2 through model-gate: no comment to write.
    expect(run.outputs['comment-url']).toBeUndefined();
  });

  it('rollback with a release in flight: one object for the model, and the URL of the comment it updated', async () => {
    const url = await inFlight(21, 'v3');
    const run = await dispatch({ command: 'rollback', 'to-version': 'v1' });
    expect(run.outputs.decision).toBe('rolled-back');
    expect(models(run)).toEqual([
      {
        model: 'fraud-detector',
        from: 'v2',
        to: 'v1',
        pr: 21,
        status: 'rolled-back',
        reason: 'rolled back by @octocat via workflow_dispatch; the candidate v3 of PR #21 was withdrawn',
      },
    ]);
    expect(url).toBeDefined();
    expect(run.outputs['comment-url']).toBe(url);
    expect(github.comments(21)[0]?.body).toContain(
      'v3 was withdrawn: rolled back to v1 by @\u200boctocat via workflow\\_dispatch',
    );
    expect(run.log).toContain(
      '  fraud-detector now serves v1 (was v2): rolled back by @octocat via workflow_dispatch\n',
    );
    expect(run.log).toContain(
      '  fraud-detector v3 was withdrawn: rolled back to v1 by @octocat via workflow_dispatch; v1 serves\n',
    );
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
  });

  it('abort: the URL of the comment it updated, and the log says what was withdrawn', async () => {
    const url = await inFlight(22, 'v4');
    const run = await dispatch({ command: 'abort' });
    expect(run.outputs.decision).toBe('aborted');
    expect(models(run)).toMatchObject([{ model: 'fraud-detector', from: 'v2', to: 'v4', status: 'aborted' }]);
    expect(run.outputs['comment-url']).toBe(url);
    expect(run.log).toContain(
      'model-gate: ⏹️ Withdrawn\n  fraud-detector v4 was withdrawn: aborted by @octocat via workflow_dispatch; v2 serves\n',
    );
    expect(await serving()).toEqual({ stable: { version: 'v2' } });
  });

  it('status: the log says what serves, and no comment is written', async () => {
    const run = await dispatch({ command: 'status' });
    expect(run.outputs.decision).toBe('skipped');
    expect(run.outputs['comment-url']).toBeUndefined();
    // Each test here puts v2 back by hand, so the ledger's last rollback no longer matches.
    expect(run.log).toContain(
      'model-gate: ℹ️ Status: nothing in flight\n  fraud-detector serves v2, yet the ledger',
    );
  });
});
