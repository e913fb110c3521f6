import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import type { MetricSource } from '../../src/metrics/source.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, report, row } from '../report/release-world.js';
import { MemoryTarget } from '../support/memory-target.js';
import { canaryModel, thresholdGate } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// A config changed while a release ran, at the top of its traffic: a gate that compares the
// candidate with stable traffic cannot be judged again at 100%, and a release is ready only once
// every configured gate was judged as the config now defines it.

/** fraud v1 → v2 on a fake clock under `first`, then under `then` from the look after `when` holds. */
async function looked(
  first: ModelConfig,
  then: ModelConfig,
  when: (r: Release) => boolean,
  metrics: MetricSource,
) {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const target = new MemoryTarget();
  let r = newRelease(first, { from: 'v1', to: 'v2', now: clock.now() });
  let config = first;
  for (let i = 0; i < 500 && r.status === 'analysing'; i++) {
    r = await tick(r, { config, target, metrics, clock });
    if (when(r)) config = then;
    await clock.sleep(config.strategy.intervalMs);
  }
  const text = report({ version: 1, allowForks: false, models: { fraud: config } }, r);
  return { end: r, target, text };
}

const history = (r: Release) => r.phases.map((p) => [p.name, p.weight, p.outcome]);

describe('a side-by-side gate redefined while the candidate has 100% of live traffic', () => {
  const withMaxIncrease = (max: string) =>
    configWith(
      '{ type: canary, steps: [10, 50, 100], step-duration: 10m, min-requests: 100, interval: 10s }',
      [`{ name: errors, kind: ratio, events: errors, max-increase: ${max} }`],
    ).models.fraud as ModelConfig;
  const healthy = () =>
    new FakeCounts({
      stable: { rps: 20, errorRate: 0.01, medianMs: 40 },
      canary: { rps: 20, errorRate: 0.01, medianMs: 40 },
    });

  it('keeps the pass the earlier steps gave it, saying it was judged under its earlier definition', async () => {
    const { end, target, text } = await looked(
      withMaxIncrease('10%'),
      withMaxIncrease('12%'),
      (r) => r.phase === 2,
      healthy(),
    );
    expect(end.status).toBe('ready');
    expect(end.reason).toBe('v2 passed all 3 phases; it serves no live traffic until the PR is merged');
    expect(history(end)).toEqual([
      ['step 1 of 3', 10, 'passed'],
      ['step 2 of 3', 50, 'passed'],
      ['step 3 of 3', 100, 'passed'],
    ]);
    expect(target.weights()).toEqual([10, 50, 100, 0]);
    expect(row(text, 'step 3 of 3')).toContain(
      'passed: gate "errors" is configured differently: its pass in the earlier phases stands, with no stable traffic left to judge it again',
    );
    expect(end.gates[0]?.last?.note).toBe(
      'not judged at 100% of traffic: no stable traffic left to compare with (judged in the earlier phases, under its earlier definition)',
    );
  });

  it('is judged afresh at 50% when the change comes before the last step', async () => {
    const { end, text } = await looked(
      withMaxIncrease('10%'),
      withMaxIncrease('12%'),
      (r) => r.phase === 1,
      healthy(),
    );
    expect(end.status).toBe('ready');
    expect(row(text, 'step 2 of 3')).toContain(
      'passed: no regression detected by errors within 10m; gate "errors" is configured differently: judged afresh from here',
    );
    expect(end.gates[0]?.last?.note).toBe(
      'not judged at 100% of traffic: no stable traffic left to compare with (judged in the earlier phases)',
    );
  });
});

describe('a config that drops the running last step and adds a gate', () => {
  const errors = thresholdGate({ name: 'errors', query: 'error-rate', max: 0.02 });
  const p99 = (max: number) => thresholdGate({ name: 'p99', query: 'latency-p99', max });
  const strategy = (steps: number[]) => ({
    type: 'canary' as const,
    steps,
    stepDurationMs: 60_000,
    minRequests: 100,
    intervalMs: 10_000,
  });
  const metrics = () =>
    new ScriptedMetrics({
      stable: { rps: 90, values: { 'error-rate': 0.005, 'latency-p99': 12 } },
      canary: { rps: 10, values: { 'error-rate': 0.005, 'latency-p99': 40 } },
    });
  const start = canaryModel({ gates: [errors], strategy: strategy([10, 25, 50]) });
  const inLastStep = (r: Release) => r.phase === 2;

  it('is not ready before the added gate was judged: it goes on at its last step, where the gate fails it', async () => {
    const shorter = canaryModel({ gates: [errors, p99(20)], strategy: strategy([10, 25]) });
    const { end, target, text } = await looked(start, shorter, inLastStep, metrics());
    expect(end.status).toBe('failed');
    expect(end.reason).toBe('p99: 40.0 ms is above the max 20.0 ms');
    expect(history(end)).toEqual([
      ['step 1 of 3', 10, 'passed'],
      ['step 2 of 3', 25, 'passed'],
      ['step 3 of 3', 50, 'withdrawn'],
      ['step 2 of 2', 25, 'failed'],
    ]);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    expect(row(text, 'step 3 of 3')).toContain(
      'withdrawn: step 3 of 3 (50% of live traffic) is not a phase of the configured strategy: the release goes on at its last phase, step 2 of 2 (25% of live traffic), passed before without gate "p99", to judge it; gate "p99" was added to the config: judged from here',
    );
  });

  it('is ready once the added gate passed that last step again', async () => {
    const shorter = canaryModel({ gates: [errors, p99(50)], strategy: strategy([10, 25]) });
    const { end, target } = await looked(start, shorter, inLastStep, metrics());
    expect(end.status).toBe('ready');
    expect(history(end).map(([, weight, outcome]) => [weight, outcome])).toEqual([
      [10, 'passed'],
      [25, 'passed'],
      [50, 'withdrawn'],
      [25, 'passed'],
    ]);
    expect(target.weights()).toEqual([10, 25, 50, 25, 0]);
    expect(end.gates.map((g) => [g.name, g.verdict])).toEqual([
      ['errors', 'pass'],
      ['p99', 'pass'],
    ]);
  });
});
