import { describe, expect, it } from 'vitest';
import { storedForm } from '../../src/ledger/release-schema.js';
import { carriedAfter } from '../../src/stats/carried-evidence.js';
import { fmt, judgeCounts } from '../../src/stats/counts.js';
import { judgeLatency } from '../../src/stats/latency.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, released } from '../report/release-world.js';

/**
 * 10,000 requests on each arm, 100 errors on the baseline's, tolerance 10%, alpha 0.05 (fail at an
 * e-value of 20): 153 errors on the candidate's make a fail-side e-value of 5.5, 164 one of 30,
 * 166 one of 42.
 */
const look = (events: number, carried?: number) =>
  judgeCounts({
    canary: { events, total: 10_000 },
    baseline: { events: 100, total: 10_000 },
    maxIncrease: 0.1,
    alpha: 0.05,
    ...(carried === undefined ? {} : { carried }),
  });

describe('fail-side evidence carried from earlier steps', () => {
  it('fails a step on e-value 5.5 after a step that ended at 4 (4 × 5.5 ≥ 20), which alone it would not', () => {
    expect(look(153).evidence.eFail).toBeCloseTo(5.51, 2);
    expect(look(153).verdict).toBe('inconclusive');
    const carried = look(153, 4);
    expect(carried.verdict).toBe('fail');
    expect(carried.note).toMatch(/; e-value 5\.51 ≥ 5 \(20 ÷ 4, the evidence carried from earlier steps\)$/);
    // The bound that decided is the fail side's at alpha × 4, so it clears the tolerance.
    expect(carried.evidence.interval?.[0]).toBeGreaterThan(1.1);
    expect(look(153).evidence.interval?.[0]).toBeLessThan(1.1);
  });

  it('needs 40 after a step that ended at 0.5 (0.5 × 30 < 20), and says so', () => {
    expect(look(164).verdict).toBe('fail');
    const weaker = look(164, 0.5);
    expect(weaker.verdict).toBe('inconclusive');
    expect(weaker.note).toMatch(
      /; e-value 30\.2 < 40 \(20 ÷ 0\.5, the evidence carried from earlier steps\)$/,
    );
    expect(weaker.evidence.interval?.[0]).toBeLessThan(1.1);
    expect(look(166, 0.5).verdict).toBe('fail');
  });

  it('reads as before with nothing carried, and a pass stays judged at alpha in its own step', () => {
    expect(look(164, 1).note).toBe(look(164).note);
    expect(look(164, 1).note).toMatch(/; e-value 30\.2 ≥ 20$/);
    const healthy = judgeCounts({
      canary: { events: 10_000, total: 1_000_000 },
      baseline: { events: 10_000, total: 1_000_000 },
      maxIncrease: 0.1,
      alpha: 0.05,
      carried: 0.01,
    });
    expect(healthy.verdict).toBe('pass');
    expect(healthy.note).not.toMatch(/carried/);
    // A pass look records its fail side too: the next step carries it.
    expect(healthy.evidence.eFail).toBeLessThan(1);
    expect(healthy.evidence.eValue).toBeGreaterThanOrEqual(20);
  });

  it('multiplies the steps that judged and skips a step that did not', () => {
    expect(carriedAfter(undefined, 4)).toBe(4);
    expect(carriedAfter(4, 0.5)).toBe(2);
    expect(carriedAfter(2, undefined)).toBe(2);
    expect(carriedAfter(undefined, undefined)).toBeUndefined();
  });

  it('carries into the latency judge, whose slow requests are counted the same way', () => {
    const arm = (slow: number) => ({
      samples: [
        ...Array.from({ length: 10_000 - slow }, () => 50),
        ...Array.from({ length: slow }, () => 500),
      ],
    });
    const judge = (carried?: number) =>
      judgeLatency({
        canary: arm(153),
        baseline: arm(100),
        reference: { samples: [...Array.from({ length: 98 }, () => 50), 500, 500] },
        quantile: 0.98,
        maxIncrease: 0.1,
        alpha: 0.05,
        ...(carried === undefined ? {} : { carried }),
      });
    expect(judge().verdict).toBe('inconclusive');
    expect(judge(4).verdict).toBe('fail');
    expect(judge(4).note).toMatch(/e-value 5\.51 ≥ 5 \(20 ÷ 4, the evidence carried from earlier steps\)/);
  });
});

describe('a release of two steps', () => {
  const config = configWith(
    '{ type: canary, steps: [5, 25], step-duration: 10m, min-requests: 50, interval: 10s }',
    ['{ name: errors, kind: ratio, events: errors, total: requests, max-increase: 10% }'],
  );
  const arm = (rps: number, errorRate: number) => ({ rps, errorRate, medianMs: 40 });
  const metrics = () => new FakeCounts({ stable: arm(95, 0.01), canary: arm(5, 0.001) });

  it("carries step 1's fail-side evidence into step 2, through the ledger, and step 2's looks need more", async () => {
    const entered = await released(config, metrics(), { stop: (r) => r.phase === 1 });
    // A candidate with a tenth of the baseline's errors ends step 1 with evidence against a regression.
    const carried = entered.gates[0]?.carried ?? Number.NaN;
    expect(carried).toBeGreaterThan(0);
    expect(carried).toBeLessThan(1);
    const stored = storedForm(entered);
    expect(stored.ok && stored.value.gates[0]?.carried).toBe(carried);

    const looked = await released(config, metrics(), {
      stop: (r) => r.phase === 1 && r.gates[0]?.last?.evidence !== undefined,
    });
    expect(looked.gates[0]?.last?.note).toContain(
      `< ${fmt(20 / carried)} (20 ÷ ${fmt(carried)}, the evidence carried from earlier steps)`,
    );
  });
});
