import { describe, expect, it } from 'vitest';
import type { DriftGateConfig } from '../../src/config/types.js';
import { lookAtGate } from '../../src/gates/live-gates.js';
import type { StatisticalContext } from '../../src/gates/ratio-gate.js';
import type { MetricSource } from '../../src/metrics/source.js';
import type { GateState } from '../../src/release/types.js';

const T0 = Date.UTC(2026, 0, 1);

/** A backend answering histograms whose counts are NaN, as a broken exporter does. */
const nanHistograms: MetricSource = {
  requests: async () => 500,
  value: async () => undefined,
  buckets: async () => [
    { le: 0.5, count: Number.NaN },
    { le: '+Inf', count: 500 },
  ],
};

const ctx = (seconds: number): StatisticalContext => ({
  metrics: nanHistograms,
  model: 'fraud',
  stable: 'v1',
  candidate: 'v2',
  since: T0,
  now: T0 + seconds * 1000,
  minRequests: 100,
  candidateSlot: 'shadow',
});

const gate: DriftGateConfig = {
  kind: 'drift',
  name: 'score-drift',
  buckets: 'scores',
  maxDistance: 0.1,
  alpha: 0.05,
  failureLimit: 0,
  inconclusiveLimit: 1,
  consecutiveErrorLimit: 4,
};

const fresh: GateState = {
  name: 'score-drift',
  kind: 'drift',
  verdict: 'pending',
  failures: 0,
  inconclusives: 0,
  consecutiveErrors: 0,
};

describe('the drift gate on NaN histograms', () => {
  it('counts them as missing data against inconclusive-limit, not as evidence still accruing', async () => {
    const first = await lookAtGate(gate, fresh, ctx(30));
    expect(first.last).toMatchObject({ verdict: 'inconclusive', note: 'NaN or infinite values in the data' });
    expect(first.verdict).toBe('pending');
    const second = await lookAtGate(gate, first, ctx(60));
    expect(second.verdict).toBe('fail');
    expect(second.reason).toBe('score-drift: NaN or infinite values in the data in 2 looks (limit 1)');
  });
});
