import { describe, expect, it } from 'vitest';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, released, report, row } from './release-world.js';

// An outage of the metrics backend ends the release "without a verdict on it", so its gates'
// rows must not read `❌ fail`: what they failed at was reading, not the candidate.

// The canary of the reviewed comments: sequential ratio and latency gates over three
// steps, the stable version at 95 req/s with 1% errors, the candidate at 30 req/s.

const canary = configWith(
  '{ type: canary, steps: [5, 25, 50], step-duration: 2m, min-requests: 100, interval: 10s }',
  [
    '{ name: errors, kind: ratio, events: errors, max-increase: 10% }',
    '{ name: p95, kind: latency, quantile: 0.95, max-increase: 10% }',
  ],
);

/** The candidate with this error rate and median latency (ms), beside the stable version's 1% and 40 ms. */
const candidate = (errorRate: number, medianMs = 40) =>
  new FakeCounts({
    stable: { rps: 95, errorRate: 0.01, medianMs: 40 },
    canary: { rps: 30, errorRate, medianMs },
  });

const ERRORS = 'errors (errors / requests)';
const P95 = 'p95 (p95)';

describe('the row of a gate ended by failed reads', () => {
  it("says no data, the backend's words and how many reads failed, with the values it last read", async () => {
    const m = candidate(0.01);
    // Step 1 passes; from step 2 on the backend is unreachable: 5 errors in a row end the release.
    const r = await released(canary, m, {
      each: (x) => {
        if (x.phase === 1) m.failing = true;
      },
    });
    expect(r.status).toBe('failed');
    const text = report(canary, r);
    expect(row(text, ERRORS)).toBe(
      "| errors (errors / requests) | 1.00% in step 1 of 3 | 1.00% in step 1 of 3 | at most ×1.1 the baseline's rate | ⚠️ no data: metrics backend unreachable (5 failed reads in a row) |",
    );
    expect(row(text, P95)).toMatch(
      /\| ⚠️ no data: metrics backend unreachable \(5 failed reads in a row\) \|$/,
    );
    expect(text).not.toContain('❌ fail');
  });

  it('still fails a gate whose data was read and was over its bound', async () => {
    const r = await released(canary, candidate(0.05));
    expect(row(report(canary, r), ERRORS)).toMatch(/\| ❌ fail: 5% on v2 vs 1\.05% on v1 /);
  });
});
