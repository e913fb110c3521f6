import { describe, expect, it } from 'vitest';
import type { ThresholdGateConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import type { ReleaseContext } from '../../src/release/context.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { MemoryTarget } from '../support/memory-target.js';
import { canaryModel, thresholdGate } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// failure-limit and inconclusive-limit count per step, as Argo Rollouts counts per analysis run:
// a limit of 1 tolerates one bad look in every step, not one in the whole release.

/**
 * Three steps of 10 req/s on the candidate (100 requests, the minimum, after 10 s): the first look
 * that judges in each step sees `first` as the candidate's error rate, the later ones `later`.
 */
async function run(gate: ThresholdGateConfig, first: number | undefined, later = 0.005): Promise<Release> {
  const config = canaryModel({ gates: [gate] });
  const metrics = new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 10, values: { 'error-rate': 0.005 } },
  });
  const clock = new FakeClock();
  const ctx: ReleaseContext = { config, target: new MemoryTarget(), metrics, clock };
  let r = newRelease(config, { from: 'v1', to: 'v2', now: clock.now() });
  for (let i = 0; i < 100 && r.status === 'analysing'; i++) {
    const firstJudged = r.phase >= 0 && clock.now() - r.phaseStartedAt === 10_000;
    metrics.slots.canary.values['error-rate'] = firstJudged ? first : later;
    r = await tick(r, ctx);
    if (r.status === 'analysing') await clock.sleep(config.strategy.intervalMs);
  }
  return r;
}

describe('the limits of a threshold gate', () => {
  it('tolerate failure-limit failed looks in every step', async () => {
    const gate = thresholdGate({ name: 'errors', query: 'error-rate', max: 0.02, failureLimit: 1 });
    const end = await run(gate, 0.05);
    expect(end.status).toBe('ready');
    expect(end.phases.map((p) => p.outcome)).toEqual(['passed', 'passed', 'passed']);
    expect(end.gates[0]?.failures).toBe(1); // the last step's one failed look
  });

  it('tolerate inconclusive-limit looks without data in every step', async () => {
    const gate = thresholdGate({ name: 'errors', query: 'error-rate', max: 0.02, inconclusiveLimit: 1 });
    const end = await run(gate, undefined);
    expect(end.status).toBe('ready');
    expect(end.gates[0]?.inconclusives).toBe(1);
  });

  it('still fail a step with more bad looks than the limit', async () => {
    const gate = thresholdGate({ name: 'errors', query: 'error-rate', max: 0.02, failureLimit: 0 });
    const end = await run(gate, 0.05);
    expect(end.status).toBe('failed');
    expect(end.reason).toBe('errors: 5.00% is above the max 2.00%');
  });

  it('say, when failed looks go past failure-limit, how many there were, not only the last', async () => {
    const gate = thresholdGate({ name: 'errors', query: 'error-rate', max: 0.02, failureLimit: 2 });
    const end = await run(gate, 0.031, 0.031);
    const why =
      'errors: 3.10% is above the max 2.00%; 3 looks over the bound in this step, over failure-limit 2';
    expect(end).toMatchObject({ status: 'failed', reason: why });
    expect(end.phases.map((p) => [p.outcome, p.note])).toEqual([['failed', why]]);
  });
});
