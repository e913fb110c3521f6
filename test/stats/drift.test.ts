import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random.js';
import type { Bucket } from '../../src/metrics/histogram.js';
import {
  dkwRadius,
  driftSizes,
  jensenShannon,
  judgeDrift,
  ksStatistic,
  psi,
  wasserstein,
} from '../../src/stats/drift.js';
import { close, reference } from './reference.js';

const ref = reference('drift');

/** Cumulative buckets from counts per bucket on finite `bounds`, the last count the `+Inf` bucket's. */
const cumulative = (bounds: number[], counts: number[]): Bucket[] => {
  let acc = 0;
  return counts.map((c, i) => {
    acc += c;
    return { le: bounds[i] ?? '+Inf', count: acc };
  });
};

describe('drift: the time-uniform KS judge and the effect sizes', () => {
  it('computes the KS statistic and Wasserstein distance scipy computes (ks_2samp, wasserstein_distance)', () => {
    for (const c of ref.samples) {
      close(ksStatistic(c.a, c.b), c.ks, 1e-12);
      close(wasserstein(c.a, c.b), c.wasserstein, 1e-10);
    }
  });

  it('computes PSI, the Jensen-Shannon distance and the weighted Wasserstein distance on histograms', () => {
    for (const h of ref.histograms) {
      close(jensenShannon(h.expected, h.actual), h.js, 1e-12);
      close(psi(h.expected, h.actual), h.psi, 1e-12);
      close(wasserstein(h.values, h.values, h.actual, h.expected), h.wasserstein, 1e-12);
    }
  });

  it('spreads each bucket over its width for Wasserstein on histograms, as integrating the interpolated CDFs does', () => {
    for (const h of ref.bucketWasserstein) {
      const sizes = driftSizes(
        { buckets: cumulative(h.bounds, h.actual) },
        { buckets: cumulative(h.bounds, h.expected) },
      );
      close(sizes.wasserstein, h.wasserstein, 1e-12);
      expect(sizes.wassersteinBeyond !== undefined, `${h.bounds} at least`).toBe(h.atLeast);
    }
  });

  it('reads a window wholly above the top finite bound as at least 0.25 away, not 0, and says why', () => {
    // The reference all in (0.5, 1], the window all above 1: spread over (0.5, 1] against counted at 1,
    // ∫ from 0.5 to 1 of (x − 0.5) / 0.5 dx = 0.25 (the code said 0, beside KS 1 and PSI 18.4).
    const j = judgeDrift({
      canary: { buckets: cumulative([0.5, 1], [0, 0, 1000]) },
      baseline: { buckets: cumulative([0.5, 1], [0, 1000, 0]) },
      alpha: 0.05,
    });
    close(j.sizes?.wasserstein as number, 0.25, 1e-12);
    // Beyond the bounds the reference's sd is not known either: Wasserstein has no band there.
    expect(j.note).toContain('JS 1 (notable shift), Wasserstein ≥ 0.25 (values above 1 counted as 1)');
  });

  it('spreads quarter buckets over their width: uniform against 0.1..0.4 is 0.125 apart with a bound at 1, at least 0.106 without (not 0.0875)', () => {
    // CDFs at 0.25, 0.5, 0.75 differ by 0.15, 0.2, 0.15 (0 at 0 and 1): trapezoids of width 0.25,
    // 0.25 × (0.075 + 0.175 + 0.175 + 0.075) = 0.125. Without the bound at 1 the last quarter is
    // unknown: the first three give 0.25 × (0.075 + 0.175 + 0.175) = 0.10625, a lower bound.
    const uniform = [250, 250, 250, 250];
    const rising = [100, 200, 300, 400];
    const quarters = [0.25, 0.5, 0.75];
    const closed = driftSizes(
      { buckets: cumulative([...quarters, 1], [...rising, 0]) },
      { buckets: cumulative([...quarters, 1], [...uniform, 0]) },
    );
    close(closed.wasserstein, 0.125, 1e-12);
    expect(closed.wassersteinBeyond).toBeUndefined();
    const open = judgeDrift({
      canary: { buckets: cumulative(quarters, rising) },
      baseline: { buckets: cumulative(quarters, uniform) },
      alpha: 0.05,
    });
    close(open.sizes?.wasserstein as number, 0.10625, 1e-12);
    expect(open.note).toContain('Wasserstein ≥ 0.106 (values above 0.75 counted as 0.75)');
  });

  it('gives Jensen-Shannon and Wasserstein their usual bands: JS 0.1, Wasserstein 0.1 × the reference sd', () => {
    // Uniform on [0, 1] in quarters: sd 1/√12 = 0.2887 (each bucket spread over its width, as
    // Wasserstein reads it; the midpoints alone say 0.2795); W 0.125 is 0.433 of it.
    const quarters = [0.25, 0.5, 0.75, 1];
    const uniform = cumulative(quarters, [250, 250, 250, 250, 0]);
    const rising = judgeDrift({
      canary: { buckets: cumulative(quarters, [100, 200, 300, 400, 0]) },
      baseline: { buckets: uniform },
      alpha: 0.05,
    });
    close(rising.sizes?.referenceSd as number, 1 / Math.sqrt(12), 1e-12);
    expect(rising.note).toContain(
      "PSI 0.228 (moderate shift), JS 0.201 (notable shift), Wasserstein 0.125 (0.433 × the baseline's sd: notable shift)",
    );
    const slight = judgeDrift({
      canary: { buckets: cumulative(quarters, [240, 250, 250, 260, 0]) },
      baseline: { buckets: uniform },
      alpha: 0.05,
      names: { canary: 'window', baseline: 'reference' },
    });
    expect(slight.note).toContain(
      "PSI 8.00e-4 (no shift), JS 0.012 (no notable shift), Wasserstein 0.0075 (0.026 × the reference's sd: no notable shift)",
    );
    // Samples: numpy's std of 0..11 is 3.452; W 1 is 0.29 of it.
    const shifted = judgeDrift({
      canary: { samples: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] },
      baseline: { samples: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] },
      alpha: 0.05,
    });
    close(shifted.sizes?.referenceSd as number, 3.452052529534663, 1e-12);
    expect(shifted.note).toContain("Wasserstein 1 (0.29 × the baseline's sd: notable shift)");
  });

  it("uses Howard & Ramdas' time-uniform DKW radius, shrinking with n", () => {
    for (const [n, alpha, want] of ref.dkw) close(dkwRadius(n, alpha), Math.min(1, want), 1e-12);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e7 }), (n) => {
        expect(dkwRadius(n + 1, 0.05)).toBeLessThanOrEqual(dkwRadius(n, 0.05));
      }),
    );
  });

  it('fails a shifted distribution, passes the same one, and is inconclusive on NaN or no data', () => {
    const rng = new Random(3);
    const draw = (n: number, shift: number) => Array.from({ length: n }, () => rng.normal() + shift);
    const baseline = draw(20_000, 0);
    expect(
      judgeDrift({ canary: { samples: draw(5000, 0.5) }, baseline: { samples: baseline }, alpha: 0.05 })
        .verdict,
    ).toBe('fail');
    const same = judgeDrift({
      canary: { samples: draw(20_000, 0) },
      baseline: { samples: baseline },
      alpha: 0.05,
    });
    expect(same.verdict).toBe('pass');
    expect(same.sizes?.psi).toBeLessThan(0.1);
    expect(same.note).toMatch(/^no drift beyond tolerance: KS distance/);
    expect(
      judgeDrift({ canary: { samples: [] }, baseline: { samples: baseline }, alpha: 0.05 }).verdict,
    ).toBe('inconclusive');
    expect(
      judgeDrift({ canary: { samples: [Number.NaN] }, baseline: { samples: baseline }, alpha: 0.05 }).verdict,
    ).toBe('inconclusive');
  });

  it('judges histograms with the same bounds', () => {
    const b = (counts: number[]) => {
      let acc = 0;
      return counts.map((c, i) => {
        acc += c;
        return { le: i === counts.length - 1 ? ('+Inf' as const) : (i + 1) / 4, count: acc };
      });
    };
    const j = judgeDrift({
      canary: { buckets: b([4000, 3000, 2000, 1000]) },
      baseline: { buckets: b([1000, 2000, 3000, 4000]) },
      alpha: 0.05,
    });
    expect(j.verdict).toBe('fail');
    expect(j.evidence.effect).toBeCloseTo(0.4, 12);
  });
});
