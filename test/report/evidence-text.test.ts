import { describe, expect, it } from 'vitest';
import { describeEvidence } from '../../src/report/rows.js';

describe('the evidence text of a gate row', () => {
  it('shows an overwhelming e-value as past a trillion, an open bound as ∞, and everyday figures as they are', () => {
    expect(describeEvidence({ method: 'beta-binomial', eValue: 2.81e15 })).toBe('e-value >10¹²');
    expect(
      describeEvidence({ method: 'beta-binomial', eValue: 2.49e10, effect: 9e4, interval: [5520, Infinity] }),
    ).toBe('effect 90000 [5520, ∞], e-value 2.49e+10');
    expect(
      describeEvidence({ method: 'beta-binomial', eValue: 45.2, effect: 1.923, interval: [1.31, 2.8] }),
    ).toBe('effect 1.92 [1.31, 2.8], e-value 45.2');
  });
});
