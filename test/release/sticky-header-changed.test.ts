import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { report, row } from '../report/release-world.js';
import { MemoryTarget } from '../support/memory-target.js';
import { fraudOn } from '../support/model-config.js';

// A running A/B whose `sticky-header` the default branch changes mid-release (reconcile-config.ts).
// A target that routes users by the header puts them on other arms under a new one: the A/B starts
// again, its data and its cap with it. A target that splits each request at random never used it:
// the A/B goes on, its days of data kept.

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;

const SANDBOX = '{ type: sandbox, url: "http://127.0.0.1:1" }';
const VERTEX = '{ type: vertex, endpoint: "42", region: europe-west4, project: prod }';

const abOn = (target: string, header: string) =>
  fraudOn(target, {
    strategy: `{ type: ab, split: 50, sticky-header: ${header}, interval: 1h }`,
    gates: [
      '{ name: split, kind: srm, units: users }',
      '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users }',
    ],
  });

/** 0.025 requests a second on each arm, stable converting 30%, the candidate 33%: days to decide. */
const slowArms = () =>
  new FakeCounts({
    stable: { rps: 0.025, errorRate: 0.3, medianMs: 40 },
    canary: { rps: 0.025, errorRate: 0.33, medianMs: 40 },
  });

/** fraud v1 → v2 on `target`, looked at hourly by x-user-id, by x-session from day 2 on. */
async function headerChangedOnDay2(on: string) {
  const before = abOn(on, 'x-user-id');
  const after = abOn(on, 'x-session');
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const target = new MemoryTarget();
  const metrics = slowArms();
  let r = newRelease(before.model, { from: 'v1', to: 'v2', now: clock.now() });
  let changed: Release | undefined;
  for (let i = 0; i < 24 * 30 && r.status === 'analysing'; i++) {
    const late = clock.now() - r.startedAt >= DAY;
    r = await tick(r, { config: (late ? after : before).model, target, metrics, clock });
    if (late) changed ??= r;
    await clock.sleep(HOUR);
  }
  return { end: r, changed: changed as Release, target, config: after.config };
}

const history = (r: Release) => r.phases.map((p) => [p.name, p.weight, p.outcome]);

describe('an A/B on a target that splits each request at random, whose sticky header changes on day 2', () => {
  it('goes on with its data: no restart, no traffic change, and the note says the header is not used', async () => {
    const { end, changed, target, config } = await headerChangedOnDay2(VERTEX);
    // Set once at the start, withdrawn once at the end: the header change wrote nothing.
    expect(target.weights()).toEqual([50, 0]);
    expect(history(end)).toEqual([['A/B 50/50 by x-session', 50, 'passed']]);
    expect(end.phases[0]?.startedAt).toBe(end.startedAt);
    expect((end.phases[0]?.endedAt ?? 0) - end.startedAt).toBeGreaterThan(DAY);
    expect(row(report(config, changed), 'A/B 50/50 by x-session')).toContain(
      "running: the config changes the A/B's sticky header x-user-id → x-session: the vertex target does not use it (it splits each request at random by weight), so the A/B goes on, its data kept",
    );
  });
});

describe('an A/B on a target that routes users by the sticky header, whose header changes on day 2', () => {
  it('starts again keyed by the new header, and the note says its data and its cap start again', async () => {
    const { end, target, config } = await headerChangedOnDay2(SANDBOX);
    expect(target.writes.map((w) => [w.canary?.weight ?? 0, w.sticky?.header])).toEqual([
      [50, 'x-user-id'],
      [50, 'x-session'],
      [0, undefined],
    ]);
    expect(history(end)).toEqual([
      ['A/B 50/50 by x-user-id', 50, 'withdrawn'],
      ['A/B 50/50 by x-session', 50, 'passed'],
    ]);
    expect(row(report(config, end), 'A/B 50/50 by x-user-id')).toContain(
      "withdrawn: the config changes the A/B's sticky header x-user-id → x-session: the A/B starts again at A/B 50/50 by x-session (50% of live traffic), and its data and its step-duration cap start again",
    );
  });
});
