import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random.js';
import { decideConversion, judgeConversion } from '../../src/stats/conversion.js';
import { eValueText } from '../../src/stats/counts.js';
import { sampleSizeTwoProportions } from '../../src/stats/fixed-horizon.js';

// The planned sample an A/B runs to: where the conversion judge's always-valid test has the
// stated power, checked by simulating that test, looked at every 100 requests per arm.
const design = { alpha: 0.05, power: 0.8, ratio: 1, sided: 1 } as const;

/**
 * Share of `trials` A/Bs with a true change from `baseline` to `candidate` (by default a 10% drop
 * from 30%) that the test decides as `found` (a drop fails, a rise passes) within `n` per arm.
 */
function powerWithin(n: number, trials = 400, { baseline = 0.3, candidate = 0.27 } = {}): number {
  const random = new Random(42);
  const found = candidate < baseline ? 'fail' : 'pass';
  let hits = 0;
  for (let t = 0; t < trials; t++) {
    let xc = 0;
    let xb = 0;
    for (let seen = 100; seen <= n; seen += 100) {
      for (let i = 0; i < 100; i++) {
        if (random.next() < candidate) xc++;
        if (random.next() < baseline) xb++;
      }
      if (decideConversion({ alpha: 0.05 }, xc, seen, xb, seen).verdict === found) {
        hits++;
        break;
      }
    }
  }
  return hits / trials;
}

describe("the conversion judge's planned sample", () => {
  it('is where the always-valid test has the stated power: about twice the fixed-horizon size', () => {
    const fixed = sampleSizeTwoProportions({ ...design, baseline: 0.3, candidate: 0.27 });
    const arm = { conversions: 3000, total: 10_000 };
    const planned = judgeConversion({ canary: arm, baseline: arm, alpha: 0.05 }).evidence.sampleSize ?? 0;
    expect(planned / fixed).toBeGreaterThan(1.8);
    expect(planned / fixed).toBeLessThan(2.4);
    // Read at the fixed-horizon size, the same test would miss the design's effect half the time.
    expect(powerWithin(fixed)).toBeLessThan(0.6);
    const power = powerWithin(planned);
    expect(power).toBeGreaterThanOrEqual(0.8);
    expect(power).toBeLessThan(0.9);
  });

  it('has the power for a winner, which the A/B needs to pass, where a rise needs more than a drop', () => {
    // A 30% rise from 5% (6.5%) varies more than a 30% drop (3.5%): a drop's size finds it 62% of the time.
    const arm = { conversions: 500, total: 10_000 };
    const planned = judgeConversion({ canary: arm, baseline: arm, alpha: 0.05, mde: 0.3 }).evidence
      .sampleSize;
    expect(powerWithin(planned ?? 0, 400, { baseline: 0.05, candidate: 0.065 })).toBeGreaterThanOrEqual(0.8);
  });

  it('is shown in an undecided note, and planned for the possible side alone', () => {
    const arm = { conversions: 300, total: 1000 };
    const j = judgeConversion({ canary: arm, baseline: arm, alpha: 0.05 });
    expect(j.evidence.sampleSize).toBe(6343);
    expect(j.note).toMatch(
      /^not yet conclusive \(needs more data; decides at an e-value of 20\): .*; 1,000 of 6,343 planned candidate exposures \(15%\), where it has 80% power$/,
    );
    expect(eValueText(j.evidence.eValue ?? Number.NaN)).toBe('0.564');
    // A 10% rise is impossible on a baseline of 95%: the plan is the winner's, a 10% drop, and the
    // note shows it (never a fixed-horizon size).
    const high = { conversions: 950, total: 1000 };
    const drop = judgeConversion({ canary: high, baseline: high, alpha: 0.05, direction: 'increase' });
    expect(drop.evidence.sampleSize).toBeGreaterThan(0);
    expect(drop.note).toContain(
      `of ${(drop.evidence.sampleSize ?? 0).toLocaleString('en-US')} planned candidate exposures (`,
    );
    expect(drop.note).toContain('where it has 80% power');
    expect(drop.note).not.toContain('fixed-horizon');
  });
});
