import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { FRAUD_ON_SANDBOX, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent, pushEvent } from '../support/payloads.js';

// A workflow that runs on pull_request and schedule as well as workflow_dispatch, with `command`
// given as a fixed value instead of the dispatch's input: each PR opened (each tick) rolled
// production back. A command is refused on an event it does not run on, before anything changes.
// Main step from src/, the sandbox serving fraud-detector v2, GitHub's stand-in as the ledger.

let sandbox: Sandbox;
let github: FakeGitHub;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v2'));
  github.setFile(sha(1), 'models/fraud.yaml', 'version: v2\n');
  github.setFile(sha(2), 'models/fraud.yaml', 'version: v2\n');
  github.setPullRequest(7, {
    baseSha: sha(1),
    headSha: sha(2),
    files: [{ filename: 'README.md', status: 'modified' }],
  });
});

afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await sandbox?.close();
  await github?.close();
});

const step = (eventName: string, event: unknown, inputs: Record<string, string>) =>
  runMainStep({
    eventName,
    event,
    inputs: { ledger: 'github', model: 'fraud-detector', ...inputs },
    config: FRAUD_ON_SANDBOX,
    githubUrl: github.url,
    env: { SANDBOX_URL: sandbox.url, GITHUB_SHA: sha(2), MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
  });

const opened = pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 });
const tick = { schedule: '*/15 * * * *' };

describe('a command given on an event it does not run on', () => {
  const push = pushEvent({ before: sha(1), after: sha(2) });
  it.each([
    { eventName: 'pull_request', event: opened, command: 'rollback', runsOn: 'workflow_dispatch' },
    { eventName: 'pull_request', event: opened, command: 'promote', runsOn: 'workflow_dispatch' },
    { eventName: 'schedule', event: tick, command: 'abort', runsOn: 'workflow_dispatch' },
    { eventName: 'schedule', event: tick, command: 'rollback', runsOn: 'workflow_dispatch' },
    { eventName: 'workflow_dispatch', event: {}, command: 'release', runsOn: 'pull_request' },
  ])(
    '$eventName with command: $command is refused, naming where it runs; nothing changes',
    async ({ eventName, event, command, runsOn }) => {
      github.resetRequests();
      const run = await step(eventName, event, { command, 'to-version': 'v1' });

      expect(run.error).toBe(
        `command: ${command} runs on ${runsOn} (this is a ${eventName} event): leave command empty on ${eventName}`,
      );
      expect(run.outputs.decision).toBe('error');
      expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v2' } });
      expect(github.writeCount()).toBe(0);
      expect(github.deployments()).toEqual([]);
    },
  );

  it('on a push, which runs only plan, the message says to set it', async () => {
    const run = await step('push', push, { command: 'rollback', 'to-version': 'v1' });
    expect(run.error).toBe(
      'command: rollback runs on workflow_dispatch (this is a push event): set command: plan on push',
    );
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v2' } });
  });

  it('on pull_request_target the message names that event', async () => {
    const run = await step('pull_request_target', opened, { command: 'rollback', 'to-version': 'v1' });
    expect(run.error).toBe(
      'command: rollback runs on workflow_dispatch (this is a pull_request_target event): leave command empty on pull_request_target',
    );
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v2' } });
  });
});
