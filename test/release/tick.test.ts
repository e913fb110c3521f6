import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import type { ReleaseContext } from '../../src/release/context.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { MemoryTarget } from '../support/memory-target.js';
import { canaryModel, thresholdGate } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

const healthy = () =>
  new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005, 'latency-p99': 12 } },
    canary: { rps: 10, values: { 'error-rate': 0.005, 'latency-p99': 12 } },
  });

function setup(config = canaryModel(), metrics = healthy()) {
  const clock = new FakeClock();
  const target = new MemoryTarget();
  const ctx: ReleaseContext = { config, target, metrics, clock };
  const release = newRelease(config, {
    from: 'v1',
    to: 'v2',
    pr: 7,
    headSha: 'b'.repeat(40),
    now: clock.now(),
  });
  return { clock, target, metrics, ctx, release };
}

/** Tick until decided, sleeping the poll interval on the fake clock in between. */
async function runToEnd(
  release: Release,
  ctx: ReleaseContext,
  clock: FakeClock,
  limit = 1000,
): Promise<Release> {
  let r = release;
  for (let i = 0; i < limit && r.status === 'analysing'; i++) {
    r = await tick(r, ctx);
    if (r.status === 'analysing') await clock.sleep(ctx.config.strategy.intervalMs);
  }
  return r;
}

describe('canary stepping on a fake clock', () => {
  it('walks a healthy candidate through every step, then withdraws it until merge', async () => {
    const { ctx, clock, target, release } = setup();
    const end = await runToEnd(release, ctx, clock);
    expect(end.status).toBe('ready');
    expect(target.weights()).toEqual([10, 25, 50, 0]);
    expect(target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 0 } });
    expect(end.phases.map((p) => [p.name, p.weight, p.outcome])).toEqual([
      ['step 1 of 3', 10, 'passed'],
      ['step 2 of 3', 25, 'passed'],
      ['step 3 of 3', 50, 'passed'],
    ]);
    // 10 req/s on the candidate needs 100 requests: each step lasts 10 s of fake time.
    expect(end.updatedAt - end.startedAt).toBe(30_000);
  });

  it('rolls a candidate whose error rate crosses the bound back to stable at the first step', async () => {
    const metrics = healthy();
    metrics.slots.canary.values['error-rate'] = 0.12;
    const { ctx, clock, target, release } = setup(canaryModel(), metrics);
    const end = await runToEnd(release, ctx, clock);
    expect(end.status).toBe('failed');
    expect(end.reason).toBe('errors: 12.00% is above the max 2.00%');
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    expect(end.phases).toHaveLength(1);
    expect(end.phases[0]?.outcome).toBe('failed');
  });

  it('waits for min-requests before judging at all', async () => {
    const metrics = healthy();
    metrics.slots.canary.values['error-rate'] = 0.5;
    const { ctx, clock, release } = setup(canaryModel(), metrics);
    let r = await tick(release, ctx); // deploys step 1
    await clock.sleep(5_000); // 50 candidate requests: too few to judge
    r = await tick(r, ctx);
    expect(r.status).toBe('analysing');
    expect(r.gates[0]?.last).toMatchObject({
      verdict: 'waiting',
      canaryRequests: 50,
      note: '50 of 100 candidate requests',
    });
  });

  it('tolerates failed measurements up to failure-limit', async () => {
    const metrics = healthy();
    metrics.slots.canary.values['error-rate'] = 0.05;
    const config = canaryModel({
      gates: [thresholdGate({ name: 'errors', query: 'error-rate', max: 0.02, failureLimit: 2 })],
    });
    const { ctx, clock, release } = setup(config, metrics);
    let r = await tick(release, ctx);
    await clock.sleep(10_000);
    for (const expected of ['analysing', 'analysing', 'failed']) {
      r = await tick(r, ctx);
      expect(r.status).toBe(expected);
    }
    expect(r.gates[0]?.failures).toBe(3);
  });

  it('fails when a step ends without enough data (missing data is never a pass)', async () => {
    const metrics = healthy();
    metrics.slots.canary.rps = 1; // 60 requests in the 60 s step: never the 100 needed
    const { ctx, clock, target, release } = setup(canaryModel(), metrics);
    const end = await runToEnd(release, ctx, clock);
    expect(end.status).toBe('failed');
    expect(end.reason).toBe(
      'no conclusive evidence within 1m at step 1 of 3: errors (60 of 100 candidate requests)',
    );
    expect(target.state).toEqual({ stable: { version: 'v1' } });
  });

  it('passes a step at its deadline without data only when must-have-data is false', async () => {
    const metrics = healthy();
    metrics.slots.canary.rps = 1;
    const { ctx, clock, release } = setup(canaryModel({ mustHaveData: false }), metrics);
    const end = await runToEnd(release, ctx, clock);
    expect(end.status).toBe('ready');
  });

  it('treats NaN as missing data, not a pass', async () => {
    const metrics = healthy();
    metrics.slots.canary.values['error-rate'] = Number.NaN;
    const { ctx, clock, release } = setup(canaryModel(), metrics);
    let r = await tick(release, ctx);
    await clock.sleep(20_000);
    r = await tick(r, ctx);
    expect(r.gates[0]).toMatchObject({
      verdict: 'pending',
      last: {
        verdict: 'inconclusive',
        note: 'no data for the candidate: the query gave no number for the canary slot (version v2): "error-rate"',
      },
    });
  });

  it('judges relative bounds against the stable baseline', async () => {
    const metrics = healthy();
    metrics.slots.canary.values['latency-p99'] = 20;
    const config = canaryModel({
      gates: [thresholdGate({ name: 'p99', query: 'latency-p99', maxIncrease: 0.5 })],
    });
    const { ctx, clock, release } = setup(config, metrics);
    const end = await runToEnd(release, ctx, clock);
    expect(end.reason).toBe('p99: 20.0 ms is 66.7% over the baseline 12.0 ms (max +50%)');
  });

  it('fails after more consecutive metric errors than the limit, and rolls back', async () => {
    const metrics = healthy();
    const { ctx, clock, target, release } = setup(canaryModel(), metrics);
    let r = await tick(release, ctx);
    metrics.failing = true;
    r = await runToEnd(r, ctx, clock);
    expect(r.status).toBe('failed');
    expect(r.reason).toBe('errors: metrics failed 5 times in a row (metrics backend unreachable)');
    expect(target.state).toEqual({ stable: { version: 'v1' } });
  });

  it('treats a platform that silently reverted as a failure and withdraws the candidate', async () => {
    const { ctx, clock, target, release } = setup();
    let r = await tick(release, ctx);
    await clock.sleep(10_000);
    target.revertNext = true; // the move to 25% does not take
    r = await tick(r, ctx);
    expect(r.status).toBe('failed');
    expect(r.reason).toBe(
      'the serving platform failed: memory target serves v1 90% / v2 10% after being asked for v1 75% / v2 25%',
    );
    expect(target.state).toEqual({ stable: { version: 'v1' } });
  });

  it('says so truthfully when even the rollback fails', async () => {
    const metrics = healthy();
    metrics.slots.canary.values['error-rate'] = 0.2;
    const { ctx, clock, target, release } = setup(canaryModel(), metrics);
    target.failFromWrite = 1;
    const end = await runToEnd(release, ctx, clock);
    expect(end.status).toBe('failed');
    expect(end.reason).toBe(
      'errors: 20.00% is above the max 2.00%; the rollback to v1 also failed: platform unavailable',
    );
  });
});
