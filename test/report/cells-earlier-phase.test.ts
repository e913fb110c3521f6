import { describe, expect, it } from 'vitest';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, released, report, row } from './release-world.js';
import { canary, candidate, ERRORS, P95 } from './reviewed-canary.js';

// A new phase clears a gate's looks: its row read `– | – | ⏳ pending` while step 3 waited for its
// first look, though steps 1 and 2 had measured it. The row keeps the last values read, and says
// which phase read them.

describe('the row of a gate not looked at in the current phase', () => {
  it('shows the values the step before last read, named as its, while the new step has no look', async () => {
    const r = await released(canary, candidate(0.01), { stop: (x) => x.phase === 2 });
    expect(r.reason).toBe('analysing step 3 of 3 (50% of live traffic)');
    const text = report(canary, r);
    expect(row(text, ERRORS)).toBe(
      "| errors (errors / requests) | 1% in step 2 of 3 | 1% in step 2 of 3 | at most ×1.1 the baseline's rate | ⏳ pending: no look yet in step 3 of 3 |",
    );
    expect(row(text, P95)).toBe(
      "| p95 (p95) | 77.3 ms in step 2 of 3 | 77.3 ms in step 2 of 3 | at most ×1.1 the baseline's share of requests slower than its p95 | ⏳ pending: no look yet in step 3 of 3 |",
    );
  });

  it('shows what a ready rolling release judged in its earlier batch, not two dashes', async () => {
    const rolling = configWith(
      '{ type: rolling, instances: 4, batch-size: 2, step-duration: 1m, min-requests: 100, interval: 10s }',
      ['{ name: errors, kind: ratio, events: errors, max-increase: 10% }'],
    );
    const r = await released(
      rolling,
      new FakeCounts({
        stable: { rps: 95, errorRate: 0.01, medianMs: 40 },
        canary: { rps: 30, errorRate: 0.005, medianMs: 40 },
      }),
    );
    expect(r.status).toBe('ready');
    expect(row(report(rolling, r), ERRORS)).toBe(
      "| errors (errors / requests) | 0.5% in batch 1 of 2 (2/4 instances) | 1% in batch 1 of 2 (2/4 instances) | at most ×1.1 the baseline's rate | ✅ pass: not judged at 100% of traffic: no stable traffic left to compare with (judged in the earlier phases) |",
    );
  });
});
