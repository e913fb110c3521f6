import { expect } from 'vitest';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { recordWorld } from './tick-record-world.js';

// PR #7's shadow of v2 (a mirror of 30% of requests, no live traffic) beside v1, in tick mode.

export const SHADOW = '{ type: shadow, share: 30, duration: 1h, interval: 5m, min-requests: 100 }';
export const ERRORS = '{ name: errors, kind: threshold, query: error-rate, max: 0.02 }';
export const MIRROR_ONLY = { stable: { version: 'v1' }, mirror: { version: 'v2', share: 30 } };
export const tickMode = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };

/** PR #7's shadow one tick in, both arms at 0.5% errors: `metrics` for a test to change them. */
export async function shadowing() {
  const metrics = new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 30, values: { 'error-rate': 0.005 } },
  });
  const w = await recordWorld(SHADOW, [ERRORS], metrics);
  await handlePullRequest(w.config, w.event(), w.ports, tickMode);
  w.clock.advance(5 * 60_000);
  await handleSchedule(w.config, w.ports, tickMode);
  expect(w.target.state).toEqual(MIRROR_ONLY);
  return { w, metrics };
}
