import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readsWholeService } from '../../src/config/gate-queries.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config, GateConfig, ModelConfig, ThresholdGateConfig } from '../../src/config/types.js';
import { foldMeasurement, measureThreshold } from '../../src/gates/threshold-gate.js';
import { prometheusSource } from '../../src/metrics/prometheus-source.js';
import { newRelease } from '../../src/release/new-release.js';
import type { GateState, Release } from '../../src/release/types.js';
import { keyMetricChart } from '../../src/report/chart.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { gateRows } from '../../src/report/rows.js';
import { type JsonServer, startJsonServer } from '../support/metrics-http.js';

// A 1% canary failing half its requests moves checkout's service-wide 5xx rate by 0.5 points: a
// gate on that rate passes it. Its row must say it read the whole service, not show the service's
// rate as the candidate's next to a "baseline"; a per-arm gate's row stays candidate vs baseline.

const T0 = Date.UTC(2026, 0, 1);
const SERVICE_5XX =
  'sum(rate(http_requests_total{service="checkout",code=~"5.."}[{{window}}])) / sum(rate(http_requests_total{service="checkout"}[{{window}}]))';
const ARM_5XX =
  'sum(rate(http_requests_total{service="checkout",slot="{{slot}}",code=~"5.."}[{{window}}])) / sum(rate(http_requests_total{service="checkout",slot="{{slot}}"}[{{window}}]))';

const configText = (
  metrics: string,
  strategy = '{ type: canary, steps: [1] }',
  [service, arm] = [SERVICE_5XX, ARM_5XX],
) => `version: 1
models:
  checkout:
    source: { file: models/checkout.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: ${metrics}
    strategy: ${strategy}
    gates:
      - { name: service-5xx, kind: threshold, query: '${service}', max: 0.02 }
      - { name: candidate-5xx, kind: threshold, query: '${arm}', max: 0.02 }
`;

/** A Prometheus query API on 127.0.0.1: 100 candidate requests, half failed; 9,900 stable ones, none failed. */
function prometheusAnswer(query: string): number {
  const slot = /slot="(canary|stable)"/.exec(query)?.[1];
  if (query.includes('model_gate_requests_total')) return slot === 'canary' ? 100 : 9900;
  if (slot === 'canary') return 0.5;
  if (slot === 'stable') return 0;
  return (100 * 0.5) / 10_000;
}

let prometheus: JsonServer;

beforeAll(async () => {
  prometheus = await startJsonServer((req) => ({
    status: 200,
    body: {
      status: 'success',
      data: {
        resultType: 'vector',
        result: [{ metric: {}, value: [T0 / 1000, String(prometheusAnswer(req.query.get('query') ?? ''))] }],
      },
    },
  }));
});

afterAll(async () => {
  await prometheus?.close();
});

/** Both gates' states after one look, 1 minute into the 1% step. */
async function looked(model: ModelConfig): Promise<Release> {
  if (model.metrics.type !== 'prometheus') throw new Error('a prometheus model');
  const metrics = prometheusSource(model.metrics);
  const gates: GateState[] = [];
  for (const gate of model.gates as ThresholdGateConfig[]) {
    const m = await measureThreshold(gate, {
      metrics,
      model: model.name,
      stable: 'v1',
      candidate: 'v2',
      since: T0,
      now: T0 + 60_000,
      minRequests: 100,
      weight: 1,
    });
    const fresh = { name: gate.name, kind: 'threshold' as const, verdict: 'pending' as const };
    gates.push(foldMeasurement({ ...fresh, failures: 0, inconclusives: 0, consecutiveErrors: 0 }, gate, m));
  }
  return { ...newRelease(model, { from: 'v1', to: 'v2', now: T0 }), gates };
}

const checkout = (config: Config) => {
  const model = config.models.checkout;
  if (!model) throw new Error('no model checkout');
  return model;
};

