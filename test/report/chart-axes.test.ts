import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ModelConfig } from '../../src/config/types.js';
import { newRelease } from '../../src/release/new-release.js';
import { withLook } from '../../src/release/series.js';
import type { GateState, Release } from '../../src/release/types.js';
import { keyMetricChart } from '../../src/report/chart.js';

// The key metric chart is mermaid's xychart-beta: its x-axis is a band axis (one evenly spaced
// slot per label, equal labels merged into one slot) and its grammar reads only quoted strings
// without `"` and plain decimal numbers. These check what a reader of the PR comment sees.

const ARM_5XX =
  'sum(rate(http_requests_total{slot="{{slot}}",code=~"5.."}[5m])) / sum(rate(http_requests_total{slot="{{slot}}"}[5m]))';

/** A model whose only gate is `gate`, read from Prometheus, the sandbox or a JSON endpoint per arm. */
function modelWith(gate: string, metrics: 'prometheus' | 'sandbox' | 'http-json'): ModelConfig {
  const url = metrics === 'http-json' ? 'http://127.0.0.1:9/{{slot}}' : 'http://127.0.0.1:9';
  const text = `version: 1
models:
  fraud:
    source: { file: models/fraud.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: { type: ${metrics}, url: "${url}" }
    strategy: { type: canary, steps: [10, 50] }
    gates:
      - ${gate}
`;
  const model = parseConfig(text, {}).config.models.fraud;
  if (!model) throw new Error('no model fraud');
  return model;
}

/** The release with its first gate's series made by the engine's own series builder from these looks. */
function charted(model: ModelConfig, looks: [seconds: number, canary: number, baseline: number][]): string[] {
  const release = newRelease(model, { from: 'v1', to: 'v2', now: 0 });
  let gate = release.gates[0] as GateState;
  for (const [s, canary, baseline] of looks)
    gate = withLook(gate, { at: s * 1000, verdict: 'waiting', canary, baseline }, 0);
  return keyMetricChart({ ...release, gates: [gate] } satisfies Release, model);
}

const labels = (chart: string[]) =>
  (chart.find((l) => l.startsWith('  x-axis'))?.match(/\[(.*)\]$/)?.[1] ?? '').split(', ');

const errorRate = modelWith('{ name: errors, kind: threshold, query: error-rate, max: 0.02 }', 'sandbox');

describe('the key metric chart axes', () => {
  it('gives each look its own x label: seconds early on, where minutes to one decimal all read 0.1', () => {
    // Looks 3 s apart, as a quick release makes them: the old labels were "0.1" three times.
    const chart = charted(errorRate, [
      [3, 0.01, 0.005],
      [6, 0.012, 0.005],
      [9, 0.011, 0.005],
    ]);
    expect(chart[3]).toBe('  x-axis "seconds since the release started" ["3s", "6s", "9s"]');
    expect(chart[6]).toBe('  line [1, 1.2, 1.1]');
  });

  it('labels a longer release m:ss, then h:mm:ss, one distinct label per kept look', () => {
    const every = (step: number, until: number) =>
      Array.from({ length: until / step }, (_, i): [number, number, number] => [(i + 1) * step, 0.01, 0.005]);
    const tenMinutes = labels(charted(errorRate, every(5, 600)));
    expect(tenMinutes.at(-1)).toBe('"10:00"');
    expect(new Set(tenMinutes).size).toBe(tenMinutes.length);
    for (const l of tenMinutes) expect(l).toMatch(/^"\d+:[0-5]\d"$/);
    const twoHours = charted(errorRate, every(30, 7200));
    expect(twoHours[3]).toMatch(/^ {2}x-axis "time since the release started \(h:mm:ss\)" \[/);
    const long = labels(twoHours);
    expect(long.at(-1)).toBe('"2:00:00"');
    expect(new Set(long).size).toBe(long.length);
    // Two looks rounded to the same second are one point, the later one, not two stacked in one slot.
    const same = charted(errorRate, [
      [10, 0.01, 0.005],
      [10.2, 0.02, 0.005],
      [20, 0.01, 0.005],
    ]);
    expect(labels(same)).toEqual(['"10s"', '"20s"']);
    expect(same[6]).toBe('  line [2, 1]');
  });

  it("titles the y-axis with a PromQL gate's name, not its query stripped of punctuation", () => {
    const model = modelWith(
      `{ name: checkout-5xx, kind: threshold, query: '${ARM_5XX}', max: 0.02 }`,
      'prometheus',
    );
    const chart = charted(model, [
      [60, 0.5, 0],
      [120, 0.4, 0],
    ]);
    // The query's unit is the backend's, not known: the name alone, no guessed unit.
    expect(chart[4]).toBe('  y-axis "checkout-5xx" 0 --> 0.55');
    expect(
      charted(errorRate, [
        [60, 0.5, 0],
        [120, 0.4, 0],
      ])[4],
    ).toBe('  y-axis "errors (%)" 0 --> 55');
  });

  it('scales a value to a percent exactly where the gate table shows it as one', () => {
    // A throughput named `…request_rate` is requests a second (the table: 12.90 vs 112), not a share:
    // the old chart said "throughput (%)" and plotted 1250.
    const throughput = modelWith(
      '{ name: throughput, kind: threshold, query: stats.request_rate, min: 5 }',
      'http-json',
    );
    const perSecond = charted(throughput, [
      [10, 12.5, 110],
      [20, 12.9, 112],
    ]);
    expect(perSecond[4]).toBe('  y-axis "throughput" 0 --> 123.2');
    expect(perSecond[6]).toBe('  line [12.5, 12.9]');
    // A share whose name starts with `request` is a percent (the table: 99.50%), not a bare 0.995.
    const success = modelWith(
      '{ name: success, kind: threshold, query: requests_success_rate, min: 0.99 }',
      'http-json',
    );
    const share = charted(success, [
      [10, 0.995, 0.999],
      [20, 0.995, 0.998],
    ]);
    expect(share[4]).toBe('  y-axis "success (%)" 0 --> 109.9');
    expect(share[6]).toBe('  line [99.5, 99.5]');
  });

  it("emits only statements mermaid's xychart grammar reads, even for values far below 1", () => {
    // A candidate error rate of 1 in a billion is 1e-7 %: as `1e-7` mermaid's number token
    // ([+-]?(\d+(\.\d+)?|\.\d+)) stops at the `e` and the chart fails to parse.
    const chart = charted(errorRate, [
      [30, 1e-9, 2.5e-9],
      [90, 0, 1234.5],
    ]);
    const str = '"[^"`\\n][^"\\n]*"';
    const num = '[+-]?(?:\\d+(?:\\.\\d+)?|\\.\\d+)';
    const grammar = [
      /^```mermaid$/,
      /^xychart-beta$/,
      new RegExp(`^ {2}title ${str}$`),
      new RegExp(`^ {2}x-axis ${str} \\[${str}(?:, ${str})*\\]$`),
      new RegExp(`^ {2}y-axis ${str} ${num} --> ${num}$`),
      new RegExp(`^ {2}bar \\[${num}(?:, ${num})*\\]$`),
      new RegExp(`^ {2}line \\[${num}(?:, ${num})*\\]$`),
      /^```$/,
    ];
    expect(chart).toHaveLength(grammar.length);
    chart.forEach((line, i) => {
      expect(line).toMatch(grammar[i] as RegExp);
    });
    expect(chart[4]).toBe('  y-axis "errors (%)" 0 --> 135800');
    expect(chart[5]).toBe('  bar [0.00000025, 123500]');
    expect(chart[6]).toBe('  line [0.0000001, 0]');
  });
});
