import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random.js';
import type { Bucket } from '../../src/metrics/histogram.js';
import { countAbove, exceedanceEdge, judgeLatency } from '../../src/stats/latency.js';

const BOUNDS = Array.from({ length: 60 }, (_, i) => Math.round(20 * 1.03 ** i * 100) / 100);

function histogram(samples: number[]): Bucket[] {
  const counts = new Array<number>(BOUNDS.length + 1).fill(0);
  for (const s of samples) {
    let i = 0;
    while (i < BOUNDS.length && s > (BOUNDS[i] as number)) i++;
    counts[i] = (counts[i] as number) + 1;
  }
  let acc = 0;
  return counts.map((c, i) => {
    acc += c;
    return { le: i < BOUNDS.length ? (BOUNDS[i] as number) : '+Inf', count: acc };
  });
}

const rng = new Random(11);
const lognormal = (n: number, scale = 1) =>
  Array.from({ length: n }, () => 40 * scale * Math.exp(0.4 * rng.normal()));

describe('the latency judge (exceedances of the baseline quantile)', () => {
  it('counts requests slower than an edge from buckets and from samples alike', () => {
    const samples = lognormal(5000);
    const h = histogram(samples);
    const edge = BOUNDS[30] as number;
    expect(countAbove({ buckets: h }, edge)).toBe(countAbove({ samples }, edge));
  });

  it('counts slow requests above the bucket bound nearest to the reference quantile', () => {
    const edge = exceedanceEdge({ buckets: histogram(lognormal(20_000)) }, 0.95);
    expect(BOUNDS).toContain(edge);
    // p95 of lognormal(ln 40, 0.4) is 77.4 ms; the grid's steps are 3%.
    expect(Math.abs((edge ?? 0) / 77.4 - 1)).toBeLessThan(0.03);
    expect(exceedanceEdge({ samples: [1, 2, 3, 4] }, 0.5)).toBe(2);
  });

  it('fails a 25% slower p95 within a few hundred candidate requests, and passes an unchanged one in time', () => {
    const reference = { buckets: histogram(lognormal(50_000)) };
    const slow = judgeLatency({
      canary: { buckets: histogram(lognormal(500, 1.25)) },
      baseline: { buckets: histogram(lognormal(30_000)) },
      reference,
      quantile: 0.95,
      maxIncrease: 0.1,
      alpha: 0.05,
    });
    expect(slow.verdict).toBe('fail');
    expect(slow.evidence.method).toBe('sequential-exceedance');
    expect(slow.evidence.canary?.value).toBeGreaterThan(slow.evidence.baseline?.value ?? 0);
    expect(slow.note).toMatch(
      /^p95 [\d.]+–[\d.]+ ms \(≈[\d.]+\) on the candidate vs [\d.]+–[\d.]+ ms \(≈[\d.]+\) on the baseline; slower than [\d.]+ ms: [\d.]+% of the candidate's requests vs [\d.]+% of the baseline's \(×[\d.]+, at least ×[\d.]+; tolerated ×1\.1\); e-value \S+ ≥ 20$/,
    );
    const same = judgeLatency({
      canary: { samples: lognormal(60_000) },
      baseline: { samples: lognormal(180_000) },
      quantile: 0.95,
      maxIncrease: 0.1,
      alpha: 0.05,
    });
    expect(same.verdict).toBe('pass');
  });

  it('is inconclusive on empty arms or without a reference to place the quantile', () => {
    const h = histogram(lognormal(1000));
    expect(
      judgeLatency({
        canary: { buckets: [] },
        baseline: { buckets: h },
        quantile: 0.95,
        maxIncrease: 0,
        alpha: 0.05,
      }).verdict,
    ).toBe('inconclusive');
    const j = judgeLatency({
      canary: { buckets: h },
      baseline: { buckets: h },
      reference: { samples: [] },
      quantile: 0.95,
      maxIncrease: 0.1,
      alpha: 0.05,
    });
    expect(j.verdict).toBe('inconclusive');
    expect(j.note).toBe('no reference latency to place the baseline p95');
  });
});
