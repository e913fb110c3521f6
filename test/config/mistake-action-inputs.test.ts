import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { FRAUD_ON_SANDBOX, runMainStep } from '../support/main-step.js';
import { workflowDispatchEvent } from '../support/payloads.js';

// The action's main step on a workflow_dispatch, refused at its inputs before anything is read
// or deployed: both addresses answer nothing.
const NOWHERE = 'http://127.0.0.1:1';

async function dispatchError(inputs: Record<string, string>) {
  const run = await runMainStep({
    eventName: 'workflow_dispatch',
    event: workflowDispatchEvent(inputs),
    inputs,
    config: FRAUD_ON_SANDBOX,
    githubUrl: NOWHERE,
    env: { SANDBOX_URL: NOWHERE },
  });
  expect(run.exitCode).toBe(1);
  return run.error;
}

describe('action inputs one slip off', () => {
  it('ledger GitHub is refused, not taken as a file named GitHub', async () => {
    expect(await dispatchError({ command: 'status', ledger: 'GitHub' })).toBe(
      'input ledger: "GitHub" would be a file of that name; write github for the GitHub ledger',
    );
  });

  it('command rolback and mode wacth suggest the word meant', async () => {
    expect(await dispatchError({ command: 'rolback' })).toBe(
      'input command: "rolback" is not one of release, rollback, promote, abort, status, tick, plan, did you mean "rollback"?',
    );
    expect(await dispatchError({ command: 'status', mode: 'wacth' })).toBe(
      'input mode: "wacth" must be watch or tick, did you mean "watch"?',
    );
  });

  it('max-wait 10min: the config words, and the fix', async () => {
    expect(await dispatchError({ command: 'status', 'max-wait': '10min' })).toBe(
      'input max-wait: expected a duration such as "500ms", "30s", "10m", "1h30m" or "2d", got "10min": write "10m"',
    );
  });
});

describe('model-gate run, one slip off', () => {
  const RUN =
    'usage: model-gate run <release|reopen|merge|close|tick|rollback|promote|abort|status> [options]';

  it.each([
    [
      ['run', 'rolback'],
      `model-gate run: expected one event of release, reopen, merge, close, tick, rollback, promote, abort, status, got "rolback", did you mean "rollback"? (${RUN})`,
    ],
    [
      ['run', 'release', '--mode', 'wacth'],
      `model-gate run: --mode must be watch or tick, got "wacth", did you mean "watch"? (${RUN})`,
    ],
  ])('%j suggests the word meant', async (args, line) => {
    const dir = await mkdtemp(join(tmpdir(), 'model-gate-slip-'));
    const run = await runCli(dir, args);
    expect(run.stderr).toBe(`${line}\n`);
    expect(run.code).toBe(2);
  });
});
