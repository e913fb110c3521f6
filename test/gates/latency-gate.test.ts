import { describe, expect, it } from 'vitest';
import { measureLatency } from '../../src/gates/latency-gate.js';
import type { StatisticalContext } from '../../src/gates/ratio-gate.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { latencyGate } from '../support/model-config.js';
import { FakeCounts } from './fake-metrics.js';

const T0 = Date.UTC(2026, 0, 1);

function ctx(metrics: FakeCounts, seconds: number, weight = 5): StatisticalContext {
  return {
    metrics,
    model: 'fraud',
    stable: 'v1',
    candidate: 'v2',
    since: T0,
    now: T0 + seconds * 1000,
    minRequests: 100,
    weight,
  };
}

const p95 = latencyGate;

const arms = (canaryMedian: number) =>
  new FakeCounts({
    stable: { rps: 95, errorRate: 0, medianMs: 40 },
    canary: { rps: 5, errorRate: 0, medianMs: canaryMedian },
  });

/** 100 requests a second, `share` of them served by the candidate. */
const served = (share: number, canaryMedian: number) =>
  new FakeCounts({
    stable: { rps: 100 * (1 - share), errorRate: 0, medianMs: 40 },
    canary: { rps: 100 * share, errorRate: 0, medianMs: canaryMedian },
  });

describe('the latency gate', () => {
  it('fails a candidate whose latency is 25% higher within a few hundred requests, showing the quantiles', async () => {
    const m = await measureLatency(p95(), ctx(arms(50), 60));
    expect(m.verdict).toBe('fail');
    expect(m.canaryRequests).toBe(300);
    expect(m.canary).toBeGreaterThan((m.baseline ?? 0) * 1.2);
    expect(m.evidence?.method).toBe('sequential-exceedance');
    expect(m.note).toMatch(
      /^p95 [\d.]+–[\d.]+ ms \(≈[\d.]+\) on v2 vs [\d.]+–[\d.]+ ms \(≈[\d.]+\) on v1; slower than [\d.]+ ms: [\d.]+% of v2's requests vs [\d.]+% of v1's \(×[\d.]+, at least ×[\d.]+; tolerated ×1\.1\); e-value \S+ ≥ 20$/,
    );
  });

  it('reads the baseline quantile from the stable version before the step', async () => {
    const metrics = arms(40);
    const asked: MetricWindow[] = [];
    const buckets = metrics.buckets.bind(metrics);
    metrics.buckets = async (q, w) => {
      asked.push(w);
      return buckets(q, w);
    };
    await measureLatency(p95(), ctx(metrics, 600));
    expect(asked).toContainEqual(expect.objectContaining({ slot: 'stable', since: T0 - 600_000, until: T0 }));
  });

  it('passes an unchanged candidate once the evidence is in, and judges by thresholds when asked', async () => {
    expect((await measureLatency(p95(), ctx(arms(40), 60))).verdict).toBe('waiting');
    expect((await measureLatency(p95(), ctx(arms(40), 4 * 3600))).verdict).toBe('pass');
    expect(await measureLatency(p95({ judge: 'threshold' }), ctx(arms(50), 60))).toMatchObject({
      verdict: 'fail',
      note: expect.stringMatching(
        /^.* ms is 2\d\.\d% over the baseline .* ms \(max \+10%\); the p95 values compared are interpolated inside buckets \(v2's lies in [\d.]+–[\d.]+ ms, v1's in [\d.]+–[\d.]+ ms\): estimates, not measurements$/,
      ),
    });
  });

  it('never fails an unchanged 25% canary that serves 30% of the requests, and passes it', async () => {
    const metrics = served(0.3, 40);
    const looks = [];
    for (let minute = 1; minute <= 60; minute++)
      looks.push(await measureLatency(p95(), ctx(metrics, 60 * minute, 25)));
    expect(looks.filter((m) => m.verdict === 'fail')).toEqual([]);
    expect(looks.at(-1)?.verdict).toBe('pass');
  });

  it('still fails a 10% slower p95 at a skewed split, a canary configured at 25% serving 15%', async () => {
    const m = await measureLatency(p95(), ctx(served(0.15, 44), 1800, 25));
    expect(m.verdict).toBe('fail');
    expect(m.note).toMatch(/\(×[\d.]+, at least ×[\d.]+; tolerated ×1\.1\); e-value \S+ ≥ 20$/);
  });

  it('is inconclusive without histograms, and an error when the source has none or fails', async () => {
    const empty = arms(40);
    empty.buckets = async () => undefined;
    expect(await measureLatency(p95(), ctx(empty, 600))).toMatchObject({
      verdict: 'inconclusive',
      note: expect.stringMatching(
        /^no latency histogram for the canary slot \(version \S+\) nor the stable slot \(version \S+\): "/,
      ),
    });
    const baselineOnly = arms(40);
    const answer = baselineOnly.buckets.bind(baselineOnly);
    baselineOnly.buckets = async (query, w) => (w.slot === 'canary' ? [] : answer(query, w));
    expect((await measureLatency(p95(), ctx(baselineOnly, 600))).note).toMatch(
      /^no latency histogram for the canary slot \(version \S+\): "/,
    );
    const scalar = { requests: async () => 1000, value: async () => undefined };
    expect(await measureLatency(p95(), { ...ctx(arms(40), 600), metrics: scalar })).toMatchObject({
      verdict: 'error',
      note: 'the metrics source has no histograms (latency gates need a buckets query)',
    });
    const down = arms(40);
    down.failing = true;
    expect((await measureLatency(p95(), ctx(down, 600))).verdict).toBe('error');
  });
});
