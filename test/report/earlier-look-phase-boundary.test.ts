import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { GateState, PhaseRecord, Release } from '../../src/release/types.js';
import { earlierValues } from '../../src/report/earlier-look.js';
import { MemoryTarget } from '../support/memory-target.js';
import { configWith, report, row } from './release-world.js';
import { candidate } from './reviewed-canary.js';

// A gate's series keeps whole seconds since the release started, phases start in ms. The look that
// ends a phase comes ms before the next phase starts; rounded up to its second, it was placed in
// the next phase about half the time: step 1's values read `in step 2 of 2` beside `step 2 of 2 …
// 0s running`, and `no look yet in step 2 of 2` was left out.

const ERRORS = 'errors (errors / requests)';

/** A clock on which time passes as the engine works: each reading is 1 ms after the one before. */
class WorkingClock extends FakeClock {
  override now(): number {
    this.advance(1);
    return super.now();
  }
}

/**
 * fraud v1 → v2 looked at every 10 s, the first look 10.5 s after the release started, so that
 * each look's second rounds up, until `stop` says so.
 */
async function releasedUntil(config: Config, stop: (r: Release) => boolean): Promise<Release> {
  const model = config.models.fraud;
  if (!model) throw new Error('no model fraud');
  const clock = new WorkingClock(Date.UTC(2026, 0, 1));
  const ctx = { config: model, target: new MemoryTarget(), metrics: candidate(0.005), clock };
  let r = newRelease(model, { from: 'v1', to: 'v2', now: clock.now() });
  await clock.sleep(500);
  for (let i = 0; i < 100 && r.status === 'analysing'; i++) {
    r = await tick(r, ctx);
    if (stop(r)) return r;
    await clock.sleep(model.strategy.intervalMs);
  }
  throw new Error(`never stopped: ${r.reason}`);
}

const canaryAt = (steps: string) =>
  configWith(`{ type: canary, steps: ${steps}, step-duration: 1m, min-requests: 100, interval: 10s }`, [
    '{ name: errors, kind: ratio, events: errors, max-increase: 10% }',
  ]);

describe('values a look read just before the next phase began', () => {
  it('are named as the step that read them, and the new step says it has no look yet', async () => {
    const config = canaryAt('[10, 50]');
    const r = await releasedUntil(config, (x) => x.phase === 1);
    const [first, second] = r.phases as [PhaseRecord, PhaseRecord];
    // The boundary this is about: step 1's last look, rounded up, reads as after step 2's start.
    const [t] = (r.gates[0] as GateState).series?.at(-1) ?? [Number.NaN];
    expect(r.startedAt + t * 1000).toBeGreaterThan(second.startedAt);
    expect(first.outcome).toBe('passed');
    expect(row(report(config, r), ERRORS)).toBe(
      "| errors (errors / requests) | 0.5% in step 1 of 2 | 1% in step 1 of 2 | at most ×1.1 the baseline's rate | ⏳ pending: no look yet in step 2 of 2 |",
    );
  });

  it.each([
    ['canary [50, 100]', canaryAt('[50, 100]'), 'step 1 of 2'],
    [
      'rolling 3 instances in batches of 2',
      configWith(
        '{ type: rolling, instances: 3, batch-size: 2, step-duration: 1m, min-requests: 100, interval: 10s }',
        ['{ name: errors, kind: ratio, events: errors, max-increase: 10% }'],
      ),
      'batch 1 of 2 (2/3 instances)',
    ],
  ])(
    'at all live traffic on a %s, are named as the phase with stable traffic that read them',
    async (_, config, phase) => {
      const r = await releasedUntil(config, (x) => x.phase === 1);
      expect(earlierValues(r.gates[0] as GateState, r)?.phase.name).toBe(phase);
      expect(row(report(config, r), ERRORS)).toContain(`| 0.5% in ${phase} | 1% in ${phase} |`);
    },
  );
});
