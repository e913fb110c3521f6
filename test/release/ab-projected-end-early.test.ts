import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { pastCapNote } from '../../src/release/planned-sample.js';
import type { Release } from '../../src/release/types.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, released } from '../report/release-world.js';

// A busy A/B is near its planned sample within minutes: it used to say "its end is projected once
// the phase has run 1h with 100 exposures" at 84% of its sample, its end 20 s away. Its end is now
// projected once it has 100 exposures and a tenth of its planned sample. The clock is fake and
// starts at 2026-01-01 00:00 UTC.
const MINUTE = 60_000;
const lasted = (r: Release) => r.updatedAt - (r.phases[0]?.startedAt ?? r.startedAt);

/** Both arms at `rps` exposures a second, converting 30% of the time: the test plans about 7,300. */
const arms = (rps: number) =>
  new FakeCounts({
    stable: { rps, errorRate: 0.3, medianMs: 40 },
    canary: { rps, errorRate: 0.3, medianMs: 40 },
  });
const ab = (timing: string) =>
  configWith(`{ type: ab, split: 50, ${timing} }`, [
    '{ name: split, kind: srm, units: users }',
    '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users }',
  ]);
const strategyOf = (config: Config) => {
  const model = config.models.fraud;
  if (!model) throw new Error('no model fraud');
  return model.strategy;
};
const sizeOf = (r: Release) => r.gates.find((g) => g.name === 'conversion')?.last?.evidence?.sampleSize ?? 0;

describe('the projected end of an A/B', () => {
  it('is projected minutes in, to the minute, once a tenth of the planned sample is reached', async () => {
    // 30 exposures a second: the planned ~7,300 in about 4 minutes; the cap is 2h.
    const r = await released(ab('step-duration: 2h, interval: 10s'), arms(30), {
      stop: (x) => lasted(x) >= 2 * MINUTE,
    });
    expect(r.status).toBe('analysing');
    const look = r.gates.find((g) => g.name === 'conversion')?.last;
    const reached = look?.canaryRequests ?? 0;
    expect(reached / sizeOf(r)).toBeGreaterThan(0.1);
    // At the phase's own rate so far: the planned size over the exposures per ms, to the minute up.
    const ran = (look?.at ?? 0) - (r.phases[0]?.startedAt ?? 0);
    const reach = (r.phases[0]?.startedAt ?? 0) + (sizeOf(r) / reached) * ran;
    const around = new Date(Math.ceil(reach / MINUTE) * MINUTE).toISOString().replace('T', ' ').slice(0, 16);
    expect(r.reason).toMatch(
      new RegExp(
        `; at the rate so far the planned sample is reached around ${around} UTC \\(cap: 2026-01-01 02:00 UTC\\)\\)$`,
      ),
    );
    expect(around < '2026-01-01 00:10').toBe(true);
  });

  it('waits for 100 exposures and a tenth of the planned sample, and says so with the cap', async () => {
    // Half an exposure a second: 300 of ~7,300 after 10 minutes.
    const r = await released(ab('step-duration: 7d, interval: 10m'), arms(0.5), {
      stop: (x) => lasted(x) >= 10 * MINUTE,
    });
    expect(r.reason).toMatch(
      /planned candidate users \([\d.]+%\); its end is projected once the phase has 100 users and 10% of the planned sample \(cap: 2026-01-08 00:00 UTC\)\)$/,
    );
  });
});

describe('the note a watching run logs when an A/B will run to its cap', () => {
  it('names the gate, its rate and the cap when the planned sample lies past it', async () => {
    const config = ab('step-duration: 1m, interval: 5s');
    const r = await released(config, arms(20), { stop: (x) => lasted(x) >= 20_000 });
    expect(r.status).toBe('analysing');
    expect(pastCapNote(r, strategyOf(config))).toMatch(
      /^the A\/B will likely run to its 1m cap \(2026-01-01 00:01 UTC\) and end there undecided: conversion: at [\d,]+\/h it needs about \d+m\d*s?, past the 1m cap: it can end early only on a large effect$/,
    );
  });

  it('waits a tenth of the cap (or an hour) for a steadier rate than the first looks give', async () => {
    const config = ab('step-duration: 1m, interval: 1s');
    const r = await released(config, arms(60), { stop: (x) => lasted(x) >= 3_000 });
    expect(r.status).toBe('analysing');
    expect(r.gates.find((g) => g.name === 'conversion')?.last?.canaryRequests).toBeGreaterThanOrEqual(100);
    expect(pastCapNote(r, strategyOf(config))).toBeUndefined();
  });

  it('says nothing when the sample is in reach of the cap', async () => {
    const config = ab('step-duration: 2h, interval: 10s');
    const r = await released(config, arms(30), { stop: (x) => lasted(x) >= 2 * MINUTE });
    expect(pastCapNote(r, strategyOf(config))).toBeUndefined();
  });
});
