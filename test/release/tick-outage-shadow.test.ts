import { describe, expect, it } from 'vitest';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { HOUR, tickedRelease } from './tick-outage-world.js';

// A hold ends only on an answered look (hold-answered.ts), with one `interval` of slack: under
// hourly ticks the look an hour before the hold's end is too old, and one outage on the first tick
// past it waits for the next tick instead of ending six hours of passing looks as failed.

const strategy =
  '{ type: shadow, share: 50, duration: 6h, step-duration: 6h, min-requests: 100, interval: 1m }';
const errors = '{ name: errors, kind: threshold, query: error-rate, max: 0.02 }';

describe('a 6h shadow driven by hourly ticks', () => {
  it('waits for the next tick when the first tick past its hold finds the metrics down', async () => {
    const metrics = new ScriptedMetrics({
      stable: { rps: 90, values: { 'error-rate': 0.005 } },
      canary: { rps: 20, values: { 'error-rate': 0.005 } },
    });
    const w = await tickedRelease(strategy, [errors], metrics);
    await w.open();
    for (let i = 0; i < 5; i++) {
      w.clock.advance(59 * 60_000);
      expect((await w.tick())?.status).toBe('analysing');
    }
    w.clock.advance(66 * 60_000);
    w.metrics.failing = true;
    const down = await w.tick();
    expect(down?.status).toBe('analysing');
    expect(down?.reason).toBe(
      'analysing shadow 50% of requests: waiting for errors (no answer from the metric source past its 6h deadline: metrics backend unreachable; the next look judges it, 1 unanswered in a row of the 4 consecutive-error-limit tolerates)',
    );

    w.clock.advance(HOUR);
    w.metrics.failing = false;
    const next = await w.tick();
    expect(next?.status).toBe('ready');
    expect(next?.phases.map((p) => p.outcome)).toEqual(['passed']);
  });
});
