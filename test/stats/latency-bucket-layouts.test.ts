import { describe, expect, it } from 'vitest';
import type { Bucket } from '../../src/metrics/histogram.js';
import { judgeLatency } from '../../src/stats/latency.js';

// The latency judge (also `model-gate analyze`'s) on arms whose histograms have different bucket
// bounds: the same latencies read through other buckets were judged a regression.

/** Cumulative buckets: `n` requests in the shares `at` each finite bound, the rest above them. */
const histogram = (n: number, at: Record<number, number>): Bucket[] => [
  ...Object.entries(at)
    .map(([le, share]) => ({ le: Number(le), count: Math.round(n * share) }))
    .sort((a, b) => a.le - b.le),
  { le: '+Inf', count: n },
];
/** p95 0.2 s through stable's buckets; the candidate's lack le 0.2. */
const stableLayout = (n: number, slowdown = 1) =>
  histogram(n, { 0.05: 0.5 / slowdown, 0.1: 0.8 / slowdown, 0.2: 0.95 / slowdown, 0.4: 0.99, 0.8: 1 });
const otherLayout = (n: number, slowdown = 1) =>
  histogram(n, { 0.1: 0.8 / slowdown, 0.4: 0.99 / slowdown, 1: 1 });

const judge = (canary: Bucket[], baseline: Bucket[]) =>
  judgeLatency({
    canary: { buckets: canary },
    baseline: { buckets: baseline },
    quantile: 0.95,
    maxIncrease: 0.1,
    alpha: 0.05,
    unit: 's',
    names: { candidate: 'v2', baseline: 'v1' },
  });

describe('the latency judge on histograms with different bucket bounds', () => {
  it('passes a candidate as fast as stable exported with other buckets, and still fails a slower one', () => {
    const same = judge(otherLayout(200_000), stableLayout(1_000_000));
    expect(same.verdict).toBe('pass');
    expect(same.note).toMatch(
      /^no regression beyond ×1\.1: p95 0\.1–0\.4 s \(≈0\.337\) on v2 vs 0\.1–0\.4 s \(≈0\.337\) on v1; slower than 0\.4 s: .*; judged on the bucket bounds both histograms have \(le 0\.1, 0\.4\)$/,
    );
    // Twice as many requests slower than 0.4 s on the candidate: still seen through the shared bounds.
    expect(judge(otherLayout(200_000, 1.01), stableLayout(1_000_000)).verdict).toBe('fail');
  });

  it('is inconclusive, never a failure, when the candidate has a +Inf bucket only', () => {
    const j = judge([{ le: '+Inf', count: 5000 }], stableLayout(200_000));
    expect(j.verdict).toBe('inconclusive');
    expect(j.note).toBe(
      "v2's latency histogram has a +Inf bucket only, which tells no latency: export it with bucket bounds (le)",
    );
  });
});
