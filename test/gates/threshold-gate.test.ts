import { describe, expect, it } from 'vitest';
import type { ThresholdGateConfig } from '../../src/config/types.js';
import { foldMeasurement, type MeasureContext, measureThreshold } from '../../src/gates/threshold-gate.js';
import { NoDataError } from '../../src/metrics/no-data.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import type { GateState } from '../../src/release/types.js';
import { firstMinuteLook, STEP_START } from '../support/first-minute-look.js';
import { thresholdGate } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

/**
 * One look over the first minute of a step: 600 candidate requests, the slots' values as given, read
 * through `Metrics` (ScriptedMetrics, or one that answers otherwise).
 */
function look(
  gate: ThresholdGateConfig,
  stable: Record<string, number>,
  canary: Record<string, number>,
  Metrics = ScriptedMetrics,
) {
  const metrics = new Metrics({
    stable: { rps: 90, values: stable },
    canary: { rps: 10, values: canary },
  });
  const ctx: MeasureContext = firstMinuteLook(metrics, 10);

  return measureThreshold(gate, ctx);
}

const fresh = (name: string): GateState => ({
  name,
  kind: 'threshold',
  verdict: 'pending',
  failures: 0,
  inconclusives: 0,
  consecutiveErrors: 0,
});

describe('a threshold gate without a baseline', () => {
  // The stable version's series are missing (say, its version label differs from the ledger's).
  const errors = thresholdGate({ name: 'errors', query: 'error-rate', max: 0.02, maxIncrease: 0.1 });

  it('fails a candidate over its absolute max: that bound needs no baseline', async () => {
    expect(await look(errors, {}, { 'error-rate': 0.2 })).toMatchObject({
      verdict: 'fail',
      canary: 0.2,
      note: '20.00% is above the max 2.00%',
    });
  });

  it('stays inconclusive while within the absolute bounds, naming the relative bound it cannot judge', async () => {
    expect(await look(errors, {}, { 'error-rate': 0.01 })).toMatchObject({
      verdict: 'inconclusive',
      note: 'no baseline data from the stable version to judge max-increase',
    });
  });

  it("judges the candidate against its absolute max when the stable's answer had no data (CloudWatch's partial one)", async () => {
    const partial = 'cloudwatch: the query returned partial data for the stable slot (PartialData)';
    /** Metrics whose stable answer has no data, saying why. */
    class StablePartial extends ScriptedMetrics {
      override async value(query: string, w: MetricWindow) {
        if (w.slot === 'stable') throw new NoDataError(partial);
        return await super.value(query, w);
      }
    }
    const candidateAt = (rate: number) => look(errors, {}, { 'error-rate': rate }, StablePartial);
    expect(await candidateAt(0.2)).toMatchObject({ verdict: 'fail', note: '20.00% is above the max 2.00%' });
    expect(await candidateAt(0.01)).toMatchObject({
      verdict: 'inconclusive',
      note: `no baseline data from the stable version to judge max-increase: ${partial}`,
    });
  });

  it('counts such a failure against failure-limit like any other', async () => {
    const tolerant = { ...errors, failureLimit: 1 };
    const m = await look(tolerant, {}, { 'error-rate': 0.2 });
    const once = foldMeasurement(fresh('errors'), tolerant, m);
    expect(once).toMatchObject({ verdict: 'pending', failures: 1 });
    expect(foldMeasurement(once, tolerant, m)).toMatchObject({
      verdict: 'fail',
      failures: 2,
      reason:
        'errors: 20.00% is above the max 2.00%; 2 looks over the bound in this step, over failure-limit 1',
    });
  });
});

describe('a candidate without data', () => {
  it('is inconclusive, its note naming the query and the arm that gave no number', async () => {
    const errors = thresholdGate({ name: 'errors', query: 'error-rate', max: 0.02 });
    // Nothing matched, or NaN: either way no number, never a pass.
    const canaries: Record<string, number>[] = [{}, { 'error-rate': Number.NaN }];
    for (const canary of canaries) {
      expect(await look(errors, { 'error-rate': 0.01 }, canary)).toMatchObject({
        verdict: 'inconclusive',
        baseline: 0.01,
        note: 'no data for the candidate: the query gave no number for the canary slot (version v2): "error-rate"',
      });
    }
  });
});

describe('relative bounds on a negative baseline', () => {
  // A log-likelihood score: higher is better, and the stable version's is -4.
  const score = (over: Partial<ThresholdGateConfig>) =>
    thresholdGate({ name: 'score', query: 'mean-score', ...over });

  it('max-increase allows up to |baseline| x tolerance above it, never flags a lower value', async () => {
    const gate = score({ maxIncrease: 0.1 });
    expect((await look(gate, { 'mean-score': -4 }, { 'mean-score': -4.2 })).verdict).toBe('pass');
    expect((await look(gate, { 'mean-score': -4 }, { 'mean-score': -3.7 })).verdict).toBe('pass');
    expect(await look(gate, { 'mean-score': -4 }, { 'mean-score': -1 })).toMatchObject({
      verdict: 'fail',
      note: '-1 is 75% over the baseline -4 (max +10%)',
    });
  });

  it('max-decrease allows down to |baseline| x tolerance below it, never flags a higher value', async () => {
    const gate = score({ maxDecrease: 0.1 });
    expect((await look(gate, { 'mean-score': -4 }, { 'mean-score': -3.8 })).verdict).toBe('pass');
    expect(await look(gate, { 'mean-score': -4 }, { 'mean-score': -4.5 })).toMatchObject({
      verdict: 'fail',
      note: '-4.500 is 12.5% under the baseline -4 (max -10%)',
    });
  });
});

describe('a tolerated query error', () => {
  const errors = thresholdGate({ name: 'errors', query: 'error-rate', max: 0.02 });
  const error = { at: STEP_START + 70_000, verdict: 'error' as const, note: 'metrics backend unreachable' };

  it('leaves a passed gate passed, keeping the look it passed on', async () => {
    const passed = foldMeasurement(fresh('errors'), errors, await look(errors, {}, { 'error-rate': 0.01 }));
    expect(passed.verdict).toBe('pass');
    const after = foldMeasurement(passed, errors, error);
    expect(after).toMatchObject({ verdict: 'pass', consecutiveErrors: 1, last: error });
    expect(after.lastUsable).toEqual(passed.last);
    // A second error in a row keeps the same usable look; the next good look replaces it.
    expect(foldMeasurement(after, errors, { ...error, at: STEP_START + 80_000 }).lastUsable).toEqual(
      passed.last,
    );
  });
});
