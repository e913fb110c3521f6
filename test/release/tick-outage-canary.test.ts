import { describe, expect, it } from 'vitest';
import { configWith, released } from '../report/release-world.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { HOUR, tickedRelease } from './tick-outage-world.js';

// Under `mode: tick` a step gets one look a tick, an hour apart, after its deadline: a metrics
// outage on that look is no evidence of missing data. The next tick looks again, until the
// gate's consecutive-error-limit ends a source that never answers.

const strategy = '{ type: canary, steps: [10, 50], step-duration: 10m, min-requests: 100, interval: 1m }';
const errors = '{ name: errors, kind: threshold, query: error-rate, max: 0.02 }';
const healthy = () =>
  new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 20, values: { 'error-rate': 0.005 } },
  });

describe('a 10m canary step driven by hourly ticks', () => {
  it('looks again on the next tick when the metrics are down on the first tick past its deadline', async () => {
    const w = await tickedRelease(strategy, [errors], healthy());
    await w.open();
    w.clock.advance(HOUR);
    w.metrics.failing = true;
    const down = await w.tick();
    expect(down?.status).toBe('analysing');
    expect(down?.reason).toBe(
      'analysing step 1 of 2: waiting for errors (no answer from the metric source past its 10m deadline: metrics backend unreachable; the next look judges it, 1 unanswered in a row of the 4 consecutive-error-limit tolerates)',
    );
    expect(w.target.state.canary).toMatchObject({ version: 'v2', weight: 10 });

    w.clock.advance(HOUR);
    w.metrics.failing = false;
    const next = await w.tick();
    expect(next?.status).toBe('analysing');
    expect(next?.phases.map((p) => [p.name, p.outcome])).toEqual([
      ['step 1 of 2', 'passed'],
      ['step 2 of 2', undefined],
    ]);
  });

  it('still ends, withdrawn, when the metrics never answer: consecutive-error-limit decides', async () => {
    const w = await tickedRelease(strategy, [errors], healthy());
    await w.open();
    w.metrics.failing = true;
    let r = await w.tick();
    for (let i = 0; i < 10 && r?.status === 'analysing'; i++) {
      w.clock.advance(HOUR);
      r = await w.tick();
    }
    expect(r?.status).toBe('failed');
    expect(r?.reason).toBe('errors: metrics failed 5 times in a row (metrics backend unreachable)');
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
  });

  it('fails on data that answered empty, saying how long the step ran', async () => {
    const empty = new ScriptedMetrics({
      stable: { rps: 90, values: { 'error-rate': 0.005 } },
      canary: { rps: 20, values: {} },
    });
    const w = await tickedRelease(strategy, [errors], empty);
    await w.open();
    w.clock.advance(HOUR);
    const r = await w.tick();
    expect(r?.status).toBe('failed');
    expect(r?.reason).toMatch(/^no conclusive evidence within 1h \(deadline 10m\) at step 1 of 2: errors \(/);
  });
});

describe('a watched canary step (one look a minute)', () => {
  it('still fails at its deadline when the look before an error answered empty', async () => {
    const config = configWith(strategy, [errors]);
    const metrics = new ScriptedMetrics({
      stable: { rps: 90, values: { 'error-rate': 0.005 } },
      canary: { rps: 20, values: {} },
    });
    const end = await released(config, metrics, {
      each: (r) => {
        // Down for the look at the deadline only.
        metrics.failing = r.phase === 0 && r.updatedAt - r.phaseStartedAt >= 9 * 60_000;
      },
    });
    expect(end.status).toBe('failed');
    expect(end.reason).toMatch(/^no conclusive evidence within 10m at step 1 of 2: errors \(/);
  });
});
