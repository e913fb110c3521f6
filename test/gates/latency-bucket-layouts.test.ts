import { beforeAll, describe, expect, it } from 'vitest';
import type { LatencyGateConfig } from '../../src/config/types.js';
import { measureLatency } from '../../src/gates/latency-gate.js';
import type { StatisticalContext } from '../../src/gates/ratio-gate.js';
import { histogramQuantile } from '../../src/metrics/histogram.js';
import { NoDataError } from '../../src/metrics/no-data.js';
import { type PrometheusSource, prometheusSource } from '../../src/metrics/prometheus-source.js';
import { useBackfilledPrometheus } from '../support/prometheus.js';

// Latency gates on a real Prometheus (Debian's 2.42) holding backfilled histograms whose services
// export different bucket layouts, as a new client library or an edited bucket list does. Before,
// a candidate as fast as stable but exported with other buckets was rolled back by every judge,
// two replicas with different buckets summed by (le) were read as one (odd) histogram, a +Inf-only
// histogram read as 0 latency and passed, and a candidate slower than the largest bound passed a
// threshold above that bound.

/** Every 15 s for 31 minutes, from 3 hours ago on a whole hour. */
const BASE_S = Math.floor(Date.now() / 3_600_000) * 3600 - 3 * 3600;
const STEP_S = 15;
const SAMPLES = 125;

const STABLE_LE = ['0.05', '0.1', '0.2', '0.4', '0.8', '+Inf'];
const OTHER_LE = ['0.1', '0.4', '1', '+Inf'];
/** Per 15 s: 100 requests, p95 0.2 s: 50 up to 50 ms, 30 to 100 ms, 15 to 200 ms, 4 to 400 ms, 1 to 800 ms. */
const USUAL = { '0.05': 50, '0.1': 80, '0.2': 95, '0.4': 99, '0.8': 100, '1': 100, '+Inf': 100 };
/** Per 15 s: 100 requests, p95 near the largest bound (0.76 s). */
const SLOWISH = { '0.05': 0, '0.1': 0, '0.2': 10, '0.4': 50, '0.8': 100, '+Inf': 100 };
/** Per 15 s: 100 requests, every one over 5 s. */
const ALL_SLOW = { '0.05': 0, '0.1': 0, '0.2': 0, '0.4': 0, '0.8': 0, '+Inf': 100 };

interface Exporter {
  model: string;
  slot: 'stable' | 'canary';
  version: string;
  pod: string;
  le: string[];
  /** Cumulative requests per 15 s at each `le`. */
  per15s: Record<string, number>;
}

const EXPORTERS: Exporter[] = [
  { model: 'fraud', slot: 'stable', version: 'v1', pod: 's1', le: STABLE_LE, per15s: USUAL },
  // The same latencies through other buckets.
  { model: 'fraud', slot: 'canary', version: 'v2', pod: 'c1', le: OTHER_LE, per15s: USUAL },
  // Two replicas, one with each layout.
  { model: 'fraud', slot: 'canary', version: 'v3', pod: 'a', le: STABLE_LE, per15s: USUAL },
  { model: 'fraud', slot: 'canary', version: 'v3', pod: 'b', le: OTHER_LE, per15s: USUAL },
  // No bound in common with stable's.
  {
    model: 'fraud',
    slot: 'canary',
    version: 'v4',
    pod: 'c1',
    le: ['0.15', '0.3', '0.6', '+Inf'],
    per15s: { '0.15': 90, '0.3': 97, '0.6': 100, '+Inf': 100 },
  },
  // A +Inf bucket only.
  { model: 'fraud', slot: 'canary', version: 'v5', pod: 'c1', le: ['+Inf'], per15s: { '+Inf': 100 } },
  { model: 'slow', slot: 'stable', version: 'v1', pod: 's1', le: STABLE_LE, per15s: SLOWISH },
  { model: 'slow', slot: 'canary', version: 'v2', pod: 'c1', le: STABLE_LE, per15s: ALL_SLOW },
];

function openMetrics(): string {
  const out = ['# TYPE lat_seconds histogram'];
  for (const e of EXPORTERS)
    for (const le of e.le)
      for (let i = 0; i < SAMPLES; i++)
        out.push(
          `lat_seconds_bucket{model="${e.model}",slot="${e.slot}",version="${e.version}",pod="${e.pod}",le="${le}"} ${(e.per15s[le] as number) * i} ${BASE_S + i * STEP_S}`,
        );
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}

const SELECT = 'model="{{model}}",slot="{{slot}}",version="{{version}}"';
const BUCKETS = `sum by (le) (increase(lat_seconds_bucket{${SELECT}}[{{window}}]))`;

let source: PrometheusSource;

const prom = useBackfilledPrometheus('model-gate-latency-layouts-', openMetrics);

beforeAll(() => {
  source = prometheusSource({
    type: 'prometheus',
    url: prom.url,
    headers: {},
    timeoutMs: 5_000,
    requests: `sum(increase(lat_seconds_bucket{${SELECT},le="+Inf"}[{{window}}]))`,
  });
});

/** A 12-minute step from minute 15, after 10 minutes of stable-only reference. */
const step = (candidate: string, model = 'fraud'): StatisticalContext => ({
  metrics: source,
  model,
  stable: 'v1',
  candidate,
  since: (BASE_S + 15 * 60) * 1000,
  now: (BASE_S + 27 * 60) * 1000,
  minRequests: 100,
  weight: 50,
});

