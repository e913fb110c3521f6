import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judgeConversion, logMixtureNormal, mixtureHalfWidth } from '../../src/stats/conversion.js';
import { close, reference } from './reference.js';

const ref = reference('normal-mixture');

describe('the conversion judge (mixture SPRT, Johari et al. 2017)', () => {
  it('matches numerical integration of the normal mixture, two-sided and one-sided', () => {
    for (const c of ref.cases) {
      close(logMixtureNormal(c.diff, c.variance, c.tau, 'two'), c.two, 1e-8);
      close(logMixtureNormal(c.diff, c.variance, c.tau, 'less'), c.less, 1e-8);
      close(logMixtureNormal(c.diff, c.variance, c.tau, 'greater'), c.greater, 1e-8);
    }
  });

  it('places the bound where the one-sided mixture reaches 1/alpha', () => {
    const c = mixtureHalfWidth(1e-6, 0.002, 0.05);
    close(logMixtureNormal(-c, 1e-6, 0.002, 'less'), Math.log(20), 1e-9);
  });

  it('fails a 10% drop in conversion with enough traffic, and reports the sample size', () => {
    const j = judgeConversion({
      canary: { conversions: 4500, total: 100_000 },
      baseline: { conversions: 15_000, total: 300_000 },
      alpha: 0.05,
    });
    expect(j.verdict).toBe('fail');
    expect(j.evidence.effect).toBeCloseTo(-0.1, 10);
    expect(j.evidence.interval?.[1]).toBeLessThan(0);
    expect(j.evidence.pValue).toBeLessThan(0.05);
    const early = judgeConversion({
      canary: { conversions: 45, total: 1000 },
      baseline: { conversions: 150, total: 3000 },
      alpha: 0.05,
    });
    expect(early.verdict).toBe('inconclusive');
    // 1000 canary requests of the 14,544 a fixed-horizon test needs for a 10% drop at a 1:3 split.
    expect(early.note).toMatch(
      /; 1000 of the 14544 candidate requests a fixed-horizon test would need \(7%\)$/,
    );
    expect(j.note).toMatch(
      /; decided at \d+% of the \d+ candidate requests a fixed-horizon test would need$/,
    );
  });

  it('passes a non-inferior candidate within the margin, and handles the two-sided case', () => {
    const counts = {
      canary: { conversions: 10_100, total: 200_000 },
      baseline: { conversions: 30_000, total: 600_000 },
    };
    expect(judgeConversion({ ...counts, margin: 0.05, alpha: 0.05 }).verdict).toBe('pass');
    expect(judgeConversion({ ...counts, direction: 'either', margin: 0.05, alpha: 0.05 }).verdict).toBe(
      'pass',
    );
    expect(judgeConversion({ ...counts, direction: 'increase', alpha: 0.05 }).verdict).not.toBe('fail');
  });

  it('reports the sample size that shows non-inferiority when a margin is set', () => {
    // 5% conversion on both arms, 1:1, margin 10%: 21,262 per arm (the scipy reference).
    const early = judgeConversion({
      canary: { conversions: 100, total: 2000 },
      baseline: { conversions: 100, total: 2000 },
      margin: 0.1,
      alpha: 0.05,
    });
    expect(early.verdict).toBe('inconclusive');
    expect(early.note).toMatch(
      /; 2000 of the 21262 candidate requests a fixed-horizon test would need \(9%\)$/,
    );
  });

  it('is inconclusive on NaN, empty or too-small data', () => {
    const base = { alpha: 0.05 };
    expect(
      judgeConversion({
        ...base,
        canary: { conversions: Number.NaN, total: 10 },
        baseline: { conversions: 1, total: 10 },
      }).verdict,
    ).toBe('inconclusive');
    expect(
      judgeConversion({
        ...base,
        canary: { conversions: 0, total: 0 },
        baseline: { conversions: 1, total: 10 },
      }).verdict,
    ).toBe('inconclusive');
    expect(
      judgeConversion({
        ...base,
        canary: { conversions: 0, total: 20 },
        baseline: { conversions: 1, total: 40 },
      }).verdict,
    ).toBe('inconclusive');
  });

  it('never weakens the evidence of a drop when the candidate converts less', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 900 }), (x) => {
        const e = (c: number) =>
          judgeConversion({
            canary: { conversions: c, total: 10_000 },
            baseline: { conversions: 3000, total: 30_000 },
            alpha: 0.05,
          });
        const fewer = e(x - 1);
        const more = e(x);
        if (more.verdict === 'fail') expect(fewer.verdict).toBe('fail');
      }),
    );
  });
});
