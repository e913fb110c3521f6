import { expect, it } from 'vitest';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { HOUR, tickedRelease } from './tick-outage-world.js';

// PR #7's A/B of fraud v2 ran to its 14d cap undecided, its conversion gate short of its planned
// sample; then the PR merged. The merge's note kept the open PR's "push a commit to run it again"
// right before "the PR is merged, so no new commit or reopening analyses it again". Now the note
// keeps what to change (step-duration) and says only what a merged PR can do.

const DAY = 24 * HOUR;
const strategy =
  '{ type: ab, split: 50, sticky-header: x-user-id, step-duration: 14d, min-requests: 200, interval: 1m }';
// A 2% effect needs far more users than 0.02 a second bring in 14 days.
const gates = [
  '{ name: split, kind: srm, units: users }',
  '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users, min-detectable-effect: 2% }',
];
const counts = () =>
  new FakeCounts({
    stable: { rps: 0.02, errorRate: 0.3, medianMs: 40 },
    canary: { rps: 0.02, errorRate: 0.3, medianMs: 40 },
  });

it('an A/B ended undecided at its cap, then merged: the note says to raise step-duration and what a merged PR can do', async () => {
  const w = await tickedRelease(strategy, gates, counts());
  await w.open();
  w.clock.advance(HOUR);
  await w.tick();
  w.clock.advance(14 * DAY - HOUR);
  const capped = await w.tick();
  expect(capped?.status).toBe('failed');
  // The open PR's advice stands on the record, as before.
  expect(capped?.reason).toMatch(/; raise step-duration \(.*\) and push a commit to run it again$/);

  const merged = await handlePullRequest(w.config, w.event('closed', true), w.ports, {
    mode: 'tick',
    maxWaitMs: 0,
    dryRun: false,
  });
  const note = merged.skipped.find((s) => s.model === 'fraud')?.why ?? '';
  expect(note).toMatch(
    /^v2 was not promoted: no significant winner by the 14d step-duration cap at A\/B 50\/50 by x-user-id: conversion at \d+(\.\d)?% of its planned sample \([\d,]+ of [\d,]+ candidate users, lift [+-]\d+\.\d%\); raise step-duration \(the default 14d lets schedule ticks drive the A\/B to its planned sample\); the PR is merged, so no new commit or reopening analyses it again: to release v2, merge a PR that sets fraud.yaml back to v1, then open one that declares v2 again$/,
  );
  expect(note).not.toContain('push a commit');
  expect(w.target.state).toEqual({ stable: { version: 'v1' } });
});
