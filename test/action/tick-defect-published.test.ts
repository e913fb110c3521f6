import { describe, expect, it, vi } from 'vitest';
import { FRAUD_ON_SANDBOX, fraudServing, useFraudPrWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// A schedule tick meeting a defect (an error of no class model-gate knows: a bug) still publishes
// its run before the step fails on it: the PR comment, the job summary and the report file say
// which model it stopped and that its candidate was withdrawn. It used to fail the step before
// publishing anything: the comment kept saying "analysing" and the summary was empty. Main step
// from src/, against the GitHub stand-in and the sandbox; the defect is a metric source whose
// every query throws a plain Error.
const defect = vi.hoisted(() => ({ on: false }));
vi.mock('../../src/release/adapters.js', async (importOriginal) => {
  const { plantMetricsDefect } = await import('../support/planted-write-defect.js');
  return plantMetricsDefect(await importOriginal(), 'cannot read the series: a bug', () => defect.on);
});

const STOPPED = 'model-gate stopped on an unexpected error: cannot read the series: a bug';
const world = useFraudPrWorld({ pr: 7, config: FRAUD_ON_SANDBOX });
const { step } = world;

const comment = () =>
  world.github.comments(7).find((c) => c.body.startsWith('<!-- model-gate report -->'))?.body;

describe('a schedule tick that meets a defect', () => {
  it('publishes the comment, the summary and the report, then fails the step on the defect', async () => {
    const opened = await step(
      'pull_request',
      pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 }),
      {
        mode: 'tick',
      },
    );
    expect([opened.error, opened.outputs.decision]).toEqual([undefined, 'analysing']);

    defect.on = true;
    const tick = await step('schedule', { schedule: '*/15 * * * *' });
    defect.on = false;
    expect(tick.exitCode).toBe(1);
    // One line in the step's error; a bug's stack, which helps a report, is in the debug log.
    expect(tick.error).toBe(`${STOPPED}; please report it`);
    expect(await fraudServing(world.sandbox)).toEqual({ stable: { version: 'v1' } });
    // What the tick did is told where a user looks: the summary (report file), the PR's comment, the outputs.
    expect(tick.report).toContain(`${STOPPED}; v2 withdrawn; please report it`);
    expect(comment()).toContain(`${STOPPED}; v2 withdrawn; please report it`);
    expect(comment()).not.toContain('Analysing');
    expect(JSON.parse(tick.outputs.models ?? '[]')).toMatchObject([
      { model: 'fraud-detector', to: 'v2', status: 'aborted' },
    ]);
  });
});
