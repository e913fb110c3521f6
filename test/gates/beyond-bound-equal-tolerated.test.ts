import { describe, expect, it } from 'vitest';
import { measureLatency } from '../../src/gates/latency-gate.js';
import type { Bucket } from '../../src/metrics/histogram.js';
import type { MetricSource, MetricWindow } from '../../src/metrics/source.js';
import { firstMinuteLook } from '../support/first-minute-look.js';
import { latencyGate } from '../support/model-config.js';

// A candidate p95 beyond the largest finite bound L is known to be above L. With a tolerated
// maximum of exactly L it is over the tolerance, as one below L is: before, the look was only
// inconclusive (failing at the step's deadline, not at once).

const QUERY = 'infer_seconds';

/** Exact cumulative buckets per arm, whatever the window: 100 requests each. */
class FixedHistograms implements MetricSource {
  constructor(private arms: { stable: Bucket[]; canary: Bucket[] }) {}
  async value(): Promise<number | undefined> {
    return undefined;
  }
  async requests(): Promise<number> {
    return 100;
  }
  async buckets(_query: string, w: MetricWindow): Promise<Bucket[]> {
    return w.slot === 'stable' ? this.arms.stable : this.arms.canary;
  }
}

// The stable version's p95: rank 0.95 × 100 = 95 is the count at le=0.5, so 0.5 exactly.
// Tolerated with max-increase 100%: 0.5 + 0.5 = 1, the largest finite bound.
const stable: Bucket[] = [
  { le: 0.25, count: 50 },
  { le: 0.5, count: 95 },
  { le: 1, count: 100 },
  { le: '+Inf', count: 100 },
];
// Every candidate request slower than 1: its p95 is beyond the largest bound.
const canary: Bucket[] = [
  { le: 0.25, count: 0 },
  { le: 0.5, count: 0 },
  { le: 1, count: 0 },
  { le: '+Inf', count: 100 },
];

describe('a latency gate whose tolerated maximum is exactly the largest bucket bound', () => {
  it('fails at once a candidate p95 beyond that bound (threshold judge)', async () => {
    const gate = latencyGate({ buckets: QUERY, judge: 'threshold', maxIncrease: 1 });
    const m = await measureLatency(gate, firstMinuteLook(new FixedHistograms({ stable, canary })));
    expect(m.verdict).toBe('fail');
    expect(m.beyondBuckets).toBeUndefined();
    expect(m.note).toBe(
      "p95 > 1 on v2 (beyond its histogram's largest bucket bound) is over the tolerated 1 (v1's 0.5 + 100%)",
    );
  });
});
