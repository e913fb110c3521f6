import { describe, expect, it } from 'vitest';
import type { Release } from '../../src/release/types.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, released, report, row } from './release-world.js';

// An A/B that ends without a winner, at its planned sample or at its step-duration cap before it.
// FakeCounts' `converted-users` (its `errors`) stand for conversions; both arms convert 30% of the time, 2 users a second
// each: the planned sample (about 6,000 candidate exposures) is reached in about 50 minutes.
const conversion = (margin = '') =>
  `{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users${margin} }`;
const ab = (stepDuration: string, margin = '') =>
  configWith(`{ type: ab, split: 50, step-duration: ${stepDuration} }`, [
    '{ name: split, kind: srm, units: users }',
    conversion(margin),
  ]);
const equal = new FakeCounts({
  stable: { rps: 2, errorRate: 0.3, medianMs: 40 },
  canary: { rps: 2, errorRate: 0.3, medianMs: 40 },
});
const sampleOf = (r: Release) => r.gates.find((g) => g.name === 'conversion')?.last;

describe('the conversion row of an A/B that failed at its planned sample', () => {
  it('reads as the failure it is, without asking for more data', async () => {
    const config = ab('3h');
    const end = await released(config, equal);
    expect(end.reason).toMatch(/^no significant winner at the planned sample size at /);
    const look = sampleOf(end);
    const conversionRow = row(report(config, end), 'conversion (converted-users / exposed-users)');
    expect(conversionRow).toMatch(
      /\| ❌ fail: no significant winner at the planned sample: 30\.00% on v2 vs 30\.00% on v1 \(relative lift \+0\.0%, \+0\.0 points; 95% interval -\d+\.\d% to \+\d+\.\d%\); [\d,]+ of [\d,]+ planned candidate users \(10\d%\), where it has 80% power; e-value [\d.]+ \|$/,
    );
    expect(conversionRow).not.toMatch(/needs more data|undecided|at its last look/);
    expect(look?.canaryRequests).toBeGreaterThanOrEqual(look?.evidence?.sampleSize ?? Number.NaN);
  });

  it('says what a non-inferiority test did not show', async () => {
    const config = ab('3h', ', margin: 10%');
    // 5% fewer conversions: within the margin, but not shown within it by the planned sample.
    const worse = new FakeCounts({ ...equal.slots, canary: { rps: 2, errorRate: 0.285, medianMs: 40 } });
    const end = await released(config, worse);
    expect(end.reason).toMatch(/^not shown non-inferior \(margin 10%\) at the planned sample size at /);
    expect(row(report(config, end), 'conversion (converted-users / exposed-users)')).toMatch(
      /\| ❌ fail: not shown non-inferior \(margin 10%\) at the planned sample: 28\.50% on v2 vs 30\.00% on v1 /,
    );
  });
});

describe('an A/B stopped by its step-duration cap before its planned sample', () => {
  it('says the cap stopped it, how far it got, and what to change', async () => {
    const config = ab('20m');
    const end = await released(config, equal);
    expect(end.status).toBe('failed');
    const look = sampleOf(end);
    const reached = look?.canaryRequests ?? 0;
    const size = look?.evidence?.sampleSize ?? 0;
    const share = Math.floor((100 * reached) / size);
    expect(end.reason).toBe(
      `no significant winner by the 20m step-duration cap at A/B 50/50 by x-user-id: conversion at ${share}% of its planned sample (${reached.toLocaleString('en-US')} of ${size.toLocaleString('en-US')} candidate users, lift +0.0%); raise step-duration (the default 14d lets schedule ticks drive the A/B to its planned sample) and push a commit to run it again`,
    );
    expect(share).toBeLessThan(100);
  });

  it('its conversion row says the cap ended it undecided at the sample it had, not that it needs more data', async () => {
    const config = ab('20m');
    const end = await released(config, equal);
    const look = sampleOf(end);
    const reached = (look?.canaryRequests ?? 0).toLocaleString('en-US');
    const size = (look?.evidence?.sampleSize ?? 0).toLocaleString('en-US');
    const conversionRow = row(report(config, end), 'conversion (converted-users / exposed-users)');
    expect(conversionRow).toContain(
      `| ➖ undecided: ended at the 20m step-duration cap with ${reached} of its ${size} planned candidate users (`,
    );
    expect(conversionRow).toMatch(
      /: 30\.00% on v2 vs 30\.00% on v1 \(relative lift \+0\.0%, \+0\.0 points; /,
    );
    expect(conversionRow).not.toMatch(/needs more data|not yet conclusive|where it has/);
  });
});

describe('a live A/B, not yet at its cap', () => {
  it('keeps asking for more data', async () => {
    const config = ab('20m');
    const live = await released(config, equal, { stop: (r) => r.updatedAt - r.startedAt >= 10 * 60_000 });
    expect(live.status).toBe('analysing');
    expect(row(report(config, live), 'conversion (converted-users / exposed-users)')).toMatch(
      /\| ⏳ pending: not yet conclusive \(needs more data; decides at an e-value of 40\): .* planned candidate users \(\d+%\), where it has \d+% power/,
    );
  });
});
