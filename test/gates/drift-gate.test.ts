import { describe, expect, it } from 'vitest';
import type { DriftGateConfig } from '../../src/config/types.js';
import { measureDrift } from '../../src/gates/drift-gate.js';
import { lookAtGate } from '../../src/gates/live-gates.js';
import type { StatisticalContext } from '../../src/gates/ratio-gate.js';
import type { MetricSource } from '../../src/metrics/source.js';
import type { GateState } from '../../src/release/types.js';
import { FakeCounts } from './fake-metrics.js';

const T0 = Date.UTC(2026, 0, 1);

const ctx = (metrics: StatisticalContext['metrics'], seconds: number): StatisticalContext => ({
  metrics,
  model: 'fraud',
  stable: 'v1',
  candidate: 'v2',
  since: T0,
  now: T0 + seconds * 1000,
  minRequests: 100,
  candidateSlot: 'shadow',
});

// The fake's lognormal histogram stands in for a prediction distribution.
const gate: DriftGateConfig = {
  kind: 'drift',
  name: 'score-drift',
  buckets: 'latency',
  maxDistance: 0.1,
  alpha: 0.05,
  failureLimit: 0,
  consecutiveErrorLimit: 4,
};
const arms = (candidateMedian: number) =>
  new FakeCounts({
    stable: { rps: 50, errorRate: 0, medianMs: 40 },
    canary: { rps: 50, errorRate: 0, medianMs: candidateMedian },
  });

describe('the drift gate', () => {
  it('fails a shifted distribution once the KS bounds clear the tolerance, with PSI as the effect size', async () => {
    const m = await measureDrift(gate, ctx(arms(60), 60));
    expect(m.verdict).toBe('fail');
    expect(m.canary).toBeGreaterThan((m.baseline ?? 0) * 1.3);
    expect(m.evidence?.method).toBe('sequential-ks');
    expect(m.evidence?.interval?.[0]).toBeGreaterThan(0.1);
    expect(m.note).toMatch(/^drift: KS distance 0\.\d+ .*PSI [\d.]+ \(major shift\)/);
  });

  it('waits while the bounds straddle the tolerance, then passes the same distribution', async () => {
    const early = await measureDrift(gate, ctx(arms(40), 3));
    expect(early.verdict).toBe('waiting');
    expect(early.evidence?.interval).toBeDefined();
    // Plain words first, as the pass and the fail have: not a bare list of distances.
    expect(early.note).toMatch(
      /^no drift shown yet \(needs more data\): KS distance 0 \(bounds 0–0\.\d+, tolerated 0\.1\); PSI /,
    );
    const later = await measureDrift(gate, ctx(arms(40), 120));
    expect(later.verdict).toBe('pass');
    expect(later.note).toMatch(/^no drift beyond tolerance: KS distance 0 /);
  });

  it('is an error without histograms, and inconclusive before the candidate has data', async () => {
    const noHistograms = { requests: async () => 500, value: async () => undefined };
    expect(await measureDrift(gate, ctx(noHistograms, 60))).toMatchObject({
      verdict: 'error',
      note: 'the metrics source has no histograms (drift gates need a buckets query)',
    });
    expect((await measureDrift(gate, ctx(arms(40), 1))).verdict).toBe('waiting');
  });
});

/** A backend answering histograms whose counts are NaN, as a broken exporter does. */
const nanHistograms: MetricSource = {
  requests: async () => 500,
  value: async () => undefined,
  buckets: async () => [
    { le: 0.5, count: Number.NaN },
    { le: '+Inf', count: 500 },
  ],
};

describe('the drift gate on NaN histograms', () => {
  it('counts them as missing data against inconclusive-limit, not as evidence still accruing', async () => {
    const limited = { ...gate, inconclusiveLimit: 1 };
    const fresh: GateState = {
      name: 'score-drift',
      kind: 'drift',
      verdict: 'pending',
      failures: 0,
      inconclusives: 0,
      consecutiveErrors: 0,
    };
    const first = await lookAtGate(limited, fresh, ctx(nanHistograms, 30));
    expect(first.last).toMatchObject({ verdict: 'inconclusive', note: 'NaN or infinite values in the data' });
    expect(first.verdict).toBe('pending');
    const second = await lookAtGate(limited, first, ctx(nanHistograms, 60));
    expect(second.verdict).toBe('fail');
    expect(second.reason).toBe('score-drift: NaN or infinite values in the data in 2 looks (limit 1)');
  });
});
