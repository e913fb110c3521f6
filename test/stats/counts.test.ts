import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random.js';
import { countTest, judgeCounts, times } from '../../src/stats/counts.js';
import { judgeObservation, parseObservation } from '../../src/stats/observation.js';

/** Poisson draws by inversion (small means only), for the simulations below. */
function poisson(rng: Random, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}

describe('the count judge', () => {
  it('fails a candidate with twice the error rate and says by how much', () => {
    const j = judgeCounts({
      canary: { events: 40, total: 2000 },
      baseline: { events: 200, total: 20000 },
      maxIncrease: 0.1,
      alpha: 0.05,
    });
    expect(j.verdict).toBe('fail');
    expect(j.evidence.method).toBe('sequential-binomial');
    expect(j.evidence.effect).toBeCloseTo(2, 10);
    const [lo, hi] = j.evidence.interval ?? [0, 0];
    expect(lo).toBeGreaterThan(1.1);
    expect(hi).toBeGreaterThan(2);
    expect(j.evidence.eValue).toBeGreaterThanOrEqual(20);
    expect(j.evidence.canary).toEqual({ events: 40, total: 2000, value: 0.02 });
    // The arms' rates first, then the ratio, the end of its bounds that decided and the tolerance,
    // the e-value against its threshold last.
    expect(j.note).toMatch(
      /^2% on the candidate vs 1% on the baseline \(×2, at least ×1\.\d+; tolerated ×1\.1\); e-value [\d.]+ ≥ 20$/,
    );
  });

  it('passes early once the rate ratio is credibly below the tolerance', () => {
    const j = judgeCounts({
      canary: { events: 900, total: 100000 },
      baseline: { events: 2900, total: 300000 },
      maxIncrease: 0.1,
      alpha: 0.05,
    });
    expect(j.verdict).toBe('pass');
    expect(j.evidence.interval?.[1]).toBeLessThan(1.1);
    expect(j.note).toContain('no regression beyond ×1.1');
  });

  it('names the arms by version, their rates first, and words a look that did not decide as no verdict', () => {
    const look = (canary: number, baseline: number, total = [600, 10_000]) =>
      judgeCounts({
        canary: { events: canary, total: total[0] as number },
        baseline: { events: baseline, total: total[1] as number },
        maxIncrease: 0.1,
        alpha: 0.025,
        names: { candidate: 'v3', baseline: 'v1' },
      });
    expect(look(9, 30, [64, 12_500]).note).toMatch(
      /^14\.1% on v3 vs 0\.24% on v1 \(×59, at least ×[\d.]+; tolerated ×1\.1\); e-value \S+ ≥ 40$/,
    );
    const undecided = look(6, 100);
    expect(undecided.verdict).toBe('inconclusive');
    expect(undecided.note).toMatch(
      /^1% on v3 vs 1% on v1 \(×1, between ×0\.\d+ and ×\d\.?\d*; tolerated ×1\.1\); e-value [\d.]+ < 40$/,
    );
    // No baseline event: no ratio to show, only its lower bound.
    expect(look(30, 0).note).toMatch(
      /^5% on v3 vs 0% on v1 \(at least ×\d+; tolerated ×1\.1\); e-value \S+ ≥ 40$/,
    );
  });

  it('rounds a bound away from the estimate, so that "at least" never claims more than the bound', () => {
    expect([times(6.93, 'down'), times(6.9, 'down'), times(1.0999, 'down'), times(1.0801, 'up')]).toEqual([
      '×6.9',
      '×6.9',
      '×1.09',
      '×1.09',
    ]);
    expect([times(58.4, 'nearest'), times(15_700, 'up'), times(Number.POSITIVE_INFINITY, 'up')]).toEqual([
      '×58',
      '×16000',
      '×∞',
    ]);
  });

  it('is inconclusive, never a pass, on missing, NaN or empty data', () => {
    const base = { maxIncrease: 0.1, alpha: 0.05 };
    const cases = [
      { canary: { events: Number.NaN, total: 10 }, baseline: { events: 1, total: 100 } },
      { canary: { events: 0, total: 0 }, baseline: { events: 1, total: 100 } },
      { canary: { events: 0, total: 100 }, baseline: { events: 0, total: 1000 } },
      { canary: { events: -1, total: 100 }, baseline: { events: 0, total: 1000 } },
      { canary: { events: 20, total: 10 }, baseline: { events: 0, total: 1000 } },
    ];
    for (const c of cases) expect(judgeCounts({ ...base, ...c }).verdict).toBe('inconclusive');
  });

  it('weighs the arms by the requests each served: the rate ratio it reports lies within its bounds', () => {
    fc.assert(
      fc.property(fc.nat(300), fc.nat(3000), fc.integer({ min: 1, max: 90 }), (x, y, canaryPercent) => {
        const canary = { events: x, total: 1000 * canaryPercent };
        const baseline = { events: y, total: 1000 * (100 - canaryPercent) };
        const j = judgeCounts({ canary, baseline, maxIncrease: 0.1, alpha: 0.05 });
        const { effect, interval } = j.evidence;
        if (effect === undefined || interval === undefined) return;
        expect(effect).toBeGreaterThanOrEqual(interval[0] * (1 - 1e-9));
        expect(effect).toBeLessThanOrEqual(interval[1] * (1 + 1e-9));
        if (effect > 1.1 * 1.5) expect(j.verdict).not.toBe('pass');
        if (effect < 1.1 / 1.5) expect(j.verdict).not.toBe('fail');
      }),
      { numRuns: 300 },
    );
  });

  it('replays a recorded look at a configured 25% that served 30% at equal rates without failing it', () => {
    // `model-gate analyze`: the line's configured split is for the split check, not the count judge.
    const line = {
      time: 1,
      gate: 'errors',
      kind: 'ratio',
      split: 0.25,
      canary: { events: 3000, total: 150_000 },
      baseline: { events: 7000, total: 350_000 },
    };
    const parsed = parseObservation(line);
    if (!parsed.success) throw new Error(parsed.problems.join('; '));
    const j = judgeObservation(parsed.data, 0.05);
    expect(j.verdict).toBe('pass');
    expect(j.note).toMatch(
      /^no regression beyond ×1\.1: 2% on the candidate vs 2% on the baseline \(×1, at most ×1\.0\d\); e-value [\d.]+ ≥ 20$/,
    );
  });

  it('never turns a failure into something else when the candidate has one more event', () => {
    fc.assert(
      fc.property(fc.constantFrom(0.01, 0.05, 0.25), fc.nat(200), fc.nat(4000), (share, x, y) => {
        const t = countTest({ share, maxIncrease: 0.1, alpha: 0.05 });
        if (t.decide(x, y) === 'fail') expect(t.decide(x + 1, y)).toBe('fail');
        if (t.decide(x + 1, y) === 'pass') expect(t.decide(x, y)).toBe('pass');
      }),
      { numRuns: 300 },
    );
  });

  it('ignores shocks shared by both arms: the verdict depends on the events, not on the traffic level', () => {
    fc.assert(
      fc.property(fc.nat(100), fc.nat(1000), fc.integer({ min: 1, max: 50 }), (x, y, k) => {
        const a = judgeCounts({
          canary: { events: x, total: 1000 },
          baseline: { events: y, total: 9000 },
          maxIncrease: 0.1,
          alpha: 0.05,
        });
        const b = judgeCounts({
          canary: { events: x, total: 1000 * k },
          baseline: { events: y, total: 9000 * k },
          maxIncrease: 0.1,
          alpha: 0.05,
        });
        expect(b.verdict).toBe(a.verdict);
      }),
      { numRuns: 100 },
    );
  });

  it('keeps false alarms under alpha when looked at after every event batch, even through shocks', () => {
    const rng = new Random(7);
    const t = countTest({ share: 0.05, maxIncrease: 0, alpha: 0.05 });
    let alarms = 0;
    const runs = 400;
    for (let r = 0; r < runs; r++) {
      let x = 0;
      let y = 0;
      for (let look = 0; look < 300; look++) {
        const shock = look % 50 < 5 ? 5 : 1; // both arms' error rates jump together
        x += poisson(rng, 0.05 * shock);
        y += poisson(rng, 0.95 * shock);
        if (t.decide(x, y) === 'fail') {
          alarms++;
          break;
        }
      }
    }
    expect(alarms / runs).toBeLessThanOrEqual(0.05);
  });
});
