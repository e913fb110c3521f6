import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { measureRatio } from '../../src/gates/ratio-gate.js';
import { metricsFor } from '../../src/release/adapters.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { MemoryTarget } from '../support/memory-target.js';
import { useBackfilledPrometheus } from '../support/prometheus.js';

// A Prometheus that scrapes every 60 s while the gate looks every 30 s (the default), on the real
// Prometheus 2.42: increase() needs two samples in its window, so a step's first looks match
// nothing though the series are there. Before, those looks were inconclusive "matched nothing …
// check its metric name and labels", and with inconclusive-limit: 1 a candidate at 1% against a
// 1% baseline was rolled back.

/** Every 60 s, 20 s past the minute, for 40 minutes, from 3 hours ago on a whole hour. */
const BASE_S = Math.floor(Date.now() / 3_600_000) * 3600 - 3 * 3600;
const SCRAPE_S = 60;
const OFFSET_S = 20;
const SAMPLES = 41;
/** The first step starts 10 minutes in: its first sample is 20 s later, its second 80 s later. */
const STEP_START_S = BASE_S + 600;

/** Requests per minute by status code: both versions fail 1%. */
const PER_VERSION: Record<string, Record<string, number>> = {
  v1: { '200': 3960, '500': 40 },
  v2: { '200': 396, '500': 4 },
};

function openMetrics(): string {
  const out = ['# TYPE http_requests counter'];
  for (const [version, codes] of Object.entries(PER_VERSION))
    for (const [code, n] of Object.entries(codes))
      for (let i = 0; i < SAMPLES; i++)
        out.push(
          `http_requests_total{app="fraud-detector",version="${version}",code="${code}"} ${n * i} ${BASE_S + OFFSET_S + i * SCRAPE_S}`,
        );
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}

const prom = useBackfilledPrometheus('model-gate-scrape-60s-', openMetrics);

const HTTP = (labels: string) =>
  `sum(increase(http_requests_total{app="{{model}}",version="{{version}}"${labels}}[{{window}}]))`;

const modelOf = (events = HTTP(',code=~"5.."')): ModelConfig => {
  const yaml = `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:1" }
  metrics: { type: prometheus, url: "${prom.url}", requests: '${HTTP('')}' }
models:
  fraud-detector:
    source: { file: m.yaml, key: version }
    strategy: { type: canary, steps: [10], step-duration: 5m, min-requests: 100, interval: 30s }
    gates:
      - name: errors
        kind: ratio
        events: '${events}'
        total: '${HTTP('')}'
        max-increase: 50%
        inconclusive-limit: 1
`;
  const model = parseConfig(yaml, {}).config.models['fraud-detector'];
  if (!model) throw new Error('no model fraud-detector');
  return model;
};

async function release(model: ModelConfig): Promise<Release> {
  const clock = new FakeClock(STEP_START_S * 1000);
  const ctx = { config: model, target: new MemoryTarget(), metrics: metricsFor(model), clock };
  let r = newRelease(model, { from: 'v1', to: 'v2', now: clock.now() });
  for (let i = 0; i < 100 && r.status === 'analysing'; i++) {
    r = await tick(r, ctx);
    if (r.status === 'analysing') await clock.sleep(model.strategy.intervalMs);
  }
  return r;
}

/** One look at the error gate `afterS` seconds into the step. */
async function lookAt(afterS: number, events?: string) {
  const model = modelOf(events);
  const gate = model.gates[0];
  if (gate?.kind !== 'ratio') throw new Error('no ratio gate');
  return measureRatio(gate, {
    metrics: metricsFor(model),
    model: 'fraud-detector',
    stable: 'v1',
    candidate: 'v2',
    since: STEP_START_S * 1000,
    now: (STEP_START_S + afterS) * 1000,
    minRequests: 100,
    weight: 10,
  });
}

describe('a scrape interval longer than the look interval (real Prometheus, 60 s scrapes)', () => {
  it('waits for data while the window holds one scrape, and judges once it holds two', async () => {
    for (const afterS of [30, 60]) {
      const look = await lookAt(afterS);
      expect({ afterS, verdict: look.verdict }).toEqual({ afterS, verdict: 'waiting' });
      expect(look.note).toContain('range holds fewer than two scrapes of');
      expect(look.note).toContain('increase() needs two');
      expect(look.note).toContain('scrape_interval');
      expect(look.note).not.toContain('check its metric name and labels');
    }
    const judged = await lookAt(90);
    expect(judged.verdict).not.toBe('inconclusive');
    expect(judged.canary).toBeCloseTo(0.01, 4);
    expect(judged.baseline).toBeCloseTo(0.01, 4);
  }, 60_000);

  it('does not roll back a candidate failing 1% against a 1% baseline under inconclusive-limit: 1', async () => {
    const r = await release(modelOf());
    expect({ status: r.status, reason: r.reason }).toEqual({ status: 'ready', reason: r.reason });
    expect(r.gates[0]?.verdict).toBe('pass');
  }, 60_000);

  it('still says to check the metric name and labels when the selector has no series at all', async () => {
    // `status` is no label of this counter: nothing to wait for.
    const look = await lookAt(90, HTTP(',status=~"5.."'));
    expect(look.verdict).toBe('inconclusive');
    expect(look.note).toContain('matched nothing for the canary slot (version v2)');
    expect(look.note).toContain('check its metric name and labels');
  }, 60_000);
});
