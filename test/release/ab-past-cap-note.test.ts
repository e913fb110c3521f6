import { describe, expect, it } from 'vitest';
import type { Release } from '../../src/release/types.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, released, report } from '../report/release-world.js';

// A non-inferiority A/B (margin 2%) on a 5% conversion rate with 0.2 exposures a second per arm:
// its planned sample is well over a million candidate exposures, months at 720 an hour, while its
// step-duration caps it at 14d. It keeps running (an always-valid test may still stop early), but
// its waiting reason, which the comment shows, says it cannot reach its size before the cap:
// before, it said only "1,440 of 1,7xx,xxx candidate exposures" for two weeks, then failed.
const gates = [
  '{ name: split, kind: srm, units: users }',
  '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users, margin: 2% }',
];
const HOUR = 3_600_000;
const lasted = (r: Release) => r.updatedAt - (r.phases[0]?.startedAt ?? r.startedAt);

describe('an A/B that cannot reach its planned sample before its cap', () => {
  it('says so in its waiting reason, with the time the sample needs at its exposure rate', async () => {
    const metrics = new FakeCounts({
      stable: { rps: 0.2, errorRate: 0.05, medianMs: 40 },
      canary: { rps: 0.2, errorRate: 0.05, medianMs: 40 },
    });
    const config = configWith('{ type: ab, split: 50 }', gates);
    const at2h = await released(config, metrics, { stop: (r) => lasted(r) >= 2 * HOUR });
    expect(at2h.status).toBe('analysing');
    expect(at2h.reason).toMatch(
      /^analysing A\/B 50\/50 by x-user-id: waiting for conversion \(1,440 of 1,\d{3},\d{3} planned candidate users \(<0\.1%\); at 720\/h it needs about (9\d|1\d\d)d, past the 14d cap: it can end early only on a large effect\)$/,
    );
    // The days it says are the planned size at that rate.
    const look = at2h.gates.find((g) => g.name === 'conversion')?.last;
    const days = Number(/about (\d+)d/.exec(at2h.reason ?? '')?.[1]);
    expect(days).toBe(Math.round((look?.evidence?.sampleSize ?? 0) / 720 / 24));
    expect(report(config, at2h)).toContain('past the 14d cap: it can end early only on a large effect');
  });

  it('warns of the cap before the 100 exposures an end time is projected from', async () => {
    // A slow A/B (min-requests 10): after 6 h its few dozen exposures already say it cannot finish.
    const metrics = new FakeCounts({
      stable: { rps: 0.003, errorRate: 0.3, medianMs: 40 },
      canary: { rps: 0.003, errorRate: 0.3, medianMs: 40 },
    });
    const config = configWith('{ type: ab, split: 50, step-duration: 7d, interval: 10m, min-requests: 10 }', [
      '{ name: split, kind: srm, units: users }',
      '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users }',
    ]);
    const at6h = await released(config, metrics, { stop: (r) => lasted(r) >= 6 * HOUR });
    expect(at6h.status).toBe('analysing');
    expect(at6h.reason).toMatch(
      /\(\d\d of [\d,]+ planned candidate users \([^)]+\); at [\d.]+\/h it needs about \d+d, past the 7d cap: /,
    );
  });

  it('says nothing of the cap when the sample is in reach', async () => {
    // 2 exposures a second at 30%, planned for a 10% effect: about 50 minutes.
    const metrics = new FakeCounts({
      stable: { rps: 2, errorRate: 0.3, medianMs: 40 },
      canary: { rps: 2, errorRate: 0.306, medianMs: 40 },
    });
    const config = configWith('{ type: ab, split: 50 }', [
      '{ name: split, kind: srm, units: users }',
      '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users }',
    ]);
    const at20m = await released(config, metrics, { stop: (r) => lasted(r) >= HOUR / 3 });
    expect(at20m.reason).toMatch(
      /waiting for conversion \([\d,]+ of [\d,]+ planned candidate users \(\d+%\); at the rate so far the planned sample is reached around 2026-01-01 \d\d:\d\d UTC \(cap: 2026-01-15 00:00 UTC\)\)$/,
    );
    expect(at20m.reason).not.toContain('past the');
  });
});
