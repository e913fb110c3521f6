import { describe, expect, it } from 'vitest';
import type { Release } from '../../src/release/types.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, released, report } from '../report/release-world.js';

// A reviewer of an A/B driven by schedule ticks for up to 7 days, or of a 3-day shadow, must tell
// from the comment whether to wait hours or days. Before, an A/B in reach of its planned sample
// said only "conversion (360 of 7,294 candidate exposures)" and a shadow "waiting for errors", for
// days. The clock is fake and starts at 2026-01-01 00:00 UTC.
const HOUR = 3_600_000;
const lasted = (r: Release) => r.updatedAt - (r.phases[0]?.startedAt ?? r.startedAt);
const at = (config: Parameters<typeof released>[0], metrics: FakeCounts, ms: number) =>
  released(config, metrics, { stop: (r) => lasted(r) >= ms });
/** The comment's (and job summary's) line about the release. */
const line = (config: Parameters<typeof report>[0], r: Release) =>
  report(config, r)
    .split('\n')
    .find((l) => l.startsWith('- fraud v2: analysing'));

/** Both arms at `rps` exposures a second, converting 30% of the time: the test plans about 7,300. */
const arms = (rps: number) =>
  new FakeCounts({
    stable: { rps, errorRate: 0.3, medianMs: 40 },
    canary: { rps, errorRate: 0.3, medianMs: 40 },
  });
const ab = configWith('{ type: ab, split: 50, step-duration: 7d, interval: 10m }', [
  '{ name: split, kind: srm, units: users }',
  '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users }',
]);

describe('an analysing A/B', () => {
  it('says its share of the planned sample, when its rate reaches it and its cap', async () => {
    // 0.05 exposures a second: 180 an hour, about 40.5 h to the planned sample; the cap is 7d.
    // 10 h in, a tenth of the planned sample is reached: its end is projected.
    const r = await at(ab, arms(0.05), 10 * HOUR);
    expect(r.status).toBe('analysing');
    const waiting =
      'waiting for conversion (1,800 of 7,294 planned candidate users (24%); at the rate so far the planned sample is reached around 2026-01-02 17:00 UTC (cap: 2026-01-08 00:00 UTC))';
    expect(r.reason).toBe(`analysing A/B 50/50 by x-user-id: ${waiting}`);
    // The projection is the phase's own rate: 1,800 in 10 h, so the size at 180/h, up to the hour.
    const look = r.gates.find((g) => g.name === 'conversion')?.last;
    const size = look?.evidence?.sampleSize ?? 0;
    const reach = Date.UTC(2026, 0, 1) + (size / 180) * HOUR;
    expect(new Date(Math.ceil(reach / HOUR) * HOUR).toISOString()).toBe('2026-01-02T17:00:00.000Z');
    expect(line(ab, r)).toContain(waiting);
  });

  it('projects nothing before a tenth of its planned sample, and names the rule and its cap', async () => {
    // 0.1 exposures a second: 120 in 20 minutes, under 2% of the planned sample.
    const r = await at(ab, arms(0.1), HOUR / 3);
    expect(r.reason).toMatch(
      /waiting for split, conversion \([\d,]+ of [\d,]+ planned candidate users \(\d+(\.\d)?%\); its end is projected once the phase has 100 users and 10% of the planned sample \(cap: 2026-01-08 00:00 UTC\)\)$/,
    );
    expect(line(ab, r)).toContain(
      'its end is projected once the phase has 100 users and 10% of the planned sample',
    );
  });
});

describe('a shadow whose hold is longer than its gates wait', () => {
  // min-requests out of reach keeps its gate waiting, as a quiet model's would for days.
  const shadow = (timing: string) =>
    configWith(`{ type: shadow, share: 50, ${timing}, min-requests: 100000, interval: 10m }`, [
      '{ name: errors, kind: ratio, events: errors, total: requests, max-increase: 10% }',
    ]);

  it('says when its hold ends the phase while it waits for its gates', async () => {
    const config = shadow('duration: 3d');
    const r = await at(config, arms(0.05), 30 * HOUR);
    expect(r.reason).toBe(
      'analysing shadow 50% of requests: waiting for errors; holds until 2026-01-04 00:00 UTC (3d)',
    );
    expect(line(config, r)).toContain('waiting for errors; holds until 2026-01-04 00:00 UTC (3d);');
  });

  it('says no end when its gates may outlast the hold (step-duration is longer)', async () => {
    const config = shadow('duration: 30m, step-duration: 2h');
    const r = await at(config, arms(0.05), HOUR / 6);
    expect(r.reason).toBe('analysing shadow 50% of requests: waiting for errors');
  });
});
