import { describe, expect, it } from 'vitest';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, released, report, row } from './release-world.js';

// An A/B configured 50/50 whose candidate gets 40% of the users, converting at 45% against 30%:
// its conversion test calls the +50% a significant winner on the same look that its split check
// finds the mismatch. The release is rolled back for the mismatch, and the report must not then
// show the conversion gate as a pass: a mismatch invalidates the analysis (SPEC, section 4).
const config = configWith('{ type: ab, split: 50, step-duration: 3h }', [
  '{ name: split, kind: srm, units: users }',
  '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users }',
  '{ name: p95, kind: latency, quantile: 0.95, max-increase: 10% }',
]);
const metrics = new FakeCounts({
  stable: { rps: 20, errorRate: 0.3, medianMs: 40 },
  canary: { rps: 13.333, errorRate: 0.45, medianMs: 40 },
});

describe('a report of an A/B rolled back for a sample ratio mismatch', () => {
  it('shows the gates that passed on the mismatched split as invalidated, not as passes', async () => {
    const end = await released(config, metrics);
    expect(end.status).toBe('failed');
    expect(end.reason).toMatch(/^split: sample ratio mismatch: candidate share 39\.\d% /);
    // The engine's own record still holds the judge's pass: the report is what reads it.
    expect(end.gates.find((g) => g.name === 'conversion')?.verdict).toBe('pass');

    const text = report(config, end);
    const conversion = row(text, 'conversion (converted-users / exposed-users)');
    expect(conversion).toMatch(
      /\| ⚠️ invalidated: by split's sample ratio mismatch, so what it saw does not count: v2 converts better than v1, a significant winner: 45\.\d+% vs 30\.00% /,
    );
    expect(conversion).not.toContain('✅ pass');
    expect(row(text, 'split (user split)')).toMatch(/\| ❌ fail: sample ratio mismatch/);
  });

  it('shows a guard that had passed on the same split as invalidated too', async () => {
    const end = await released(config, metrics);
    // As if the latency guard had passed earlier in the phase (an undecided one reads undecided).
    const gates = end.gates.map((g) => (g.name === 'p95' ? { ...g, verdict: 'pass' as const } : g));
    const text = report(config, { ...end, gates });
    expect(row(text, 'p95 (p95)')).toMatch(/\| ⚠️ invalidated: by split's sample ratio mismatch/);
    expect(row(report(config, end), 'p95 (p95)')).toMatch(/\| ➖ undecided/);
  });

  it('keeps the pass of a guard with only absolute bounds, which does not depend on the split', async () => {
    // errors ≤ 2% holds v2's own rate, whichever users it got; a relative bound compares the arms
    // the mismatch broke, and stays invalidated.
    const guarded = (bound: string) =>
      configWith('{ type: ab, split: 50, step-duration: 3h }', [
        '{ name: split, kind: srm, units: users }',
        '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users }',
        `{ name: errors, kind: threshold, query: error-rate, ${bound} }`,
      ]);
    const rates = Object.assign(
      new FakeCounts({ stable: metrics.slots.stable, canary: metrics.slots.canary }),
      { value: async () => 0.004 },
    );
    for (const [bound, verdict] of [
      ['max: 0.02', /\| ≤ 2\.00% \| ✅ pass \|$/],
      ['max-increase: 10%', /\| ⚠️ invalidated: by split's sample ratio mismatch/],
    ] as const) {
      const config = guarded(bound);
      const end = await released(config, rates);
      expect(end.reason).toMatch(/^split: sample ratio mismatch/);
      expect(end.gates.find((g) => g.name === 'errors')?.verdict).toBe('pass');
      expect(row(report(config, end), 'errors (error-rate)')).toMatch(verdict);
    }
  });
});
