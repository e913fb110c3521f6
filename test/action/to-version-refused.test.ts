import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { FRAUD_ON_SANDBOX, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { workflowDispatchEvent } from '../support/payloads.js';

// action.yml says every command but rollback refuses to-version; tick and plan used to ignore it
// (a dispatch of `command: tick, to-version: v1` ended skipped, no error, v2 still serving, while
// the engineer believed v1 was on its way back). One rule now refuses it for every command but
// rollback, before anything is asked or changed. Main step from src/, the sandbox serving
// fraud-detector v2, GitHub's stand-in as the ledger.

let sandbox: Sandbox;
let github: FakeGitHub;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v2'));
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

describe('to-version with a command that never read it', () => {
  it.each(['tick', 'plan'])(
    'workflow_dispatch with command: %s is refused, naming the input and what reads it',
    async (command) => {
      github.resetRequests();
      const inputs = { command, 'to-version': 'v1' };
      const run = await step('workflow_dispatch', workflowDispatchEvent(inputs), inputs);
      expect(run.error).toBe(
        `input to-version: only command: rollback reads it, and command is ${command}: remove to-version, or set command: rollback`,
      );
      expect([run.exitCode, run.outputs.decision]).toEqual([1, 'error']);
      expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v2' } });
      expect(github.writeCount()).toBe(0);
    },
  );

  it('on a schedule, where rollback does not run, the message does not suggest it', async () => {
    const run = await step('schedule', { schedule: '*/15 * * * *' }, { 'to-version': 'v1' });
    expect(run.error).toBe(
      'input to-version: only command: rollback reads it, and command is tick: remove to-version, command: rollback runs on workflow_dispatch only',
    );
    expect(run.outputs.decision).toBe('error');
  });

  it('a rollback still reads it', async () => {
    const inputs = { command: 'rollback', 'to-version': 'v1' };
    const run = await step('workflow_dispatch', workflowDispatchEvent(inputs), inputs);
    expect([run.error, run.outputs.decision]).toEqual([undefined, 'rolled-back']);
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
  });
});
