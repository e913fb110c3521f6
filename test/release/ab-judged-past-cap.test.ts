import { describe, expect, it } from 'vitest';
import { report, row } from '../report/release-world.js';
import { abGates, abStrategy, evenArms, HOUR, tickedRelease } from './tick-outage-world.js';

// A 14-day A/B on 0.02 candidate users a second reaches its planned sample (about 7,300 candidate
// exposures) on its fourth day. Schedule ticks may stop long before that (GitHub pauses schedules
// after 60 days without activity in the repository): the tick that judges it comes past its cap.
// It failed at its planned sample, not at the cap: raising step-duration would not have helped.

const DAY = 24 * HOUR;

describe('an A/B judged only after its cap, its planned sample reached long before', () => {
  it('fails with no winner at the planned sample, saying how long it ran, not "raise step-duration"', async () => {
    const w = await tickedRelease(abStrategy, abGates, evenArms(0.02));
    expect((await w.open())?.status).toBe('analysing');
    for (let i = 0; i < 24; i++) {
      w.clock.advance(HOUR);
      expect((await w.tick())?.status).toBe('analysing');
    }
    w.clock.advance(61 * DAY);
    const end = await w.tick();
    if (!end) throw new Error('no release');
    expect(end.status).toBe('failed');
    expect(end.reason).toMatch(
      /^no significant winner at the planned sample size within 62d\S* \(deadline 14d\) at A\/B 50\/50 by x-user-id: conversion \(107,1\d\d of 7,\d{3} candidate users, lift [+-]\d+\.\d%\)$/,
    );
    expect(end.reason).not.toContain('step-duration');
    expect(end.reason).not.toContain('100%');
    const text = report(w.config, end);
    expect(row(text, 'A/B 50/50 by x-user-id')).toContain(`| failed: ${end.reason} |`);
    expect(text).not.toContain('raise step-duration');
  });
});

describe('an A/B judged only after its cap, one conversion gate past its planned sample and one short of it', () => {
  it('says the share each reached, past 100% too, and how long it ran', async () => {
    const fine =
      '{ name: fine, kind: conversion, conversions: converted-users, exposures: exposed-users, min-detectable-effect: 2% }';
    const w = await tickedRelease(abStrategy, [...abGates, fine], evenArms(0.02));
    await w.open();
    w.clock.advance(HOUR);
    await w.tick();
    w.clock.advance(61 * DAY);
    const end = await w.tick();
    expect(end?.status).toBe('failed');
    expect(end?.reason).toMatch(
      /^no significant winner by the 14d step-duration cap, first judged after 61d\S*, at A\/B 50\/50 by x-user-id: conversion at 1,\d{3}% of its planned sample \(105,\d{3} of 7,\d{3} candidate users, lift \+0\.0%\), fine at \d\d% of its planned sample \(105,\d{3} of \d{3},\d{3} candidate users, lift \+0\.0%\); raise step-duration /,
    );
    expect(end?.reason).not.toContain('100%');
  });
});
