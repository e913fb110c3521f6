import { describe, expect, it } from 'vitest';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { fraudPr } from '../support/fraud-pr.js';

// `max-wait` bounds a watch: a job whose next look would come after its budget stops now,
// leaving the release resumable, rather than sleeping a long `interval` past its timeout-minutes
// (the runner would kill it and the post step withdraw the candidate, losing the analysis).
const MINUTE = 60_000;

/** PR #7 moving fraud v1 → v2 on a healthy canary measured every `interval`; each look passes a step. */
const slowCanary = (interval: string, steps = '[10, 50]') =>
  fraudPr({
    yaml: `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:1" }
  metrics: { type: sandbox, url: "http://127.0.0.1:1" }
  strategy: { type: canary, steps: ${steps}, step-duration: 1d, min-requests: 100, interval: ${interval} }
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
  });

describe('a watch whose interval is longer than its max-wait', () => {
  it('returns within the budget, the release analysing, and the next run resumes it', async () => {
    const { config, clock, ports, target, warnings, event } = await slowCanary('3h');
    const started = clock.now();
    const watched = await handlePullRequest(config, event(), ports, {
      mode: 'watch',
      maxWaitMs: 30 * MINUTE,
      dryRun: false,
    });
    // Before the fix it slept the full 3h interval: six times its 30m budget.
    expect(clock.now() - started).toBeLessThanOrEqual(30 * MINUTE);
    expect(watched.releases[0]).toMatchObject({ model: 'fraud', status: 'analysing' });
    expect(target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
    expect(warnings).toContain(
      'the next look (in 3h) would be past the time budget (max-wait, 30m left) with fraud still analysing: the next run resumes',
    );

    // A day later the next tick takes the release on from where the job left it.
    await clock.sleep(24 * 60 * MINUTE);
    const ticked = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });
    expect(ticked.releases[0]).toMatchObject({ status: 'analysing' });
    expect(target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 50 } });
  });
});

describe('a watch whose budget is not a multiple of its interval', () => {
  it('looks while the budget allows, and stops before a look that would overrun it', async () => {
    const { config, clock, ports, target, warnings, event } = await slowCanary('20m', '[10, 25, 50, 75]');
    const started = clock.now();
    await handlePullRequest(config, event(), ports, { mode: 'watch', maxWaitMs: 50 * MINUTE, dryRun: false });
    // Looks at 0, 20m and 40m (each passing a step); the one at 60m would be 10m past the 50m budget.
    expect(clock.now() - started).toBe(40 * MINUTE);
    expect(target.state.canary).toEqual({ version: 'v2', weight: 50 });
    expect(warnings.at(-1)).toBe(
      'the next look (in 20m) would be past the time budget (max-wait, 10m left) with fraud still analysing: the next run resumes',
    );
  });
});

describe('a watch on a platform slow to confirm its traffic changes', () => {
  it('starts no look it could not end within the budget, and leaves the release to the next run', async () => {
    const { config, clock, ports, target, ledger, warnings, event } = await slowCanary(
      '10m',
      '[10, 25, 50, 75]',
    );
    // Each change takes the platform 20 minutes to confirm: a look that steps up takes that long.
    const write = target.write.bind(target);
    target.write = async (desired) => {
      await write(desired);
      clock.advance(20 * MINUTE);
    };
    const started = clock.now();
    await handlePullRequest(config, event(), ports, { mode: 'watch', maxWaitMs: 60 * MINUTE, dryRun: false });
    // Looks from 0 to 20m (10%) and from 30m to 50m (25%); the next, due at 60m, would end at 80m.
    // Before the fix it was started all the same, with the 10m interval fitting in the 10m left:
    // the job ran to 80m, past a timeout-minutes set a little above max-wait.
    expect(clock.now() - started).toBe(50 * MINUTE);
    expect(target.weights()).toEqual([10, 25]);
    expect(warnings.at(-1)).toBe(
      'the next look (in 10m) could end past the time budget (max-wait, 10m left; a pass has taken up to 20m) with fraud still analysing: the next run resumes',
    );
    // Resumable: no lease left for a tick to wait out, and the next tick takes the next step.
    const recorded = await ledger.release('fraud');
    expect(recorded).toMatchObject({ status: 'analysing' });
    expect(recorded?.watchedUntil).toBeUndefined();
    await clock.sleep(10 * MINUTE);
    const ticked = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });
    expect(ticked.releases[0]).toMatchObject({ status: 'analysing' });
    expect(target.state.canary).toEqual({ version: 'v2', weight: 50 });
  });
});
