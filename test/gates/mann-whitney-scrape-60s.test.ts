import { beforeAll, describe, expect, it } from 'vitest';
import type { LatencyGateConfig, RatioGateConfig } from '../../src/config/types.js';
import { measureLatency } from '../../src/gates/latency-gate.js';
import { measureRatio, type StatisticalContext } from '../../src/gates/ratio-gate.js';
import { type PrometheusSource, prometheusSource } from '../../src/metrics/prometheus-source.js';
import { useBackfilledPrometheus } from '../support/prometheus.js';

// `judge: mann-whitney` compares one value per minute of each arm. On the real Prometheus 2.42
// scraping every 60 s, a one-minute window holds one sample and increase() gives nothing for it:
// before, every minute was missing, and 15 minutes into the step the judge was still inconclusive,
// "no data for the canary or the baseline", while the step's totals showed 1% against 1%.

/** Every 60 s, 20 s past the minute, for 40 minutes, from 3 hours ago on a whole hour. */
const BASE_S = Math.floor(Date.now() / 3_600_000) * 3600 - 3 * 3600;
const SCRAPE_S = 60;
const OFFSET_S = 20;
const SAMPLES = 41;
const STEP_START_S = BASE_S + 600;

const LE = ['0.05', '0.1', '0.2', '0.4', '+Inf'];
/** Per minute, cumulative by `le`: p95 about 0.2 s for both versions. */
const LATENCY: Record<string, Record<string, number>> = {
  v1: { '0.05': 2000, '0.1': 3200, '0.2': 3800, '0.4': 3960, '+Inf': 4000 },
  v2: { '0.05': 200, '0.1': 320, '0.2': 380, '0.4': 396, '+Inf': 400 },
};
/** Requests per minute by status code: both versions fail 1%. */
const REQUESTS: Record<string, Record<string, number>> = {
  v1: { '200': 3960, '500': 40 },
  v2: { '200': 396, '500': 4 },
};

function openMetrics(): string {
  const at = (i: number) => BASE_S + OFFSET_S + i * SCRAPE_S;
  const out = ['# TYPE http_requests counter'];
  for (const [version, codes] of Object.entries(REQUESTS))
    for (const [code, n] of Object.entries(codes))
      for (let i = 0; i < SAMPLES; i++)
        out.push(`http_requests_total{app="fraud",version="${version}",code="${code}"} ${n * i} ${at(i)}`);
  // The same requests scraped every 3 minutes: two minutes hold one sample at most.
  out.push('# TYPE slow_requests counter');
  for (const [version, codes] of Object.entries(REQUESTS))
    for (const [code, n] of Object.entries(codes))
      for (let i = 0; i < SAMPLES; i += 3)
        out.push(`slow_requests_total{app="fraud",version="${version}",code="${code}"} ${n * i} ${at(i)}`);
  out.push('# TYPE lat_seconds histogram');
  for (const [version, buckets] of Object.entries(LATENCY))
    for (const le of LE)
      for (let i = 0; i < SAMPLES; i++)
        out.push(
          `lat_seconds_bucket{app="fraud",version="${version}",le="${le}"} ${(buckets[le] as number) * i} ${at(i)}`,
        );
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}

const prom = useBackfilledPrometheus('model-gate-mw-scrape-60s-', openMetrics);

const SELECT = 'app="{{model}}",version="{{version}}"';
const HTTP = (labels: string) => `sum(increase(http_requests_total{${SELECT}${labels}}[{{window}}]))`;

let source: PrometheusSource;
beforeAll(() => {
  source = prometheusSource({
    type: 'prometheus',
    url: prom.url,
    headers: {},
    timeoutMs: 5_000,
    requests: HTTP(''),
  });
});

const step = (minutes: number): StatisticalContext => ({
  metrics: source,
  model: 'fraud',
  stable: 'v1',
  candidate: 'v2',
  since: STEP_START_S * 1000,
  now: (STEP_START_S + minutes * 60) * 1000,
  minRequests: 100,
  weight: 10,
});

const common = { judge: 'mann-whitney', alpha: 0.05, failureLimit: 0, consecutiveErrorLimit: 4 } as const;

const ratio: RatioGateConfig = {
  ...common,
  kind: 'ratio',
  name: 'errors',
  events: HTTP(',code=~"5.."'),
  total: HTTP(''),
  maxIncrease: 0.5,
};

const latency: LatencyGateConfig = {
  ...common,
  kind: 'latency',
  name: 'p95',
  buckets: `sum by (le) (increase(lat_seconds_bucket{${SELECT}}[{{window}}]))`,
  quantile: 0.95,
  maxIncrease: 0.1,
  referenceMs: 600_000,
};

describe('judge: mann-whitney with 60 s scrapes (real Prometheus)', () => {
  it('judges the ratio gate on its minutes: 1% against 1% passes 15 minutes in', async () => {
    const look = await measureRatio(ratio, step(15));
    expect(look.canary).toBeCloseTo(0.01, 4);
    expect(look.baseline).toBeCloseTo(0.01, 4);
    expect({ verdict: look.verdict, note: look.note }).toEqual({ verdict: 'pass', note: look.note });
  }, 60_000);

  it('judges the latency gate on the same minutes: an equal p95 passes 15 minutes in', async () => {
    const look = await measureLatency(latency, step(15));
    expect({ verdict: look.verdict, note: look.note }).toEqual({ verdict: 'pass', note: look.note });
  }, 60_000);

  it('names the scrape interval when even two minutes hold too few scrapes (3-minute scrapes)', async () => {
    const SLOW = (labels: string) => `sum(increase(slow_requests_total{${SELECT}${labels}}[{{window}}]))`;
    const look = await measureRatio({ ...ratio, events: SLOW(',code=~"5.."'), total: SLOW('') }, step(15));
    // The step's totals are there; no minute is.
    expect(look.canary).toBeCloseTo(0.01, 4);
    expect(look.verdict).toBe('inconclusive');
    expect(look.note).toContain(
      "no one-minute value for the canary or the baseline though the step's totals have values",
    );
    expect(look.note).toContain('scrape_interval');
    expect(look.note).toContain('or use judge: sequential');
  }, 60_000);
});
