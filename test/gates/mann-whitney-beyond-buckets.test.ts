import { describe, expect, it } from 'vitest';
import { measureLatency } from '../../src/gates/latency-gate.js';
import type { Bucket } from '../../src/metrics/histogram.js';
import type { MetricSource, MetricWindow } from '../../src/metrics/source.js';
import { firstMinuteLook, STEP_START } from '../support/first-minute-look.js';
import { latencyGate } from '../support/model-config.js';

// A latency gate on `judge: mann-whitney` compares each minute's p95. A candidate slower than the
// histogram's largest bound (1) every minute reads as 1 in each: the judge used to compare those
// floors as values (a shift and mean ratio of 1 itself), to stay inconclusive until the deadline
// when the tolerance was exactly 1, and to pass them when one slow baseline minute lifted the
// tolerated mean ratio. The buckets prove a failure only when every candidate minute is beyond 1
// and 1 is at or above the baseline's slowest minute + max-increase.

const MINUTE = 60_000;
const MINUTES = 12;

/** Each arm's histogram minute by minute (100 requests each); a window sums its whole minutes. */
class MinuteHistograms implements MetricSource {
  constructor(private arms: { stable: Bucket[][]; canary: Bucket[][] }) {}
  async value(): Promise<number | undefined> {
    return undefined;
  }
  async requests(): Promise<number> {
    return 100;
  }
  async buckets(_query: string, w: MetricWindow): Promise<Bucket[]> {
    const minutes = this.arms[w.slot === 'stable' ? 'stable' : 'canary'].slice(
      (w.since - STEP_START) / MINUTE,
      (w.until - STEP_START) / MINUTE,
    );
    return (minutes[0] ?? []).map((b, i) => ({
      le: b.le,
      count: minutes.reduce((sum, m) => sum + (m[i]?.count ?? 0), 0),
    }));
  }
}

/** A minute whose p95 is within the bounds: 0.5 with 95 requests at or below 0.5, 0.48 with 99, 0.75 with 90. */
const within = (atHalf: number): Bucket[] => [
  { le: 0.25, count: 50 },
  { le: 0.5, count: atHalf },
  { le: 1, count: 100 },
  { le: '+Inf', count: 100 },
];
/** A minute whose p95 is 0.975, just within the largest bound. */
const justWithin: Bucket[] = [
  { le: 0.25, count: 0 },
  { le: 0.5, count: 0 },
  { le: 1, count: 100 },
  { le: '+Inf', count: 100 },
];
/** A minute with every request slower than the largest bound: its p95 reads "> 1". */
const beyond: Bucket[] = [
  { le: 0.25, count: 0 },
  { le: 0.5, count: 0 },
  { le: 1, count: 0 },
  { le: '+Inf', count: 100 },
];

const every = (m: Bucket[]) => Array.from({ length: MINUTES }, () => m);
/** The stable version's p95 is 0.5 in every minute. */
const stableHalf = every(within(95));

/** A look twelve whole minutes into the step: the judge has its ten minutes. */
const look = async (
  arms: { stable: Bucket[][]; canary: Bucket[][] },
  maxIncrease: number,
  judge: 'mann-whitney' | 'threshold' = 'mann-whitney',
) =>
  await measureLatency(latencyGate({ buckets: 'infer_seconds', judge, maxIncrease }), {
    ...firstMinuteLook(new MinuteHistograms(arms)),
    now: STEP_START + MINUTES * MINUTE,
  });

describe('a mann-whitney latency gate whose candidate is beyond the largest bucket bound', () => {
  it('fails a candidate beyond it every minute, naming the bound and the bucket to add, not a mean ratio of floors', async () => {
    const m = await look({ stable: stableHalf, canary: every(beyond) }, 0.1);
    expect(m.verdict).toBe('fail');
    expect(m.note).toBe(
      "p95 > 1 on v2 in each of 12 minutes (beyond its histogram's largest bucket bound) is over the tolerated 0.55 (v1's slowest minute 0.5 + 10%); export bucket bounds above 1 to see by how much",
    );
  });

  it('fails at once when the tolerance is exactly the bound, only when every candidate minute is beyond it', async () => {
    const m = await look({ stable: stableHalf, canary: every(beyond) }, 1);
    expect(m.verdict).toBe('fail');
    expect(m.beyondBuckets).toBeUndefined();
    expect(m.note).toBe(
      "p95 > 1 on v2 in each of 12 minutes (beyond its histogram's largest bucket bound) is over the tolerated 1 (v1's slowest minute 0.5 + 100%); export bucket bounds above 1 to see by how much",
    );
    // One candidate minute at 0.975 is within 100% of 0.5: the buckets prove nothing, and the
    // eleven read as 1 cannot pass either.
    const partly = await look({ stable: stableHalf, canary: [justWithin, ...every(beyond).slice(1)] }, 1);
    expect(partly).toMatchObject({ verdict: 'inconclusive', beyondBuckets: true });
  });

  it('does not pass a candidate beyond it every minute on those floors when a slower baseline minute lifts the tolerance', async () => {
    // v1's p95 is 0.48 to 0.49 a minute and 0.75 in one: 0.49 over the step, but a mean of 0.51
    // a minute, so candidate minutes read as 1 are a mean ratio of 1.96, within the 2 tolerated.
    const stable = stableHalf.map((_, i) => within(i === 3 ? 90 : 96 + (i % 4)));
    const m = await look({ stable, canary: every(beyond) }, 1);
    expect(m.verdict).toBe('inconclusive');
    expect(m.beyondBuckets).toBe(true);
    expect(m.evidence).toBeUndefined();
    expect(m.note).toBe(
      "p95 > 1 on v2 in 12 of 12 minutes (beyond its histogram's largest bucket bound): the judge passed them read as 1, but the histogram cannot tell whether their real values are within the tolerated meanRatio 2; export bucket bounds above 1",
    );
  });

  it('still passes a healthy candidate with one slow minute beyond it: a floor or two do not decide the mean', async () => {
    // v2's p95 is 0.5 a minute as v1's, 3 of each 100 requests beyond 1, and 30 in one minute: its
    // p95 over the step is beyond 1 (63 of 1200), one minute of twelve reads as the floor 1.
    const healthy: Bucket[] = [
      { le: 0.25, count: 50 },
      { le: 0.5, count: 95 },
      { le: 1, count: 97 },
      { le: '+Inf', count: 100 },
    ];
    const slowMinute: Bucket[] = [
      { le: 0.25, count: 50 },
      { le: 0.5, count: 60 },
      { le: 1, count: 70 },
      { le: '+Inf', count: 100 },
    ];
    const canary = every(healthy).map((m, i) => (i === 5 ? slowMinute : m));
    expect((await look({ stable: stableHalf, canary }, 0.1)).verdict).toBe('pass');
  });

  it('is inconclusive when both versions are beyond it, saying neither can be placed, under either judge', async () => {
    for (const judge of ['mann-whitney', 'threshold'] as const) {
      expect(await look({ stable: every(beyond), canary: every(beyond) }, 0.1, judge)).toMatchObject({
        verdict: 'inconclusive',
        beyondBuckets: true,
        note: "p95 > 1 on v2 and > 1 on v1 (both beyond their histograms' largest bucket bound): the histograms cannot tell whether v2's is within 10% of v1's; export bucket bounds above 1",
      });
    }
  });
});
