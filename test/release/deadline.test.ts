import { describe, expect, it } from 'vitest';
import type { GateConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import type { ReleaseContext } from '../../src/release/context.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { MemoryTarget } from '../support/memory-target.js';
import { canaryModel, ratioGate } from '../support/model-config.js';

// What a step's deadline does with a statistical gate that has not decided yet.
const errors = ratioGate();
const config = canaryModel({
  gates: [errors],
  strategy: { type: 'canary', steps: [5], stepDurationMs: 120_000, minRequests: 50, intervalMs: 10_000 },
});

async function run(metrics: FakeCounts, model = config): Promise<Release> {
  const clock = new FakeClock();
  const ctx: ReleaseContext = { config: model, target: new MemoryTarget(), metrics, clock };
  let r = newRelease(model, { from: 'v1', to: 'v2', now: clock.now() });
  for (let i = 0; i < 100 && r.status === 'analysing'; i++) {
    r = await tick(r, ctx);
    if (r.status === 'analysing') await clock.sleep(model.strategy.intervalMs);
  }
  return r;
}

describe('the step deadline', () => {
  it('passes a statistical gate that saw the data and found no regression, and says so', async () => {
    const end = await run(
      new FakeCounts({
        stable: { rps: 95, errorRate: 0.01, medianMs: 40 },
        canary: { rps: 5, errorRate: 0.01, medianMs: 40 },
      }),
    );
    expect(end.status).toBe('ready');
    expect(end.phases[0]?.note).toBe('no regression detected by errors within 2m');
  });

  it('fails an A/B step whose conversion gate has not found a winner: no promotion for want of evidence', async () => {
    const conversion: GateConfig = {
      kind: 'conversion',
      name: 'conversion',
      conversions: 'errors',
      exposures: 'requests',
      direction: 'decrease',
      margin: 0,
      mde: 0.1,
      power: 0.8,
      alpha: 0.05,
      failureLimit: 0,
      consecutiveErrorLimit: 4,
    };
    // Both arms convert 30% of the time: no winner within the step.
    const end = await run(
      new FakeCounts({
        stable: { rps: 95, errorRate: 0.3, medianMs: 40 },
        canary: { rps: 5, errorRate: 0.3, medianMs: 40 },
      }),
      { ...config, gates: [conversion] },
    );
    expect(end.status).toBe('failed');
    expect(end.reason).toMatch(
      /^no conclusive evidence within 2m at step 1 of 1: conversion \(not yet conclusive \(needs more data; decides at an e-value of 20\): 30\.00% on v2 vs 30\.00% on v1 /,
    );
  });

  it('still fails a step whose gate had no data (NaN) at the deadline', async () => {
    const metrics = new FakeCounts({
      stable: { rps: 95, errorRate: 0.01, medianMs: 40 },
      canary: { rps: 5, errorRate: 0.01, medianMs: 40 },
    });
    metrics.nan = true;
    const end = await run(metrics);
    expect(end.status).toBe('failed');
    expect(end.reason).toMatch(/^no conclusive evidence within 2m at step 1 of 1: errors/);
  });
});
