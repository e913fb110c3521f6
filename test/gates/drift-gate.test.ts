import { describe, expect, it } from 'vitest';
import type { DriftGateConfig } from '../../src/config/types.js';
import { measureDrift } from '../../src/gates/drift-gate.js';
import type { StatisticalContext } from '../../src/gates/ratio-gate.js';
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
    expect(m.note).toMatch(/^drift: KS distance 0\.\d+ .*PSI [\d.]+ \(significant shift\)/);
  });

  it('waits while the bounds straddle the tolerance, then passes the same distribution', async () => {
    const early = await measureDrift(gate, ctx(arms(40), 3));
    expect(early.verdict).toBe('waiting');
    expect(early.evidence?.interval).toBeDefined();
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
