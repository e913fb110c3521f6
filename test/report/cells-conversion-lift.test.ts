import { describe, expect, it } from 'vitest';
import { plainNote } from '../../src/report/plain-note.js';
import { judgeConversion } from '../../src/stats/conversion.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, released, report, row } from './release-world.js';

// `31.00% vs 28.00% (lift +10.7%; … +0.2% to +22.4%)` beside two rates reads as points; the
// table's counts are in what the gate counts, users (exposed-users), not `req` or `exposures`.
// FakeCounts' converted-users (its errors) stand for conversions.

const ab = configWith(
  '{ type: ab, split: 50, sticky-header: x-user-id, step-duration: 30m, min-requests: 200, interval: 10s }',
  [
    '{ name: split, kind: srm, units: users }',
    '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users }',
  ],
);

describe("an A/B winner's conversion row", () => {
  it('says the lift is relative, the points it is, and counts users', async () => {
    const r = await released(
      ab,
      new FakeCounts({
        stable: { rps: 20, errorRate: 0.28, medianMs: 40 },
        canary: { rps: 20, errorRate: 0.31, medianMs: 40 },
      }),
    );
    expect(r.status).toBe('ready');
    const text = report(ab, r);
    expect(row(text, 'conversion (converted-users / exposed-users)')).toBe(
      '| conversion (converted-users / exposed-users) | 31.00% (4,400 users) | 28.00% (4,400 users) | a significant rise | ✅ pass: v2 converts better than v1, a significant winner: 31.00% vs 28.00% (relative lift +10.7%, +3.0 points; 95% interval +0.2% to +22.4%): the interval lies above 0; decided at 54% of the 8,055 planned candidate users; e-value 45.8 |',
    );
    // The split check beside it: its figures, not its method's name.
    expect(row(text, 'split (user split)')).toBe(
      '| split (user split) | 50% (4,400 users) | configured 50% (stable: 4,400 users) | within ±10% of the configured split | ✅ pass: candidate share 50% of 8,800 users, configured 50%: the split is as configured (within ±10%); effect 1 \\[0.964, 1.04\\], e-value 0.105 |',
    );
  });
});

describe('a lift that rounds to zero', () => {
  it('reads +0.0%, +0.0 points, as an equal one does: never -0.0', () => {
    // 30.00% against 30.01%: a lift of -0.03%, 0.01 points, read "-0.0%, -0.0 points".
    const cell = (baseline: number) => {
      const counts = {
        canary: { conversions: 3000, total: 10_000 },
        baseline: { conversions: baseline, total: 10_000 },
      };
      const j = judgeConversion({ ...counts, alpha: 0.05 });
      return plainNote(j.note, {
        at: 0,
        verdict: 'waiting',
        canary: 0.3,
        baseline: baseline / 10_000,
        evidence: j.evidence,
      });
    };
    expect(cell(3001)).toContain(
      '30.00% on the candidate vs 30.01% on the baseline (relative lift +0.0%, +0.0 points; 90% interval -',
    );
    expect(cell(3000)).toContain(
      '30.00% on the candidate vs 30.00% on the baseline (relative lift +0.0%, +0.0 points; 90% interval -',
    );
    // A lift that rounds to a tenth keeps its sign.
    expect(cell(3020)).toContain('(relative lift -0.7%, -0.2 points; ');
  });
});
