import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { metricsFor } from '../../src/release/adapters.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { MemoryTarget } from '../support/memory-target.js';
import { useBackfilledPrometheus } from '../support/prometheus.js';

// A query that matches no series is no data for that arm, never 0 events (SPEC section 4): whole
// releases on a fake clock against a real Prometheus holding backfilled counters, as a service's
// own exporter writes them: a version gets a series per status code only once it has answered one.

/** Every 15 s for 75 minutes, from 3 hours ago on a whole hour. */
const BASE_S = Math.floor(Date.now() / 3_600_000) * 3600 - 3 * 3600;
const STEP_S = 15;
const SAMPLES = 301;

/** Requests per 15 s by status code: v2 never fails (it has no 5xx series), v3 fails 30%. */
const PER_VERSION: Record<string, Record<string, number>> = {
  v1: { '200': 200, '500': 1 },
  v2: { '200': 100 },
  v3: { '200': 70, '500': 30 },
};
/** The counters of the examples' services and the label each puts the status in. */
const COUNTERS = [
  { name: 'http_requests_total', model: 'app', status: 'code' },
  { name: 'predict_requests_total', model: 'model', status: 'code' },
  { name: 'nginx_upstream_requests_total', model: 'model', status: 'status' },
];

function openMetrics(): string {
  const out: string[] = [];
  for (const c of COUNTERS) {
    out.push(`# TYPE ${c.name.replace(/_total$/, '')} counter`);
    for (const [version, codes] of Object.entries(PER_VERSION))
      for (const [code, n] of Object.entries(codes))
        for (let i = 0; i < SAMPLES; i++)
          out.push(
            `${c.name}{${c.model}="fraud-detector",version="${version}",${c.status}="${code}"} ${n * i} ${BASE_S + i * STEP_S}`,
          );
  }
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}

const prom = useBackfilledPrometheus('model-gate-no-series-', openMetrics);

/** A whole release from `from` to `to`, tick by tick on a fake clock inside the backfilled hour. */
async function release(model: ModelConfig, to: string): Promise<Release> {
  const clock = new FakeClock((BASE_S + 60) * 1000);
  const ctx = { config: model, target: new MemoryTarget(), metrics: metricsFor(model), clock };
  let r = newRelease(model, { from: 'v1', to, now: clock.now() });
  for (let i = 0; i < 500 && r.status === 'analysing'; i++) {
    r = await tick(r, ctx);
    if (r.status === 'analysing') await clock.sleep(model.strategy.intervalMs);
  }
  return r;
}

const modelOf = (yaml: string): ModelConfig => {
  const model = parseConfig(yaml, {}).config.models['fraud-detector'];
  if (!model) throw new Error('no model fraud-detector');
  return model;
};

const HTTP = (labels: string) =>
  `sum(increase(http_requests_total{app="{{model}}",version="{{version}}"${labels}}[{{window}}]))`;

const ratioGate = (events: string, metrics = `requests: '${HTTP('')}'`) => `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:1" }
  metrics: { type: prometheus, url: "${prom.url}", ${metrics} }
models:
  fraud-detector:
    source: { file: m.yaml, key: version }
    strategy: { type: canary, steps: [10, 50], step-duration: 5m, min-requests: 100, interval: 30s }
    gates:
      - name: errors
        kind: ratio
        events: '${events}'
        total: '${HTTP('')}'
        max-increase: 10%
`;

describe('a count query that matches no series', () => {
  it('fails at the deadline as no data, naming the query, when the events label is misspelt', async () => {
    // The counter's label is `code`; `status` matches nothing, for the 30%-failing v3 too.
    const r = await release(modelOf(ratioGate(HTTP(',status=~"5.."'))), 'v3');
    expect(r.status).toBe('failed');
    expect(r.reason).toBe(
      `no conclusive evidence within 5m at step 1 of 2: errors (events: prometheus: the count query matched nothing for the canary slot (version v3), which is no data, not 0: check its metric name and labels; if zero is meant, write (…) or vector(0): "sum(increase(http_requests_total{app=\\"fraud-detector\\",version=\\"v3\\",status=~\\"5..\\"}[300s]))")`,
    );
    expect(r.gates[0]).toMatchObject({ verdict: 'pending', last: { verdict: 'inconclusive' } });
  }, 60_000);

  it('with `or vector(0)`, reads a candidate without 5xx as 0 errors and passes it; a failing one still fails', async () => {
    const events = `${HTTP(',code=~"5.."')} or vector(0)`;
    const healthy = await release(modelOf(ratioGate(events)), 'v2');
    expect(healthy.status).toBe('ready');
    const failing = await release(modelOf(ratioGate(events)), 'v3');
    expect(failing.status).toBe('failed');
    // Failed by the judge on the counts, not for want of data.
    expect(failing.gates[0]?.verdict).toBe('fail');
    expect(failing.reason).toMatch(/^errors: (?!.*no data)/);
  }, 60_000);

  it('names the default requests query and says to set metrics.requests when the service has no model-gate counters', async () => {
    // No `requests`: the default counts model_gate_requests_total, which only the sandbox exports.
    const r = await release(modelOf(ratioGate(`${HTTP(',code=~"5.."')} or vector(0)`, '')), 'v2');
    expect(r.status).toBe('failed');
    expect(r.reason).toContain(
      'errors (prometheus: the requests query matched nothing for the canary slot (version v2), which is no data, not 0: it is the default requests query, which counts what model-gate sandbox exports: for another service, set metrics.requests to its request count, e.g. sum(increase(http_requests_total{app="{{model}}",version="{{version}}"}[{{window}}])): "sum(increase(model_gate_requests_total{model=\\"fraud-detector\\",slot=\\"canary\\",version=\\"v2\\"}[300s]))")',
    );
  }, 60_000);
});

describe.each(['kserve', 'vertex', 'http', 'command'])("examples/%s's error gate", (platform) => {
  const example = async () => {
    const text = await readFile(
      new URL(`../../examples/${platform}/model-gate.yml`, import.meta.url),
      'utf8',
    );
    const model = parseConfig(text, { PROMETHEUS_URL: prom.url, SERVING_TOKEN: 't' }).config.models[
      'fraud-detector'
    ];
    if (!model) throw new Error(`examples/${platform} has no fraud-detector`);
    return model;
  };

  it('passes a healthy candidate that has no 5xx series and fails one answering 30% with 5xx', async () => {
    const model = await example();
    expect(model.gates.map((g) => g.name)).toEqual(['errors']);
    const healthy = await release(model, 'v2');
    expect({ status: healthy.status, reason: healthy.reason }).toMatchObject({ status: 'ready' });
    const failing = await release(model, 'v3');
    expect(failing.status).toBe('failed');
    expect(failing.reason).toMatch(/^errors: 0\.3\d* is above the max 0\.02/);
  }, 60_000);
});
