import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hodgesLehmann, hodgesLehmannExact, mannWhitneyU } from '../../src/stats/mann-whitney.js';
import { close, reference } from './reference.js';

const ref = reference('mann-whitney');

describe('Mann-Whitney U and the Hodges-Lehmann shift', () => {
  it('gives scipy.stats.mannwhitneyu(method="asymptotic") U and p-values, with ties', () => {
    for (const c of ref.cases) {
      for (const alt of ['two-sided', 'less', 'greater'] as const) {
        const r = mannWhitneyU(c.x, c.y, alt);
        close(r.u, c[alt].u, 1e-12);
        close(r.pValue, c[alt].p, 1e-10);
      }
    }
  });

  it("gives R's asymptotic wilcox.test shift and interval (Kayenta's), and numpy's exact median", () => {
    for (const c of ref.cases) {
      const hl = hodgesLehmann(c.x, c.y, c.hl.confidence);
      expect(hl).toBeDefined();
      const scale = Math.max(...c.x.map(Math.abs), ...c.y.map(Math.abs));
      close(hl?.estimate ?? Number.NaN, c.hl.estimate, 1e-9 * scale);
      close(hl?.interval[0] ?? Number.NaN, c.hl.interval[0], 1e-9 * scale);
      close(hl?.interval[1] ?? Number.NaN, c.hl.interval[1], 1e-9 * scale);
      close(hodgesLehmannExact(c.x, c.y), c.hl.exactMedian, 1e-12);
    }
  });

  it('is undefined when every value is tied or a sample is empty', () => {
    expect(hodgesLehmann([1, 1], [1, 1, 1], 0.95)).toBeUndefined();
    expect(hodgesLehmann([], [1, 2], 0.95)).toBeUndefined();
  });

  it('moves the shift with the data: adding c to x adds c to the estimate and its interval', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 3, maxLength: 25 }),
        fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 3, maxLength: 25 }),
        fc.integer({ min: -500, max: 500 }),
        (x, y, c) => {
          const a = hodgesLehmann(x, y, 0.95);
          const b = hodgesLehmann(
            x.map((v) => v + c),
            y,
            0.95,
          );
          if (!a || !b) return;
          expect(b.estimate).toBeCloseTo(a.estimate + c, 6);
          expect(b.interval[0]).toBeCloseTo(a.interval[0] + c, 6);
          expect(a.interval[0]).toBeLessThanOrEqual(a.estimate + 1e-9);
          expect(a.estimate).toBeLessThanOrEqual(a.interval[1] + 1e-9);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('U of x never decreases when x moves up, and U(x) + U(y) = n1 n2', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 20 }),
        (x, y) => {
          const u = mannWhitneyU(x, y).u;
          expect(u + mannWhitneyU(y, x).u).toBeCloseTo(x.length * y.length, 9);
          expect(
            mannWhitneyU(
              x.map((v) => v + 1),
              y,
            ).u,
          ).toBeGreaterThanOrEqual(u);
        },
      ),
    );
  });
});
