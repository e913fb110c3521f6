import { describe, expect, it } from 'vitest';
import type { LatencyGateConfig } from '../../src/config/types.js';
import { measureLatency } from '../../src/gates/latency-gate.js';
import type { Bucket } from '../../src/metrics/histogram.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { newRelease } from '../../src/release/new-release.js';
import type { Measurement } from '../../src/release/types.js';
import { gateRows } from '../../src/report/rows.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { firstMinuteLook, STEP_START } from '../support/first-minute-look.js';
import { canaryModel } from '../support/model-config.js';

// Prometheus histograms are in the metric's unit, by convention seconds (`*_seconds_bucket`); only
// the sandbox's own `latency` histogram is known to be in ms. The report must not call 0.012 s "0.0 ms".

const PROMQL = 'sum by (le) (increase(http_request_duration_seconds_bucket{slot="{{slot}}"}[{{window}}]))';

/** The same lognormal latencies as the sandbox-style source, as a Prometheus histogram in seconds. */
class SecondsHistograms extends FakeCounts {
  override async buckets(query: string, w: MetricWindow): Promise<Bucket[] | undefined> {
    if (query !== PROMQL) throw new Error(`unexpected query ${query}`);
    const ms = await super.buckets('latency', w);
    return ms?.map((b) => ({ le: b.le === '+Inf' ? b.le : b.le / 1000, count: b.count }));
  }
}

const gate = (buckets: string, judge: LatencyGateConfig['judge'] = 'sequential'): LatencyGateConfig => ({
  kind: 'latency',
  name: 'p95',
  buckets,
  quantile: 0.95,
  maxIncrease: 0.1,
  referenceMs: 600_000,
  judge,
  alpha: 0.05,
  failureLimit: 0,
  consecutiveErrorLimit: 4,
});

async function look(config: LatencyGateConfig, metrics: FakeCounts): Promise<Measurement> {
  return measureLatency(config, firstMinuteLook(metrics));
}

/** The gate's row in the report after this look. */
function row(config: LatencyGateConfig, m: Measurement) {
  const model = canaryModel({ gates: [config] });
  const gates = [
    {
      name: 'p95',
      kind: 'latency' as const,
      verdict: 'fail' as const,
      failures: 1,
      inconclusives: 0,
      consecutiveErrors: 0,
      last: m,
    },
  ];
  const [r] = gateRows({ ...newRelease(model, { from: 'v1', to: 'v2', now: STEP_START }), gates }, model);
  return r;
}

const arms = {
  stable: { rps: 95, errorRate: 0, medianMs: 40 },
  canary: { rps: 5, errorRate: 0, medianMs: 50 },
};

describe('latency units in the report', () => {
  it('shows a Prometheus histogram quantile as the number it is, without calling seconds ms', async () => {
    for (const judge of ['sequential', 'threshold'] as const) {
      const config = gate(PROMQL, judge);
      const m = await look(config, new SecondsHistograms(arms));
      expect(m.verdict).toBe('fail');
      expect(m.canary).toBeGreaterThan(0.05);
      expect(m.canary).toBeLessThan(0.2);
      expect(m.note).not.toMatch(/ ms\b/);
      const r = row(config, m);
      // Inside a bucket: its bounds as exported, no unit, the interpolated value an estimate.
      expect(r?.candidate).toMatch(/^[\d.]+–[\d.]+ \(≈0\.\d{4,5}\) \(300 req\)$/);
      expect(r?.baseline).toMatch(/^[\d.]+–[\d.]+ \(≈0\.\d{4,5}\) \(/);
      expect(r?.note).not.toMatch(/ ms\b/);
    }
  });

  it("keeps ms for the sandbox's own latency histogram", async () => {
    const config = gate('latency');
    const m = await look(config, new FakeCounts(arms));
    expect(m.note).toMatch(
      /^p95 [\d.]+–[\d.]+ ms \(≈[\d.]+\) on v2 vs [\d.]+–[\d.]+ ms \(≈[\d.]+\) on v1; slower than [\d.]+ ms/,
    );
    expect(row(config, m)?.candidate).toMatch(/^[\d.]+–[\d.]+ ms \(≈\d+\.\d\) \(300 req\)$/);
  });
});
