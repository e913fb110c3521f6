import { describe, expect, it } from 'vitest';
import type { Config, ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, report, row } from '../report/release-world.js';
import { MemoryTarget } from '../support/memory-target.js';

// A release advanced under a config other than the one it started under says so in its phase
// history (reconcile-config.ts): `gate "conversion" is configured differently: judged afresh from
// here`. A phase that passed kept that note; one that failed lost it to the reason, so the report
// of the failure no longer said that the gate judging it had changed mid-release.

const HOUR = 3_600_000;
const AB = '{ type: ab, split: 50, step-duration: 3d, interval: 1h }';
const PHASE = 'A/B 50/50 by x-user-id';
const split = '{ name: split, kind: srm, units: users }';
const conversion = (mde: string) =>
  `{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users, min-detectable-effect: ${mde} }`;
const signup = '{ name: signup, kind: conversion, conversions: converted-users, exposures: exposed-users }';
const errors = '{ name: errors, kind: threshold, query: error-rate, max: 0.5 }';
/** 0.02 users a second on each arm, both converting 30%: the 3d cap comes before the planned sample. */
const counts = () =>
  new FakeCounts({
    stable: { rps: 0.02, errorRate: 0.3, medianMs: 40 },
    canary: { rps: 0.02, errorRate: 0.3, medianMs: 40 },
  });

/** fraud v1 → v2 looked at hourly: its first day under `before`, then under `after` to its end. */
async function changedAfterADay(before: Config, after: Config) {
  const model = (c: Config) => c.models.fraud as ModelConfig;
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const ctx = { target: new MemoryTarget(), metrics: counts(), clock };
  let r: Release = newRelease(model(before), { from: 'v1', to: 'v2', now: clock.now() });
  const states: Release[] = [];
  for (let i = 0; i < 24 * 5 && r.status === 'analysing'; i++) {
    r = await tick(r, { ...ctx, config: model(i < 24 ? before : after) });
    states.push(r);
    await clock.sleep(HOUR);
  }
  return { states, end: r };
}

describe('a phase that failed after the config changed mid-release', () => {
  it('keeps the note that its conversion gate is configured differently', async () => {
    const before = configWith(AB, [split, conversion('10%')]);
    const after = configWith(AB, [split, conversion('8%')]);
    const { states, end } = await changedAfterADay(before, after);
    const changed = 'gate "conversion" is configured differently: judged afresh from here';
    expect(row(report(after, states[30] as Release), PHASE)).toContain(`| running: ${changed} |`);

    expect(end.status).toBe('failed');
    expect(end.reason).toMatch(
      /^no significant winner by the 3d step-duration cap at A\/B 50\/50 by x-user-id: /,
    );
    expect(row(report(after, end), PHASE)).toContain(`| failed: ${end.reason}; ${changed} |`);
  });

  it('keeps the notes of gates added and removed', async () => {
    const before = configWith(AB, [split, conversion('10%'), errors]);
    const after = configWith(AB, [split, conversion('10%'), signup]);
    const { end } = await changedAfterADay(before, after);
    expect(end.status).toBe('failed');
    expect(end.reason).toMatch(
      /^no significant winner by the 3d step-duration cap at A\/B 50\/50 by x-user-id: /,
    );
    expect(row(report(after, end), PHASE)).toContain(
      `| failed: ${end.reason}; gate "signup" was added to the config: judged from here; gate "errors" is no longer configured: not judged from here |`,
    );
  });
});
