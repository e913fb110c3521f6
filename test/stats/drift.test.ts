import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random.js';
import {
  dkwRadius,
  jensenShannon,
  judgeDrift,
  ksStatistic,
  psi,
  wasserstein,
} from '../../src/stats/drift.js';
import { close, reference } from './reference.js';

const ref = reference('drift');

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
