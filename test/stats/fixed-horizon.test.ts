import { describe, expect, it } from 'vitest';
import {
  sampleSizeNonInferiority,
  sampleSizeTwoProportions,
  zTestProportions,
} from '../../src/stats/fixed-horizon.js';
import { close, reference } from './reference.js';

const ref = reference('fixed-horizon');

describe('fixed-horizon two-proportion tests', () => {
  it('sizes a test for the stated power as the scipy.stats.norm formula does', () => {
    for (const c of ref.sizes) {
      expect(
        sampleSizeTwoProportions({
          baseline: c.baseline,
          candidate: c.candidate,
          margin: c.margin,
          alpha: c.alpha,
          power: c.power,
          ratio: c.ratio,
          sided: c.sided,
        }),
      ).toBe(c.n);
    }
    expect(
      sampleSizeTwoProportions({
        baseline: 0.01,
        candidate: 0.0105,
        margin: 0.1,
        alpha: 0.05,
        power: 0.8,
        ratio: 9,
      }),
    ).toBe(Number.POSITIVE_INFINITY);
  });

  it('sizes a non-inferiority test (no true difference) as the scipy.stats.norm formula does', () => {
    for (const c of ref.nonInferiority) {
      const { n, ...input } = c;
      expect(sampleSizeNonInferiority(input)).toBe(n);
    }
    expect(sampleSizeNonInferiority({ baseline: 0.05, margin: 0, alpha: 0.05, power: 0.8, ratio: 1 })).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it('computes the Wald z statistic and its one-sided p-values (scipy.stats.norm.sf / cdf)', () => {
    for (const c of ref.tests) {
      const canary = { events: c.canary[0], total: c.canary[1] };
      const baseline = { events: c.baseline[0], total: c.baseline[1] };
      close(zTestProportions(canary, baseline, c.factor).z, c.z, 1e-12);
      close(zTestProportions(canary, baseline, c.factor).pValue, c.pIncrease, 1e-12);
      close(zTestProportions(canary, baseline, c.factor, 'decrease').pValue, c.pDecrease, 1e-12);
    }
  });
});
