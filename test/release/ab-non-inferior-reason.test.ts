import { describe, expect, it } from 'vitest';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, released, report } from '../report/release-world.js';

// A non-inferiority A/B (margin 10%) never looks for a winner: it passes a candidate shown to lose
// less than the margin. One that loses exactly 10% is never shown within it, and at the planned
// sample it is rolled back. Before, the reason said "no significant winner", which this test was
// not looking for.
const split = '{ name: split, kind: srm, units: users }';
const conversion = (extra: string) =>
  `{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users${extra} }`;
const arms = (rate: number) =>
  new FakeCounts({
    stable: { rps: 2, errorRate: 0.3, medianMs: 40 },
    canary: { rps: 2, errorRate: rate, medianMs: 40 },
  });

describe('an A/B rolled back at its planned sample size', () => {
  it('says a non-inferiority test did not show the candidate within its margin', async () => {
    const config = configWith('{ type: ab, split: 50 }', [split, conversion(', margin: 10%')]);
    const end = await released(config, arms(0.27));
    expect(end.status).toBe('failed');
    expect(end.reason).toMatch(
      /^not shown non-inferior \(margin 10%\) at the planned sample size at A\/B 50\/50 by x-user-id: conversion \([\d,]+ of [\d,]+ candidate users, lift -10\.0%\)$/,
    );
    expect(report(config, end)).not.toContain('no significant winner');
  });

  it('still says "no significant winner" for a test without a margin', async () => {
    const config = configWith('{ type: ab, split: 50 }', [split, conversion('')]);
    const end = await released(config, arms(0.306));
    expect(end.reason).toMatch(/^no significant winner at the planned sample size at A\/B 50\/50/);
  });

  it('names what each gate looked for when a winner test and a non-inferiority test both stayed undecided', async () => {
    const guard =
      '{ name: guard, kind: conversion, conversions: converted-users, exposures: exposed-users, margin: 10% }';
    const config = configWith('{ type: ab, split: 50 }', [split, conversion(''), guard]);
    const end = await released(config, arms(0.291));
    expect(end.status).toBe('failed');
    expect(end.reason).toMatch(
      /^undecided at the planned sample size at A\/B 50\/50 by x-user-id: conversion \(no significant winner: [\d,]+ of [\d,]+ candidate users, lift -3\.0%\), guard \(not shown non-inferior \(margin 10%\): [\d,]+ of [\d,]+ candidate users, lift -3\.0%\)$/,
    );
  });
});
