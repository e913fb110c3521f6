import { describe, expect, it } from 'vitest';
import { waitingText } from '../../src/release/planned-sample.js';
import type { GateState } from '../../src/release/types.js';
import { judgeConversion } from '../../src/stats/conversion.js';

// An A/B's progress against its planned sample reads the same in the look's note (ledger, PR
// comment, `model-gate analyze`) as in the release's line of what it waits for: 4,938 of 24,027
// (20.55%) was "(20%)" in one and "(21%)" in the other.
const look = (canaryTotal: number) => {
  const j = judgeConversion({
    canary: { conversions: Math.round(canaryTotal * 0.045), total: canaryTotal },
    // A 1:3 split at 5% on the stable arm: a plan of 34,691 candidate exposures whatever the counts.
    baseline: { conversions: Math.round(canaryTotal * 3 * 0.05), total: canaryTotal * 3 },
    alpha: 0.05,
  });
  return {
    j,
    m: {
      at: 0,
      verdict: 'waiting' as const,
      canaryRequests: canaryTotal,
      evidence: j.evidence,
    },
  };
};
const gate = { name: 'checkout', kind: 'conversion' } as GateState;
const shareIn = (text: string) => /planned candidate exposures \(([^)]+)\)/.exec(text)?.[1];

describe("the share of an A/B's planned sample", () => {
  // 2.88% and 20.58% of the 34,691 planned: rounded to the nearest they were 3% and 21%.
  it.each([
    [1000, '2.8%'],
    [7140, '20%'],
  ])('is the same in the note and the waiting line (%i exposures: %s)', (total, share) => {
    const { j, m } = look(total);
    expect(j.verdict).toBe('inconclusive');
    expect(j.evidence.sampleSize).toBe(34_691);
    expect(shareIn(waitingText(gate, m))).toBe(share);
    expect(shareIn(j.note)).toBe(share);
  });
});
