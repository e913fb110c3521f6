import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { storedForm } from '../../src/ledger/release-schema.js';
import type { ReleaseContext } from '../../src/release/context.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { MemoryTarget } from '../support/memory-target.js';
import { canaryModel, ratioGate, thresholdGate } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// A query error the gate tolerates (consecutive-error-limit) must not undo what its earlier looks
// established, least of all on the look at a step's deadline.

const errors = ratioGate();
const timing = { stepDurationMs: 120_000, minRequests: 50, intervalMs: 10_000 };
const canary = canaryModel({ gates: [errors], strategy: { type: 'canary', steps: [5], ...timing } });
// Same error rate on both arms: the judge sees the data but cannot certify "no regression" in 2m.
const healthy = () =>
  new FakeCounts({
    stable: { rps: 95, errorRate: 0.01, medianMs: 40 },
    canary: { rps: 5, errorRate: 0.01, medianMs: 40 },
  });

/**
 * Tick to the end, with `down(elapsed in the phase, phase)` deciding before each look whether the
 * metrics backend answers. The state goes through the form a ledger stores between ticks, as it
 * does between scheduled runs.
 */
async function run(
  model: ModelConfig,
  metrics: FakeCounts | ScriptedMetrics,
  down: (elapsed: number, phase: number) => boolean,
): Promise<Release> {
  const clock = new FakeClock();
  const ctx: ReleaseContext = { config: model, target: new MemoryTarget(), metrics, clock };
  let r = newRelease(model, { from: 'v1', to: 'v2', now: clock.now() });
  for (let i = 0; i < 100 && r.status === 'analysing'; i++) {
    metrics.failing = r.phase >= 0 && down(clock.now() - r.phaseStartedAt, r.phase);
    r = await tick(r, ctx);
    const stored = storedForm(r);
    if (!stored.ok) throw new Error(stored.problems.join('; '));
    r = stored.value;
    if (r.status === 'analysing') await clock.sleep(model.strategy.intervalMs);
  }
  return r;
}

describe('metrics errors on the looks at the deadline', () => {
  it('do not roll back a step whose statistical gate had seen the data without a regression', async () => {
    // The last two looks of the 2m step (at 1m50s and 2m) fail to get an answer.
    const end = await run(canary, healthy(), (elapsed) => elapsed >= 110_000);
    expect(end.status).toBe('ready');
    expect(end.phases.map((p) => [p.outcome, p.note])).toEqual([
      ['passed', 'no regression detected by errors within 2m'],
    ]);
    // The report shows the look the gate passed on, not the error after it.
    expect(end.gates[0]?.last).toMatchObject({
      verdict: 'waiting',
      evidence: { method: 'sequential-binomial' },
    });
  });

  it('keep a passed threshold gate passed through the end of a bake', async () => {
    const blueGreen = canaryModel({
      gates: [thresholdGate({ name: 'errors', query: 'error-rate', max: 0.02 })],
      strategy: { type: 'blue-green', bakeDurationMs: 120_000, rollbackWindowMs: 0, ...timing },
    });
    const metrics = new ScriptedMetrics({
      stable: { rps: 90, values: { 'error-rate': 0.005 } },
      canary: { rps: 10, values: { 'error-rate': 0.005 } },
    });
    const end = await run(blueGreen, metrics, (elapsed) => elapsed >= 120_000);
    expect(end.status).toBe('ready');
    expect(end.gates[0]?.verdict).toBe('pass');
  });

  it('still fail a step whose every look was an error: tolerated errors gave nothing to judge', async () => {
    const patient = canaryModel({
      gates: [{ ...errors, consecutiveErrorLimit: 100 }],
      strategy: { type: 'canary', steps: [5, 20], ...timing },
    });
    // Step 1 passes on its data; in step 2 the backend never answers. Step 1's look is no evidence for step 2.
    const end = await run(patient, healthy(), (_, phase) => phase === 1);
    expect(end.status).toBe('failed');
    expect(end.phases.map((p) => p.outcome)).toEqual(['passed', 'failed']);
    expect(end.reason).toBe(
      'no conclusive evidence within 2m at step 2 of 2: errors (metrics backend unreachable)',
    );
  });
});
