import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MetricWindow } from '../../src/metrics/source.js';
import { LAST_LOOK_MS } from '../../src/release/last-look.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { recordWorld } from './tick-record-world.js';

// A canary merged mid-step (on-merge: require-pass) is withdrawn unpromoted. Its report keeps what
// the ticks' looks saw, plus the merge's own last look; a metric source that errs or hangs at the
// merge leaves the earlier looks and does not hold the withdrawal back for more than LAST_LOOK_MS.

/** Metrics that can hang: `hanging` makes every read wait forever, `asked` counts reads made so. */
class HangingMetrics extends ScriptedMetrics {
  hanging = false;
  asked = 0;
  override requests(w: MetricWindow): Promise<number> {
    if (!this.hanging) return super.requests(w);
    this.asked++;
    return new Promise(() => {});
  }
}

const ONCE = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };

/** fraud v1 → v2 on a canary at step 2 (50%), its one look there at 3% errors (failure-limit 1 tolerates it). */
async function midStep2() {
  const metrics = new HangingMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 20, values: { 'error-rate': 0.005 } },
  });
  const w = await recordWorld(
    '{ type: canary, steps: [10, 50], step-duration: 5m, min-requests: 100, interval: 10s }',
    ['{ name: errors, kind: threshold, query: error-rate, max: 0.02, failure-limit: 1 }'],
    metrics,
  );
  await handlePullRequest(w.config, w.event(), w.ports, ONCE);
  w.clock.advance(60_000);
  await handleSchedule(w.config, w.ports, ONCE);
  metrics.slots.canary.values['error-rate'] = 0.03;
  w.clock.advance(60_000);
  const tick = await handleSchedule(w.config, w.ports, ONCE);
  expect(tick.releases[0]).toMatchObject({ status: 'analysing', phase: 1 });
  expect(w.target.state.canary).toEqual({ version: 'v2', weight: 50 });
  w.clock.advance(30_000);
  const merge = () => handlePullRequest(w.config, w.event('closed', true), w.ports, ONCE);
  return { w, metrics, merge };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('canary merged mid-step', () => {
  it('its last look at the merge fails the gate: the report says failed, with what it saw', async () => {
    const { w, metrics, merge } = await midStep2();
    metrics.slots.canary.values['error-rate'] = 0.2;
    const merged = await merge();
    expect(merged.releases[0]).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining(
        'errors: 20.00% is above the max 2.00%; 2 looks over the bound in this step, over failure-limit 1 on its last look at the merge',
      ),
    });
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    expect(renderMarkdown(w.config, merged, { now: w.clock.now() })).toContain(
      '❌ fail: 20.00% is above the max 2.00%',
    );
  });

  it('metrics down at the merge: withdrawn at once, the report keeps the look before', async () => {
    const { w, metrics, merge } = await midStep2();
    metrics.failing = true;
    const merged = await merge();
    expect(merged.releases[0]?.status).toBe('aborted');
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    const report = renderMarkdown(w.config, merged, { now: w.clock.now() });
    expect(report).toContain('| errors (error-rate) | 3.00%');
    expect(report).toContain('➖ undecided');
    expect(w.warnings).toContainEqual(expect.stringContaining('metrics backend unreachable'));
  });

  it(`a metric source that hangs holds the withdrawal back ${LAST_LOOK_MS / 1000} s at most`, async () => {
    const { w, metrics, merge } = await midStep2();
    metrics.hanging = true;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let done = false;
    const merging = merge().finally(() => {
      done = true;
    });
    // The ledger's reads are real file I/O: let them run until the look is waiting on the source.
    while (metrics.asked === 0) await new Promise((resolve) => setImmediate(resolve));
    await vi.advanceTimersByTimeAsync(LAST_LOOK_MS - 1);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const merged = await merging;
    expect(merged.releases[0]?.status).toBe('aborted');
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    expect(renderMarkdown(w.config, merged, { now: w.clock.now() })).toContain(
      '| errors (error-rate) | 3.00%',
    );
    expect(w.warnings).toContainEqual(expect.stringContaining(`no answer within ${LAST_LOOK_MS / 1000} s`));
  });
});
