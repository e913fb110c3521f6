import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judgeConversion } from '../../src/stats/conversion.js';
import { eValueText } from '../../src/stats/counts.js';

// `direction: either` is the two-sided test an A/B user expects: a change in either direction is
// detected at alpha (alpha / 2 per side); a significant winner passes, a significant drop fails.
const arms = (xc: number, nc: number, xb: number, nb: number) => ({
  canary: { conversions: xc, total: nc },
  baseline: { conversions: xb, total: nb },
});

describe('the two-sided conversion test (direction: either)', () => {
  it('promotes a significant winner and rolls back a significant drop', () => {
    const winner = judgeConversion({
      ...arms(5500, 100_000, 5000, 100_000),
      direction: 'either',
      alpha: 0.05,
    });
    expect(winner.verdict).toBe('pass');
    expect(winner.note).toMatch(
      /^the candidate converts better than the baseline, a significant winner: 5\.50% vs 5\.00% \(lift \+10\.0%; 95% always-valid interval \+3\.7% to \+16\.7%\): the interval lies above 0;/,
    );
    // The e-value is the evidence's, printed once by the report after the note.
    expect(eValueText(winner.evidence.eValue ?? Number.NaN)).toBe('69200');
    expect(winner.note).not.toContain('regression');
    const loser = judgeConversion({
      ...arms(4500, 100_000, 5000, 100_000),
      direction: 'either',
      alpha: 0.05,
    });
    expect(loser.verdict).toBe('fail');
    expect(loser.note).toMatch(
      /^the candidate converts worse than the baseline, a significant drop \(a regression\): 4\.50% vs 5\.00% .*: the interval lies below 0;/,
    );
  });

  it('applies the margin on the downside: a winner passes, a drop within it passes, a drop beyond it fails', () => {
    const either = { direction: 'either' as const, margin: 0.05, alpha: 0.05 };
    const winner = judgeConversion({ ...arms(16_500, 300_000, 15_000, 300_000), ...either });
    expect(winner.verdict).toBe('pass');
    expect(winner.note).toMatch(
      /^the candidate converts no worse than the baseline beyond the 5% margin: .*: the interval lies above -5\.0%;/,
    );
    const within = judgeConversion({ ...arms(29_700, 600_000, 30_000, 600_000), ...either });
    expect(within.evidence.effect).toBeCloseTo(-0.01, 10);
    expect(within.verdict).toBe('pass');
    const beyond = judgeConversion({ ...arms(27_000, 300_000, 30_000, 300_000), ...either });
    expect(beyond.verdict).toBe('fail');
    expect(beyond.note).toMatch(
      /^the candidate converts worse than the baseline beyond the 5% margin \(a regression\): .*: the interval lies below -5\.0%;/,
    );
  });

  it('decides as the one-sided test at alpha / 2, with the same interval and twice its p-value', () => {
    const look = fc.record({
      nc: fc.integer({ min: 20, max: 200_000 }),
      nb: fc.integer({ min: 20, max: 200_000 }),
      rate: fc.double({ min: 0.002, max: 0.7, noNaN: true }),
      factor: fc.double({ min: 0.6, max: 1.5, noNaN: true }),
      margin: fc.constantFrom(0, 0.02, 0.1),
      alpha: fc.constantFrom(0.05, 0.01, 0.2),
    });
    fc.assert(
      fc.property(look, ({ nc, nb, rate, factor, margin, alpha }) => {
        const xb = Math.round(nb * rate);
        const counts = arms(Math.min(nc, Math.round(nc * rate * factor)), nc, xb, nb);
        const two = judgeConversion({ ...counts, direction: 'either', margin, alpha });
        const one = judgeConversion({ ...counts, direction: 'decrease', margin, alpha: alpha / 2 });
        expect(two.verdict, two.note).toBe(one.verdict);
        // The same bounds, up to rounding: log(2 / alpha) and log(1 / alpha) + log 2 differ in the last
        // bit, which a bound far from 0 (a lift of +1,480,081% on 0.2% rates) carries as 1e-8 and more.
        const [a, b] = [two.evidence.interval ?? [], one.evidence.interval ?? []];
        expect(a.length, two.note).toBe(b.length);
        for (const [i, x] of a.entries()) {
          const y = b[i] ?? Number.NaN;
          expect(Math.abs(x - y), two.note).toBeLessThan(1e-9 * Math.max(1, Math.abs(y)));
        }
        if (two.verdict !== 'inconclusive') {
          expect(two.evidence.pValue).toBeCloseTo(Math.min(1, 2 * (one.evidence.pValue ?? 1)), 12);
        }
      }),
      { numRuns: 500 },
    );
  });
});
