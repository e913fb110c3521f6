import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  betaPriorAround,
  logMixtureE,
  logMixtureEAbove,
  logMixtureEBelow,
  mixtureBounds,
} from '../../src/stats/beta-binomial.js';
import { close, reference } from './reference.js';

const ref = reference('beta-binomial');

describe('the Beta-binomial mixture e-value', () => {
  it('matches numerical integration of the mixture (scipy.integrate.quad), full and truncated', () => {
    for (const c of ref.cases) {
      const prior = { a: c.a, b: c.b };
      close(logMixtureE(c.x, c.y, prior, c.p0), c.full, 1e-9);
      close(logMixtureEAbove(c.x, c.y, prior, c.p0), c.above, 1e-8);
      close(logMixtureEBelow(c.x, c.y, prior, c.p0), c.below, 1e-8);
    }
  });

  it('matches scipy.special.betaln and beta.logsf / logcdf for large counts', () => {
    for (const c of ref.big) {
      const prior = { a: c.a, b: c.b };
      close(logMixtureE(c.x, c.y, prior, c.p0), c.full, 1e-9);
      close(logMixtureEAbove(c.x, c.y, prior, c.p0), c.above, 1e-7);
      close(logMixtureEBelow(c.x, c.y, prior, c.p0), c.below, 1e-7);
    }
  });

  it('gives the one-sided bounds a scipy root finder gives', () => {
    for (const c of ref.intervals) {
      const [lo, hi] = mixtureBounds(c.x, c.y, { a: c.a, b: c.b }, c.alpha);
      close(lo, c.bounds[0], 1e-8);
      close(hi, c.bounds[1], 1e-8);
    }
  });

  it('centres the prior where asked, with the asked relative spread', () => {
    const { a, b } = betaPriorAround(0.011, 1);
    expect(a / (a + b)).toBeCloseTo(0.011, 12);
    const sd = Math.sqrt((a * b) / ((a + b) ** 2 * (a + b + 1)));
    expect(sd / (0.011 * 0.989)).toBeCloseTo(1, 10);
  });

  it('never lowers the evidence of an increase when a candidate event is added', () => {
    const prior = betaPriorAround(0.05, 1);
    fc.assert(
      fc.property(fc.nat(300), fc.nat(3000), (x, y) => {
        expect(logMixtureEAbove(x + 1, y, prior, 0.05)).toBeGreaterThanOrEqual(
          logMixtureEAbove(x, y, prior, 0.05) - 1e-9,
        );
        expect(logMixtureEAbove(x, y + 1, prior, 0.05)).toBeLessThanOrEqual(
          logMixtureEAbove(x, y, prior, 0.05) + 1e-9,
        );
      }),
    );
  });

  it('narrows its bounds as the same proportions accumulate', () => {
    const prior = betaPriorAround(0.1, 1);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 20, max: 600 }), (x, y) => {
        const [l1, h1] = mixtureBounds(x, y, prior, 0.05);
        const [l2, h2] = mixtureBounds(4 * x, 4 * y, prior, 0.05);
        expect(h2 - l2).toBeLessThan(h1 - l1);
      }),
      { numRuns: 40 },
    );
  });
});
