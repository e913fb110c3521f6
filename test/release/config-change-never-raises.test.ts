import { describe, expect, it } from 'vitest';
import type { Config, ModelConfig, StrategyConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { report, row } from '../report/release-world.js';
import { MemoryTarget } from '../support/memory-target.js';
import { canaryModel, thresholdGate } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// A schedule tick reads the default branch's config, which may have changed since the release
// started (reconcile-config.ts): where every configured phase is above the candidate's current
// share, the running phase goes on, its data kept, and the traffic rises only once it passes.

const MINUTE = 60_000;
// 10 candidate requests a second: a step needs three looks to pass.
const timing = { stepDurationMs: MINUTE, minRequests: 300, intervalMs: 10_000 };
const model = (strategy: StrategyConfig) =>
  canaryModel({ strategy, gates: [thresholdGate({ name: 'errors', query: 'error-rate', max: 0.02 })] });
const canary = (steps: number[]) => model({ type: 'canary', steps, ...timing });
const ab = (split: number) => model({ type: 'ab', split, stickyHeader: 'x-user-id', ...timing });
const asConfig = (m: ModelConfig): Config => ({ version: 1, allowForks: false, models: { fraud: m } });
const history = (r: Release) => r.phases.map((p) => [p.name, p.weight, p.outcome]);

/** fraud v1 → v2 on a fake clock: looks under `first` until the first step runs, then under `then`. */
async function changedInFirstStep(first: ModelConfig, then: ModelConfig) {
  const clock = new FakeClock();
  const target = new MemoryTarget();
  const metrics = new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 10, values: { 'error-rate': 0.005 } },
  });
  let r = newRelease(first, { from: 'v1', to: 'v2', now: clock.now() });
  let config = first;
  let changed: { release: Release; weights: number[] } | undefined;
  for (let i = 0; i < 500 && r.status === 'analysing'; i++) {
    r = await tick(r, { config, target, metrics, clock });
    if (config === then && !changed) changed = { release: r, weights: target.weights() };
    if (r.phase === 0) config = then;
    await clock.sleep(timing.intervalMs);
  }
  return { end: r, target, changed: changed as { release: Release; weights: number[] }, then };
}

describe('a canary at 10% whose steps become [25, 50]', () => {
  it('stays at 10% until that step passes, its data kept, then takes 25% and 50%', async () => {
    const { end, target, changed, then } = await changedInFirstStep(canary([10, 50]), canary([25, 50]));
    // The look under the new steps left the candidate at 10%: not 25% with no pass.
    expect(changed.weights).toEqual([10]);
    expect(target.weights()).toEqual([10, 25, 50, 0]);
    expect(end.status).toBe('ready');
    expect(history(end)).toEqual([
      ['step 1 of 3', 10, 'passed'],
      ['step 1 of 2', 25, 'passed'],
      ['step 2 of 2', 50, 'passed'],
    ]);
    expect(end.phases[0]?.startedAt).toBe(end.startedAt);
    expect(row(report(asConfig(then), end), 'step 1 of 3')).toContain(
      "passed: every configured phase is above the candidate's 10% of live traffic: a config change never raises the candidate's traffic, so the running phase goes on as step 1 of 3, its data kept, and on to 25%, 50% of live traffic only once it passes",
    );
  });
});

describe('a canary at 10% whose strategy becomes an A/B at 50%', () => {
  it('goes on as a canary, never taking the A/B’s 50% with no pass, and says the A/B is for the next release', async () => {
    const { end, target, changed, then } = await changedInFirstStep(canary([10, 50]), ab(50));
    expect(changed.weights).toEqual([10]);
    expect(changed.release.phases.map((p) => p.outcome)).toEqual([undefined]);
    expect(target.weights()).toEqual([10, 50, 0]);
    // No sticky split was ever asked of the target: the release never became an A/B.
    expect(target.writes.some((w) => w.sticky !== undefined)).toBe(false);
    expect(end.status).toBe('ready');
    // Its 50% step, the last, goes on as the canary's only step left under the A/B config.
    expect(history(end)).toEqual([
      ['step 1 of 2', 10, 'passed'],
      ['step 1 of 1', 50, 'passed'],
    ]);
    expect(row(report(asConfig(then), end), 'step 1 of 2')).toContain(
      "passed: the config changes the strategy to ab, with no phase below the candidate's 10% of live traffic: a config change never raises the candidate's traffic, so the release goes on as a canary: step 1 of 2 (10% of live traffic) goes on, its data kept, and on to 50% of live traffic only once it passes; the new strategy applies to the next release (push a commit to the PR, with the new strategy in its config, to start one)",
    );
  });
});
