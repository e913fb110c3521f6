import { describe, expect, it } from 'vitest';
import { countNote } from '../../src/stats/counts.js';

// The bound that decided a count look is rounded away from the estimate (`at least` never claims
// more); rounded to the tolerance's own digits it read `at least ×1.1; tolerated ×1.1` on a failed
// look, as if the regression were within the tolerance. It keeps the digits that tell them apart.
const figures = { eValue: 20.1, alpha: 0.05 };

describe("a count look's note", () => {
  it('fails with a lower bound just past the tolerance, written apart from it', () => {
    const note = countNote('3.6% on v2 vs 1% on v1', 'fail', {
      ...figures,
      effect: 3.6,
      interval: [1.10041, 9],
      maxIncrease: 0.1,
    });
    expect(note).toBe('3.6% on v2 vs 1% on v1 (×3.6, at least ×1.1004; tolerated ×1.1); e-value 20.1 ≥ 20');
  });

  it('fails at a tolerance of none with a lower bound just above ×1, written apart from it', () => {
    const note = countNote('1.53% on v2 vs 1% on v1', 'fail', {
      ...figures,
      effect: 1.53,
      interval: [1.0003, 2.4],
      maxIncrease: 0,
    });
    expect(note).toContain('(×1.53, at least ×1.0003; tolerated ×1)');
  });

  it('passes with an upper bound just under the tolerance, written apart from it', () => {
    const note = countNote('1% on v2 vs 1% on v1', 'pass', {
      ...figures,
      effect: 1,
      interval: [0.5, 1.09991],
      maxIncrease: 0.1,
    });
    expect(note).toContain('(×1, at most ×1.09991)');
  });

  it('keeps the usual digits where they already tell the bound from the tolerance', () => {
    const note = countNote('2% on v2 vs 1% on v1', 'fail', {
      ...figures,
      effect: 2,
      interval: [1.4237, 3],
      maxIncrease: 0.1,
    });
    expect(note).toContain('(×2, at least ×1.42; tolerated ×1.1)');
  });
});
