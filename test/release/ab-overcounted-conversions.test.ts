import { describe, expect, it } from 'vitest';
import type { Release } from '../../src/release/types.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, released } from '../report/release-world.js';
import { MemoryTarget } from '../support/memory-target.js';

// FakeCounts' `converted-users` (its `errors`) stand for conversions, its error rate for the conversion rate: a rate of
// 1.5 is a conversions query that counts half as much again as there were exposures (another
// event, a join that doubles rows). No rate comes of such counts, and without one an A/B cannot
// decide: before, its 150% "rate" counted as data and kept half the users on the candidate until
// the 14d cap.
const gates = [
  '{ name: split, kind: srm, units: users }',
  '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users }',
];
const MINUTE = 60_000;
const minutes = (r: Release) =>
  ((r.phases[0]?.endedAt ?? r.updatedAt) - (r.phases[0]?.startedAt ?? 0)) / MINUTE;

describe('an A/B whose candidate counts more conversions than exposures', () => {
  it('rolls back at the missing-data deadline, saying the counts are inconsistent', async () => {
    const metrics = new FakeCounts({
      stable: { rps: 2, errorRate: 0.3, medianMs: 40 },
      canary: { rps: 2, errorRate: 1.5, medianMs: 40 },
    });
    const target = new MemoryTarget();
    const end = await released(configWith('{ type: ab, split: 50 }', gates), metrics, {
      target,
      stop: (r) => minutes(r) >= 3 * 60,
    });
    expect(end.status).toBe('failed');
    expect(minutes(end)).toBeGreaterThanOrEqual(60);
    expect(minutes(end)).toBeLessThan(61);
    expect(end.reason).toMatch(
      /^no conclusive evidence within 1h at A\/B 50\/50 by x-user-id: conversion \(its counts were inconsistent within 1h: more conversions than exposures on the candidate: check the conversions query "converted-users" \([\d,]+ conversions of [\d,]+ exposures\)\)$/,
    );
    expect(end.reason).not.toContain('returned no data');
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    // The look shows no 150% rate for the candidate, and says why.
    const look = end.gates.find((g) => g.name === 'conversion')?.last;
    expect(look?.canary).toBeUndefined();
    expect(look?.baseline).toBeCloseTo(0.3, 2);
  });
});
