import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random.js';
import { decideConversion, judgeConversion } from '../../src/stats/conversion.js';
import { nullVariance, restrictedRates } from '../../src/stats/farrington-manning.js';
import { closeRel, reference } from './reference.js';

// A non-inferiority margin tests pc = f·pb with f ≠ 1: the arms' rates differ under that null, so
// the pooled variance (exact only at f = 1) understated the candidate's when the baseline carried
// most of the traffic, and a candidate exactly at the margin was promoted far more often than alpha.

/** Looks of 500 requests split `share` to the candidate, both arms converting at their true rates. */
function* looks(random: Random, candidate: number, baseline: number, share: number, count: number) {
  const nC = Math.round(500 * share);
  let [xc, xb] = [0, 0];
  for (let look = 1; look <= count; look++) {
    for (let i = 0; i < nC; i++) if (random.next() < candidate) xc++;
    for (let i = 0; i < 500 - nC; i++) if (random.next() < baseline) xb++;
    yield { look, xc, nc: look * nC, xb, nb: look * (500 - nC) };
  }
}

describe('the conversion test at a non-inferiority margin', () => {
  it('does not promote a candidate converting exactly at the margin on an early high look', () => {
    // Baseline 90%, 10% of traffic on a candidate at 81% (exactly 10% worse), margin 10%. This
    // seeded A/B was promoted at its second look (91 of 100 against 806 of 900) with e-value 78.8;
    // the candidate's variance there is 0.81 × 0.19, not the pool's 0.9 × 0.1.
    const margin = { alpha: 0.05, margin: 0.1 };
    for (const { look, xc, nc, xb, nb } of looks(new Random(47), 0.81, 0.9, 0.1, 400)) {
      expect(decideConversion(margin, xc, nc, xb, nb).verdict, `look ${look}`).not.toBe('pass');
    }
    const second = judgeConversion({
      canary: { conversions: 91, total: 100 },
      baseline: { conversions: 806, total: 900 },
      ...margin,
    });
    expect(second.verdict).toBe('inconclusive');
    expect(second.note).toMatch(
      /^not yet conclusive \(needs more data; decides at an e-value of 20\): 91\.00% on the candidate vs 89\.56% on the baseline \(lift \+1\.6%; 90% always-valid interval -11\.0% to/,
    );
    expect(second.note).not.toContain('no worse than');
  });

  it('promotes a candidate at the margin in no more than alpha of seeded A/Bs', () => {
    // Baseline 90%, 5% of traffic, margin 30%, candidate at 63%: the pooled variance promoted about
    // a quarter of these A/Bs at alpha 0.05.
    let promoted = 0;
    for (let run = 0; run < 100; run++) {
      for (const { xc, nc, xb, nb } of looks(new Random(1000 + run), 0.63, 0.9, 0.05, 400)) {
        const { verdict } = decideConversion({ alpha: 0.05, margin: 0.3 }, xc, nc, xb, nb);
        if (verdict === 'pass') promoted++;
        if (verdict !== 'inconclusive') break;
      }
    }
    expect(promoted).toBeLessThanOrEqual(5);
  });

  it('uses the rates restricted to the margin that scipy finds as the root of the likelihood score', () => {
    for (const c of reference('normal-mixture').nullVariance) {
      const [xc, nc] = c.canary;
      const [xb, nb] = c.baseline;
      const [pc, pb] = restrictedRates(xc, nc, xb, nb, c.factor);
      closeRel(pc, c.rates[0], 1e-9);
      closeRel(pb, c.rates[1], 1e-9);
      closeRel(nullVariance(xc, nc, xb, nb, c.factor), c.variance, 1e-9);
    }
  });

  it('keeps the pooled variance without a margin, where both arms share one rate', () => {
    const pooled = 1000 / 20_000;
    expect(nullVariance(300, 10_000, 700, 10_000, 1)).toBe(pooled * (1 - pooled) * (1 / 10_000 + 1 / 10_000));
    // ... and the restricted rates meet it there.
    const [pc, pb] = restrictedRates(300, 10_000, 700, 10_000, 1);
    closeRel(pc, pooled, 1e-12);
    closeRel(pb, pooled, 1e-12);
  });

  it('plans the sample a margin needs with the same variance the test uses', () => {
    // Baseline 90% on both arms, 1:9 split, margin 2%: the restricted variance is larger than the
    // pooled one here, so the plan grows (5,192 with the pooled variance, under the stated power).
    const arm = (total: number) => ({ conversions: 0.9 * total, total });
    const j = judgeConversion({ canary: arm(1000), baseline: arm(9000), margin: 0.02, alpha: 0.05 });
    expect(j.evidence.sampleSize).toBe(5708);
    expect(j.note).toContain('1,000 of 5,708 planned candidate exposures (17%), where it has 80% power');
  });
});
