import { describe, expect, it } from 'vitest';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { configWith, released, report, row } from './release-world.js';

// A look over the bound that `failure-limit` tolerated leaves the gate pending: its row says so,
// or "pending: 30.0 ms is 163% over the baseline" reads as a contradiction.

const config = configWith(
  '{ type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }',
  [
    '{ name: p99, kind: threshold, query: latency-p99, max-increase: 50%, failure-limit: 1 }',
    '{ name: errors, kind: threshold, query: error-rate, max: 0.02 }',
  ],
);

const metrics = (candidateErrors: number) =>
  new ScriptedMetrics({
    stable: { rps: 90, values: { 'latency-p99': 11.4, 'error-rate': 0.005 } },
    canary: { rps: 40, values: { 'latency-p99': 30, 'error-rate': candidateErrors } },
  });

const P99 = 'p99 (latency-p99)';

describe('a look over the bound that failure-limit tolerated', () => {
  it('is said in the row of a gate still pending', async () => {
    const r = await released(config, metrics(0.005), { stop: (x) => x.gates[0]?.failures === 1 });
    expect(r.status).toBe('analysing');
    expect(row(report(config, r), P99)).toBe(
      '| p99 (latency-p99) | 30.0 ms (400 req) | 11.4 ms (900 req) | ≤ baseline +50% | ⏳ pending: ⚠️ over the bound on 1 look (one is tolerated; a second fails the gate); 30.0 ms is 163.2% over the baseline 11.4 ms (max +50%) |',
    );
  });

  it('is said in the row of a gate left undecided when another gate failed', async () => {
    const r = await released(config, metrics(0.2));
    expect(r).toMatchObject({ status: 'failed', reason: 'errors: 20.00% is above the max 2.00%' });
    expect(row(report(config, r), P99)).toMatch(
      /\| ➖ undecided: ⚠️ over the bound on 1 look \(one is tolerated; a second fails the gate\); 30\.0 ms is 163\.2% over the baseline 11\.4 ms \(max \+50%\) \|$/,
    );
  });

  it('is not said once the gate failed', async () => {
    const r = await released(config, metrics(0.005));
    expect(r).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^p99: /) });
    expect(row(report(config, r), P99)).toMatch(/\| ❌ fail: 30\.0 ms is 163\.2% over/);
  });
});