describe('a threshold gate reading the whole service, in the report', () => {
  it('shows the service value and says it does not isolate the candidate; a per-arm gate shows both arms', async () => {
    const config = parseConfig(configText(`{ type: prometheus, url: "${prometheus.url}" }`), {}).config;
    const release = await looked(checkout(config));
    const [service, arm] = gateRows(release, checkout(config));

    expect(service).toMatchObject({
      candidate: 'service 0.005000',
      baseline: '–',
      verdict: '✅ pass',
      note: 'whole service: does not isolate the candidate',
    });
    expect(arm).toMatchObject({
      candidate: '0.5000 (100 req)',
      baseline: '0 (9,900 req)',
      verdict: '❌ fail',
    });
    expect(arm?.note).not.toMatch(/whole service/);

    const lines = renderMarkdown(config, { releases: [release], skipped: [] }, { now: T0 }).split('\n');
    expect(lines.find((l) => l.startsWith('| service-5xx '))).toMatch(
      / \| service 0\.005000 \| – \| .* \| ✅ pass: whole service: does not isolate the candidate \|$/,
    );
    expect(lines.find((l) => l.startsWith('| candidate-5xx '))).toMatch(
      / \| 0\.5000 \(100 req\) \| 0 \(9,900 req\) \| /,
    );
  });

  it('draws no candidate-vs-baseline chart of a whole-service gate', async () => {
    const config = parseConfig(configText(`{ type: prometheus, url: "${prometheus.url}" }`), {}).config;
    const release = await looked(checkout(config));
    const series: [number, number, number][] = [
      [30, 0.005, 0.005],
      [60, 0.005, 0.005],
    ];
    const [service, arm] = release.gates;
    if (!service || !arm) throw new Error('two gates');
    const onlyService = { ...release, gates: [{ ...service, series }, arm] };
    expect(keyMetricChart(onlyService, checkout(config))).toEqual([]);
    const both = {
      ...release,
      gates: [
        { ...service, series },
        { ...arm, series },
      ],
    };
    expect(keyMetricChart(both, checkout(config)).join('\n')).toMatch(
      /title "candidate-5xx \(failed\): the line is candidate v2, the bars baseline v1"/,
    );
  });
});

describe('which threshold gates read the whole service', () => {
  const gatesOf = (metrics: string, strategy?: string): [GateConfig, ModelConfig][] => {
    // The file and http-json sources read a selector, not PromQL: one that names no arm.
    const selectors: [string, string] | undefined = /type: (file|http-json)/.test(metrics)
      ? ['error_rate', 'error_rate']
      : undefined;
    const model = checkout(parseConfig(configText(metrics, strategy, selectors), {}).config);
    return model.gates.map((g) => [g, model]);
  };
  const whole = (pairs: [GateConfig, ModelConfig][]) => pairs.map(([g, m]) => readsWholeService(g, m));

  it('a query naming no arm on a real source, except where the candidate takes all traffic', () => {
    expect(whole(gatesOf('{ type: prometheus, url: "http://127.0.0.1:1" }'))).toEqual([true, false]);
    // Blue-green: after the switch the whole service is the candidate.
    const blueGreen = '{ type: blue-green, bake-duration: 5m }';
    expect(whole(gatesOf('{ type: prometheus, url: "http://127.0.0.1:1" }', blueGreen))).toEqual([
      false,
      false,
    ]);
    // The file source picks the slot's entry itself.
    expect(whole(gatesOf('{ type: file, path: metrics.json }'))).toEqual([false, false]);
  });

  it('on http-json, by the URL the value is read from', () => {
    const bySlot = '{ type: http-json, url: "http://127.0.0.1:1/{{slot}}" }';
    expect(whole(gatesOf(bySlot))).toEqual([false, false]);
    // A selector is no template: with a URL naming no arm, both gates read the same answer.
    expect(whole(gatesOf('{ type: http-json, url: "http://127.0.0.1:1/stats" }'))).toEqual([true, true]);
  });
});
