import { describe, expect, it } from 'vitest';
import { FRAUD_ON_SANDBOX, runMainStep } from '../support/main-step.js';
import { workflowDispatchEvent } from '../support/payloads.js';

// The action's main step on a workflow_dispatch, run from src/ as the runner runs it: each
// refused input is named as the workflow spells it (`input NAME: …`) and says what to change.
// Nothing here gets as far as a target or GitHub: both addresses answer nothing.
const NOWHERE = 'http://127.0.0.1:1';

async function dispatch(inputs: Record<string, string>) {
  const run = await runMainStep({
    eventName: 'workflow_dispatch',
    event: workflowDispatchEvent(inputs),
    inputs,
    config: FRAUD_ON_SANDBOX,
    githubUrl: NOWHERE,
    env: { SANDBOX_URL: NOWHERE },
  });
  expect(run.exitCode).toBe(1);
  expect(run.outputs.decision).toBe('error');
  return run.error;
}

describe('refused action inputs', () => {
  it('a model name one letter off: the error suggests the model the config has', async () => {
    for (const command of ['abort', 'status']) {
      expect(await dispatch({ command, model: 'fraud-detectr' })).toBe(
        'model "fraud-detectr" is not in the config (did you mean "fraud-detector"?); known models: fraud-detector',
      );
    }
  });

  it('a to-version that is no version: named as the input, as every other input is', async () => {
    expect(await dispatch({ command: 'rollback', model: 'fraud-detector', 'to-version': '$(id)' })).toBe(
      'input to-version: "$(id)" is not a valid version (letters, digits, . _ + - only, at most 128 characters)',
    );
  });

  it('dry-run True is a boolean as the toolkit spells it; dry-run yes is refused by name', async () => {
    // True gets past the inputs, so the run stops only at the model name one letter off.
    expect(await dispatch({ command: 'status', model: 'fraud-detectr', 'dry-run': 'True' })).toMatch(
      /^model "fraud-detectr" is not in the config/,
    );
    expect(await dispatch({ command: 'status', 'dry-run': 'yes' })).toBe(
      'input dry-run: "yes" must be true or false',
    );
  });

  it('max-wait 0s: refused as no time at all, not taken as a time budget', async () => {
    expect(await dispatch({ command: 'status', 'max-wait': '0s' })).toBe(
      `input max-wait: expected a duration longer than 0s, such as "500ms", "30s", "10m", "1h30m" or "2d", got "0s": give the longest the run may watch, or use mode tick for one pass that does not wait`,
    );
  });

  it('max-wait 10: told to add a unit, in the words the config uses', async () => {
    expect(await dispatch({ command: 'status', 'max-wait': '10' })).toBe(
      'input max-wait: expected a duration such as "500ms", "30s", "10m", "1h30m" or "2d", got the bare number 10 (add a unit: ms, s, m, h or d)',
    );
  });
});
