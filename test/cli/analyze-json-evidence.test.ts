/**
 * `model-gate analyze --json` writes what the judges used: an e-value of ∞ as "Infinity" (JSON has
 * no infinity; plain JSON.stringify would write null, which reads as no evidence at all), and on
 * each look the alpha it was judged at, its line's own `alpha` where it has one.
 */
import { describe, expect, it } from 'vitest';
import { replayed, workspace } from './analyze-replay-vs-live.js';

const root = workspace();
const errors = (time: string, canary: [number, number], alpha?: number) => ({
  time,
  gate: 'errors',
  kind: 'ratio',
  canary: { events: canary[0], total: canary[1] },
  baseline: { events: 290, total: 28500 },
  ...(alpha === undefined ? {} : { alpha }),
});
const split = {
  time: '2026-11-28T10:05:00Z',
  gate: 'split',
  kind: 'srm',
  split: 0.05,
  canary: { total: 1500 },
  baseline: { total: 28500 },
};

describe('analyze --json', () => {
  it('writes an e-value of ∞ as "Infinity", not null', async () => {
    // Every candidate request an error against 1% on the baseline.
    const { gates } = await replayed(root, 'infinite.jsonl', [errors('2026-11-28T10:05:00Z', [1500, 1500])]);
    const look = gates.errors?.looks[0];
    expect(look?.verdict).toBe('fail');
    expect(look?.evidence.eValue).toBe('Infinity');
    // The note is for a reader: past a trillion, the figure says nothing more.
    expect(look?.note).toMatch(/e-value >10¹² ≥ 20$/);
  });

  it("records the alpha each look was judged at: the gate's share, or its line's own (and the gate none of its own)", async () => {
    const { gates } = await replayed(root, 'alpha.jsonl', [
      errors('2026-11-28T10:05:00Z', [12, 1500]),
      errors('2026-11-28T10:06:00Z', [14, 1600], 0.001),
      split,
    ]);
    // Its looks were judged at two levels: no one of them is the gate's.
    expect(gates.errors).not.toHaveProperty('alpha');
    expect(gates.split?.alpha).toBe(0.025);
    expect(gates.errors?.looks.map((l) => l.alpha)).toEqual([0.025, 0.001]);
  });
});
