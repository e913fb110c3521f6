import { describe, expect, it } from 'vitest';
import { readTimeLimit } from '../../src/config/duration-input.js';
import { FRAUD_ON_SANDBOX, runMainStep } from '../support/main-step.js';
import { workflowDispatchEvent } from '../support/payloads.js';

// `max-wait: 0s` said `"0s" must be longer than 0`: unlike every other bad duration, no example
// of what to write and no way forward. It now reads as they do: what is expected, the value
// given, what to do (a tick, for whoever wanted no wait at all).
const EXAMPLES = '"500ms", "30s", "10m", "1h30m" or "2d"';
const NO_TIME = (text: string) =>
  `expected a duration longer than 0s, such as ${EXAMPLES}, got "${text}": give the longest the run may watch, or use mode tick for one pass that does not wait`;

describe('a time limit of no time', () => {
  it.each(['0s', '0m', '0d0h'])('%j: worded as the other durations, with what to write', (text) => {
    expect(readTimeLimit(text)).toEqual({ problem: NO_TIME(text) });
  });

  it('as a bare number is: what is expected, the value, what to do', () => {
    expect(readTimeLimit('10')).toEqual({
      problem: `expected a duration such as ${EXAMPLES}, got the bare number 10 (add a unit: ms, s, m, h or d)`,
    });
  });

  it('the action names the input, before anything is read or deployed', async () => {
    const nowhere = 'http://127.0.0.1:1';
    const inputs = { command: 'status', 'max-wait': '0s' };
    const run = await runMainStep({
      eventName: 'workflow_dispatch',
      event: workflowDispatchEvent(inputs),
      inputs,
      config: FRAUD_ON_SANDBOX,
      githubUrl: nowhere,
      env: { SANDBOX_URL: nowhere },
    });
    expect(run.exitCode).toBe(1);
    expect(run.error).toBe(`input max-wait: ${NO_TIME('0s')}`);
  });
});