const gate = (judge: LatencyGateConfig['judge']): LatencyGateConfig => ({
  kind: 'latency',
  name: 'p95',
  buckets: BUCKETS,
  quantile: 0.95,
  maxIncrease: 0.1,
  referenceMs: 600_000,
  judge,
  alpha: 0.05,
  failureLimit: 0,
  consecutiveErrorLimit: 4,
});

describe('latency gates on histograms with different bucket layouts (real Prometheus)', () => {
  it('does not fail a candidate as fast as stable whose histogram has other buckets, under any judge', async () => {
    const sequential = await measureLatency(gate('sequential'), step('v2'));
    expect(sequential.verdict).not.toBe('fail');
    // Both read through le 0.1 and 0.4: the same p95 (only known to lie in that bucket), the same
    // share slower than the cut-off.
    expect(sequential.note).toMatch(
      /^p95 0\.1–0\.4 \(≈0\.337\) on v2 vs 0\.1–0\.4 \(≈0\.337\) on v1; slower than 0\.4: 1(\.0)?% of v2's requests vs 1(\.0)?% of v1's.*; judged on the bucket bounds both histograms have \(le 0\.1, 0\.4\)$/,
    );
    expect(await measureLatency(gate('threshold'), step('v2'))).toMatchObject({
      verdict: 'pass',
      canary: expect.closeTo(0.337, 3),
      baseline: expect.closeTo(0.337, 3),
      note: 'judged on the bucket bounds both histograms have (le 0.1, 0.4)',
    });
    expect((await measureLatency(gate('mann-whitney'), step('v2'))).verdict).toBe('pass');
  }, 60_000);

  it('is inconclusive when the arms share no bucket bound, listing each one', async () => {
    for (const judge of ['sequential', 'threshold', 'mann-whitney'] as const) {
      expect(await measureLatency(gate(judge), step('v4'))).toMatchObject({
        verdict: 'inconclusive',
        note: "v4's and v1's latency histograms share no bucket bound (v4: le 0.15, 0.3, 0.6; v1: le 0.05, 0.1, 0.2, 0.4, 0.8): export both with the same buckets",
      });
    }
  }, 60_000);

  it('refuses replicas with different buckets summed by (le) as no data, naming the query', async () => {
    const w = {
      model: 'fraud',
      slot: 'canary' as const,
      version: 'v3',
      since: step('v3').since,
      until: step('v3').now,
    };
    const err = await source.buckets(BUCKETS, w).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoDataError);
    const shown = `"sum by (le) (increase(lat_seconds_bucket{model=\\"fraud\\",slot=\\"canary\\",version=\\"v3\\"}[720s]))"`;
    const message = `prometheus: the buckets are not cumulative (le="0.2" counts 4560, fewer than the 7680 at or below le="0.1"): the replicas behind this query most likely export different bucket layouts, which sum by (le) mixes into no histogram; give every replica the same buckets, or aggregate per replica (select one layout's replicas) in the query: ${shown}`;
    expect((err as Error).message).toBe(message);
    for (const judge of ['sequential', 'threshold'] as const)
      expect(await measureLatency(gate(judge), step('v3'))).toMatchObject({
        verdict: 'inconclusive',
        note: message,
      });
  }, 60_000);

  it('reads a +Inf-only histogram as no latency, as histogram_quantile does (NaN), never as 0', async () => {
    const w = {
      model: 'fraud',
      slot: 'canary' as const,
      version: 'v5',
      since: step('v5').since,
      until: step('v5').now,
    };
    const buckets = await source.buckets(BUCKETS, w);
    expect(buckets).toEqual([{ le: '+Inf', count: 4800 }]);
    expect(await source.value(`histogram_quantile(0.95, ${BUCKETS})`, w)).toBeUndefined();
    expect(histogramQuantile(0.95, buckets ?? [])).toBeUndefined();
    for (const judge of ['sequential', 'threshold', 'mann-whitney'] as const) {
      expect(await measureLatency(gate(judge), step('v5'))).toMatchObject({
        verdict: 'inconclusive',
        note: "v5's latency histogram has a +Inf bucket only, which tells no latency: export it with bucket bounds (le)",
      });
    }
  }, 60_000);

  it('never passes a candidate slower than the largest bound on that bound, and says "> 0.8"', async () => {
    const w = {
      model: 'slow',
      slot: 'canary' as const,
      version: 'v2',
      since: step('v2').since,
      until: step('v2').now,
    };
    // What histogram_quantile says too: the largest finite bound, for requests that took 5 s.
    expect(await source.value(`histogram_quantile(0.95, ${BUCKETS})`, w)).toBe(0.8);
    // Stable's p95 is 0.76: 10% more tolerates 0.836, above 0.8, where the histogram stops telling.
    for (const judge of ['threshold', 'mann-whitney'] as const) {
      expect(await measureLatency(gate(judge), step('v2', 'slow'))).toMatchObject({
        verdict: 'inconclusive',
        note: "p95 > 0.8 on v2 (beyond its histogram's largest bucket bound) against the tolerated 0.836 (v1's 0.4–0.8 (≈0.76) + 10%): the histogram cannot tell whether it is over; export bucket bounds above 0.8",
      });
    }
    const sequential = await measureLatency(gate('sequential'), step('v2', 'slow'));
    expect(sequential.verdict).toBe('fail');
    expect(sequential.note).toMatch(
      /^p95 > 0\.8 on v2 vs 0\.4–0\.8 \(≈0\.76\) on v1; slower than 0\.8: 100% of v2's requests/,
    );
  }, 60_000);
});
