import { describe, expect, it } from 'vitest';
import type { GateConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import type { Bucket } from '../../src/metrics/histogram.js';
import type { MetricSource, MetricWindow } from '../../src/metrics/source.js';
import type { ReleaseContext } from '../../src/release/context.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { MemoryTarget } from '../support/memory-target.js';
import { canaryModel, latencyGate, ratioGate } from '../support/model-config.js';

// Prometheus scrapes each arm at its own moment: between two scrapes of the candidate its count
// stands still while v1's grows at v1's scrape. A healthy candidate seen so on the looks at its
// step's deadline must pass the step, not fail it as a candidate whose metrics stopped.

const START = Date.UTC(2026, 0, 1);
const SCRAPE_MS = 30_000;

/**
 * Counts as a cumulative increase() over the window sees them when each arm is scraped every 30 s,
 * the candidate on the half minute and v1 15 s later: only what was scraped by the window's end.
 */
class ScrapedCounts implements MetricSource {
  private readonly counts = new FakeCounts({
    stable: { rps: 9, errorRate: 0.02, medianMs: 40 },
    canary: { rps: 1, errorRate: 0.02, medianMs: 40 },
  });
  private scraped(w: MetricWindow): MetricWindow {
    const offset = w.slot === 'stable' ? 15_000 : 0;
    const last = START + offset + Math.floor((w.until - START - offset) / SCRAPE_MS) * SCRAPE_MS;
    return { ...w, until: Math.max(w.since, last) };
  }
  requests = (w: MetricWindow) => this.counts.requests(this.scraped(w));
  value = async () => undefined;
  count = (q: string, w: MetricWindow) => this.counts.count(q, this.scraped(w));
  buckets = (q: string, w: MetricWindow): Promise<Bucket[] | undefined> =>
    this.counts.buckets(q, this.scraped(w));
}

const gates: GateConfig[] = [ratioGate(), latencyGate()];

/** One 10% step lasting `stepDurationMs`, a look every 5 s. */
async function run(stepDurationMs: number): Promise<Release> {
  const model = canaryModel({
    gates,
    strategy: { type: 'canary', steps: [10], stepDurationMs, minRequests: 100, intervalMs: 5_000 },
  });
  const clock = new FakeClock(START);
  const ctx: ReleaseContext = {
    config: model,
    target: new MemoryTarget(),
    metrics: new ScrapedCounts(),
    clock,
  };
  let r = newRelease(model, { from: 'v1', to: 'v2', pr: 7, headSha: 'b'.repeat(40), now: clock.now() });
  for (let i = 0; i < 500 && r.status === 'analysing'; i++) {
    r = await tick(r, ctx);
    if (r.status === 'analysing') await clock.sleep(model.strategy.intervalMs);
  }
  return r;
}

describe('a healthy candidate scraped at other moments than v1', () => {
  // Deadlines on every look of a scrape interval: 10m, 10m5s, ... 10m25s. On the looks 15 to 25 s
  // after the candidate's scrape, v1's count has grown by 270 since the candidate's last changed
  // (30 due at 10%), and the candidate's has not.
  it.each([
    [600_000, '10m'],
    [605_000, '10m5s'],
    [610_000, '10m10s'],
    [615_000, '10m15s'],
    [620_000, '10m20s'],
    [625_000, '10m25s'],
  ])('passes its step at a deadline of %i ms', async (stepDurationMs, shown) => {
    const r = await run(stepDurationMs);
    expect(r.status).toBe('ready');
    expect(r.phases.map((p) => [p.name, p.outcome, p.note])).toEqual([
      ['step 1 of 1', 'passed', `no regression detected by errors, p95 within ${shown}`],
    ]);
  });
});
