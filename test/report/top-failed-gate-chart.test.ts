import { describe, expect, it } from 'vitest';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { configWith, released, report } from './release-world.js';

// On-call opened a comment whose p95 gate failed in step 2 and saw a chart of the errors gate: two
// flat ~1% series, a healthy picture beside a failure. The chart now shows the gate that failed,
// saying so; a failure on the first look (one point, no line to draw) gets no chart at all.
const config = configWith(
  '{ type: canary, steps: [5, 25], step-duration: 1m, min-requests: 10, interval: 10s }',
  [
    '{ name: errors, kind: threshold, query: error-rate, max: 0.02 }',
    '{ name: p95, kind: threshold, query: latency-p95, max: 100 }',
  ],
);

const metrics = (canaryP95: number) =>
  new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.01, 'latency-p95': 77 } },
    canary: { rps: 20, values: { 'error-rate': 0.01, 'latency-p95': canaryP95 } },
  });

const chartOf = (text: string) => {
  const at = text.indexOf('```mermaid');
  return at < 0 ? '' : text.slice(at, text.indexOf('```', at + 3) + 3);
};

describe('the chart of a failed release', () => {
  it('is the failed gate, said in its title with which arm is which, after an earlier healthy step', async () => {
    const m = metrics(77);
    const r = await released(config, m, {
      // Step 2 is where v2 slows down.
      each: (x) => {
        if (x.phase === 1) m.slots.canary.values['latency-p95'] = 115;
      },
    });
    expect(r.status).toBe('failed');
    expect(r.gates.find((g) => g.name === 'p95')?.verdict).toBe('fail');
    const chart = chartOf(report(config, r));
    expect(chart).toContain('  title "p95 (failed): the line is candidate v2, the bars baseline v1"');
    expect(chart).toContain('  y-axis "p95 (ms)"');
    expect(chart).toMatch(/ {2}line \[(77, )+115/);
    expect(chart).not.toContain('errors');
  });

  it('is left out when the failed gate has one look only: never a healthy gate in its place', async () => {
    const r = await released(config, metrics(115));
    expect(r.status).toBe('failed');
    expect(r.gates.find((g) => g.name === 'errors')?.series?.length).toBeGreaterThanOrEqual(1);
    expect(chartOf(report(config, r))).toBe('');
  });
});
