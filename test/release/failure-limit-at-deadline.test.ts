import { describe, expect, it } from 'vitest';
import type { GateConfig, ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import type { ReleaseContext } from '../../src/release/context.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { gateRows } from '../../src/report/rows.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { MemoryTarget } from '../support/memory-target.js';
import { canaryModel, ratioGate, thresholdGate } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// failure-limit at a phase's deadline, as Argo Rollouts judges an analysis: failed looks within the
// limit leave it Successful. A phase that keeps looking after its gates pass (a bake, a shadow run,
// a step held open by another gate) must not roll a good candidate back for one tolerated look.

const BAKE = 600_000;
const p99 = thresholdGate({ name: 'p99', query: 'latency-p99', max: 100, failureLimit: 1 });
const blueGreen = canaryModel({
  strategy: {
    type: 'blue-green',
    bakeDurationMs: BAKE,
    rollbackWindowMs: 3_600_000,
    stepDurationMs: BAKE,
    minRequests: 100,
    intervalMs: 30_000,
  },
  gates: [p99],
});

/** A 10-minute bake looked at every 30 s; `p99At(msIntoBake)`: the candidate's p99 on that look. */
async function bake(p99At: (ms: number) => number | undefined): Promise<Release> {
  const metrics = new ScriptedMetrics({
    stable: { rps: 90, values: { 'latency-p99': 12 } },
    canary: { rps: 90, values: { 'latency-p99': 12 } },
  });
  const clock = new FakeClock();
  const ctx: ReleaseContext = { config: blueGreen, target: new MemoryTarget(), metrics, clock };
  let r = newRelease(blueGreen, { from: 'v1', to: 'v2', pr: 7, headSha: 'b'.repeat(40), now: clock.now() });
  r = await tick(r, ctx);
  const bakeStart = r.phaseStartedAt;
  for (let i = 0; i < 100 && r.status === 'analysing'; i++) {
    await clock.sleep(30_000);
    metrics.slots.canary.values['latency-p99'] = p99At(clock.now() - bakeStart);
    r = await tick(r, ctx);
  }
  return r;
}

describe('a failed look within failure-limit at the deadline', () => {
  it('passes a blue-green bake whose one noisy look was its last, and says why', async () => {
    const end = await bake((ms) => (ms >= BAKE ? 150 : 12));
    expect(end.status).toBe('ready');
    expect(end.phases.at(-1)?.note).toBe(
      'p99 passed within 10m: 1 look over the bound, within failure-limit 1',
    );
    const [row] = gateRows(end, blueGreen);
    expect(row?.verdict).toBe('✅ pass');
    // The last look's value stands, with why a value over the bound passed.
    expect(row?.candidate).toMatch(/^150\.0 ms/);
    expect(row?.note).toContain('over the bound on 1 look (one is tolerated; a second fails the gate)');
  });

  it('still rolls back when the failed looks exceed the limit', async () => {
    const end = await bake((ms) => (ms >= BAKE - 30_000 ? 150 : 12));
    expect(end.status).toBe('failed');
    expect(end.reason).toBe(
      'p99: 150.0 ms is above the max 100.0 ms; 2 looks over the bound in this step, over failure-limit 1',
    );
  });

  it('still fails a gate that never had data (must-have-data)', async () => {
    const end = await bake(() => undefined);
    expect(end.status).toBe('failed');
    expect(end.reason).toMatch(
      /^no conclusive evidence within 10m at bake on green: p99 \(no data for the candidate/,
    );
  });

  it('holds a step open before the deadline: the gate must pass again to end it early', async () => {
    const config = canaryModel({ gates: [p99] });
    const metrics = new ScriptedMetrics({
      stable: { rps: 90, values: { 'latency-p99': 12 } },
      canary: { rps: 90, values: { 'latency-p99': 150 } },
    });
    const clock = new FakeClock();
    const ctx: ReleaseContext = { config, target: new MemoryTarget(), metrics, clock };
    let r = await tick(newRelease(config, { from: 'v1', to: 'v2', now: clock.now() }), ctx);
    await clock.sleep(config.strategy.intervalMs);
    r = await tick(r, ctx);
    expect(r.status).toBe('analysing');
    expect(r.phase).toBe(0);
    expect(r.reason).toBe('analysing step 1 of 3: waiting for p99');
  });

  it("passes a sequential gate's tolerated regression on the step's last look", async () => {
    const end = await canaryStep(ratioGate({ failureLimit: 1 }), 0.1);
    expect(end.status).toBe('ready');
    expect(end.phases[0]?.note).toBe(
      'errors passed within 2m: 1 look showing a regression, within failure-limit 1',
    );
  });

  it('still fails a conversion gate that ends on a tolerated regression: only a winner is promoted', async () => {
    const conversion: GateConfig = {
      kind: 'conversion',
      name: 'conversion',
      conversions: 'errors',
      exposures: 'requests',
      direction: 'increase',
      margin: 0,
      mde: 0.1,
      power: 0.8,
      alpha: 0.05,
      failureLimit: 1,
      consecutiveErrorLimit: 4,
    };
    const end = await canaryStep(conversion, 0.6);
    expect(end.status).toBe('failed');
    expect(end.reason).toMatch(/^no conclusive evidence within 2m at step 1 of 1: conversion/);
  });
});

/**
 * One 2-minute canary step at 5% looked at every 10 s, the arms alike (errors 1%, a sequential
 * gate cannot decide that soon) until the look at the deadline, where the candidate's rate is `last`.
 */
async function canaryStep(gate: GateConfig, last: number): Promise<Release> {
  const config: ModelConfig = canaryModel({
    gates: [gate],
    strategy: { type: 'canary', steps: [5], stepDurationMs: 120_000, minRequests: 50, intervalMs: 10_000 },
  });
  const metrics = new FakeCounts({
    stable: { rps: 95, errorRate: 0.01, medianMs: 40 },
    canary: { rps: 5, errorRate: 0.01, medianMs: 40 },
  });
  const clock = new FakeClock();
  const ctx: ReleaseContext = { config, target: new MemoryTarget(), metrics, clock };
  let r = newRelease(config, { from: 'v1', to: 'v2', now: clock.now() });
  for (let i = 0; i < 100 && r.status === 'analysing'; i++) {
    const atDeadline = r.phase >= 0 && clock.now() - r.phaseStartedAt >= 120_000;
    metrics.slots.canary.errorRate = atDeadline ? last : 0.01;
    r = await tick(r, ctx);
    if (r.status === 'analysing') await clock.sleep(config.strategy.intervalMs);
  }
  return r;
}
