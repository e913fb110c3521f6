import { describe, expect, it, vi } from 'vitest';
import { FRAUD_ON_SANDBOX, useFraudPrWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// The main step failing on a defect (an error of no class model-gate knows: a bug) says so in the
// engine's one wording, "model-gate stopped on an unexpected error: …; please report it", one line;
// the stack trace goes to the debug log only. It used to fail with the raw stack trace as the
// step's error, and no word of reporting it. Main step from src/, against the GitHub stand-in and the
// sandbox; the defect, met by a schedule tick, is a metric source whose every query throws a plain Error.
const defect = vi.hoisted(() => ({ on: false, message: 'the series index ran past its end: a bug' }));
const DEFECT = defect.message;
vi.mock('../../src/release/adapters.js', async (importOriginal) => {
  const { plantMetricsDefect } = await import('../support/planted-write-defect.js');
  return plantMetricsDefect(await importOriginal(), defect.message, () => defect.on);
});

const { step } = useFraudPrWorld({ pr: 9, config: FRAUD_ON_SANDBOX });

describe('a main step that fails on a defect', () => {
  it('says so in one line to report, its stack trace in the debug log only', async () => {
    const shas = { base: sha(1), head: sha(2) };
    const opened = await step('pull_request', pullRequestEvent('opened', shas, { number: 9 }), {
      mode: 'tick',
    });
    expect([opened.error, opened.outputs.decision]).toEqual([undefined, 'analysing']);

    defect.on = true;
    const tick = await step('schedule', { schedule: '*/15 * * * *' });
    defect.on = false;
    expect(tick.exitCode).toBe(1);
    expect(tick.error).toBe(`model-gate stopped on an unexpected error: ${DEFECT}; please report it`);
    const debug = tick.log.split('\n').filter((line) => line.startsWith('::debug::'));
    expect(debug.join('\n')).toContain(`::debug::Error: ${DEFECT}`);
  });
});
