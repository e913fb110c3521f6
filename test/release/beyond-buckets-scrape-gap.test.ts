import { describe, expect, it } from 'vitest';
import type { GateConfig, ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { storedForm } from '../../src/ledger/release-schema.js';
import type { MetricWindow, QuantileBounds } from '../../src/metrics/source.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { MemoryTarget } from '../support/memory-target.js';
import { canaryModel, latencyGate, thresholdGate } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// A quantile beyond the histogram's largest finite bucket is data above what the histogram can
// place against the limit, not missing data: must-have-data: false must not let the step pass on
// it. Before, only the look at the deadline was asked, so one scrape gap there (no data) promoted a
// candidate whose p95 had been beyond the largest bucket on every look before.

const P95 = 'histogram_quantile(0.95, sum by (le) (rate(infer_seconds_bucket[5m])))';
const STEP_MS = 60_000;

const model = (gate: GateConfig): ModelConfig =>
  canaryModel({
    gates: [gate],
    mustHaveData: false,
    strategy: { type: 'canary', steps: [10], stepDurationMs: STEP_MS, minRequests: 100, intervalMs: 10_000 },
  });

/**
 * Prometheus as the threshold gate reads it: the candidate's histogram_quantile is 1, the largest
 * finite bound, standing in for a p95 beyond it; from `gapAt` on the candidate's series are missing.
 */
class BeyondThenGap extends ScriptedMetrics {
  constructor(private gapAt: number) {
    super({ stable: { rps: 90, values: { [P95]: 0.4 } }, canary: { rps: 20, values: { [P95]: 1 } } });
  }
  override async value(query: string, w: MetricWindow): Promise<number | undefined> {
    if (w.slot !== 'stable' && w.until >= this.gapAt) return undefined;
    return await super.value(query, w);
  }
  async quantileBounds(_query: string, w: MetricWindow): Promise<QuantileBounds> {
    return { quantile: 0.95, largest: 1, beyond: w.slot !== 'stable' };
  }
}

/** The release tick by tick, each on the state a ledger gives back of the one before. */
async function run(config: ModelConfig, metrics: (start: number) => ScriptedMetrics | FakeCounts) {
  const clock = new FakeClock();
  const ctx = { config, target: new MemoryTarget(), metrics: metrics(clock.now()), clock };
  let r: Release = newRelease(config, { from: 'v1', to: 'v2', now: clock.now() });
  for (let i = 0; i < 50 && r.status === 'analysing'; i++) {
    const stored = storedForm(await tick(r, ctx));
    if (!stored.ok) throw new Error(stored.problems.join('; '));
    r = stored.value;
    if (r.status === 'analysing') await clock.sleep(config.strategy.intervalMs);
  }
  return r;
}

describe('a quantile beyond the largest bucket, under must-have-data: false', () => {
  it('rolls back a threshold gate whose look at the deadline had no data, saying the p95 was beyond the largest bucket', async () => {
    const gate = thresholdGate({ name: 'p95-latency', query: P95, max: 2 });
    // The step begins at the first tick: the gap covers only the look at its deadline.
    const r = await run(model(gate), (start) => new BeyondThenGap(start + STEP_MS));
    expect(r.gates[0]?.last?.note).toMatch(/^no data for the candidate/);
    expect(r.status).toBe('failed');
    expect(r.reason).toMatch(
      /^no conclusive evidence within 1m at step 1 of 1: p95-latency \(an earlier look: p95 is beyond the largest bucket bound 1 \(le="\+Inf" only\); the histogram cannot show whether it is under the max 2: add a bucket bound at or above 2; the last look: no data for the candidate/,
    );
  });

  it("rolls back a latency gate (threshold judge) whose candidate p95 is beyond its histogram's largest bound on every look", async () => {
    // Stable's p95 is 135 ms, tolerated 149 ms; the largest bound is 138 ms; the candidate's requests take 5 s.
    const r = await run(
      model(latencyGate({ judge: 'threshold' })),
      () =>
        new FakeCounts({
          stable: { rps: 90, errorRate: 0, medianMs: 70 },
          canary: { rps: 20, errorRate: 0, medianMs: 5000 },
        }),
    );
    expect(r.status).toBe('failed');
    expect(r.reason).toBe(
      "no conclusive evidence within 1m at step 1 of 1: p95 (p95 > 138 ms on v2 (beyond its histogram's largest bucket bound) against the tolerated 149 ms (v1's 133.16–138.49 ms (≈135) + 10%): the histogram cannot tell whether it is over; export bucket bounds above 138 ms)",
    );
  });
});
