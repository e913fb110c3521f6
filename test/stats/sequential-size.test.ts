import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random.js';
import { decideConversion, judgeConversion } from '../../src/stats/conversion.js';
import { sampleSizeTwoProportions } from '../../src/stats/fixed-horizon.js';

// The planned sample an A/B runs to: where the conversion judge's always-valid test has the
// stated power, checked by simulating that test, looked at every 100 requests per arm.
const design = { alpha: 0.05, power: 0.8, ratio: 1, sided: 1 } as const;

/** Share of `trials` A/Bs with a true 10% drop from 30% that the test flags within `n` per arm. */
function powerWithin(n: number, trials = 400): number {
  const random = new Random(42);
  let found = 0;
  for (let t = 0; t < trials; t++) {
    let xc = 0;
    let xb = 0;
    for (let seen = 100; seen <= n; seen += 100) {
      for (let i = 0; i < 100; i++) {
        if (random.next() < 0.27) xc++;
        if (random.next() < 0.3) xb++;
      }
      if (decideConversion({ alpha: 0.05 }, xc, seen, xb, seen).verdict === 'fail') {
        found++;
        break;
      }
    }
  }
  return found / trials;
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

  it('is shown in an undecided note, and absent where the design has no size', () => {
    const arm = { conversions: 300, total: 1000 };
    const j = judgeConversion({ canary: arm, baseline: arm, alpha: 0.05 });
    expect(j.note).toContain(
      `not yet conclusive (e-value 0.564 < 20; it has 80% power at ${j.evidence.sampleSize} candidate requests)`,
    );
    // A 10% rise is impossible on a baseline of 95%: no size to plan.
    const high = { conversions: 950, total: 1000 };
    const none = judgeConversion({ canary: high, baseline: high, alpha: 0.05, direction: 'increase' });
    expect(none.evidence.sampleSize).toBeUndefined();
    expect(none.note).not.toContain('power at');
  });
});
