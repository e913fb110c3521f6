import { describe, expect, it } from 'vitest';
import { released, report, row } from './release-world.js';
import { canary, candidate, ERRORS, P95 } from './reviewed-canary.js';

// An outage of the metrics backend ends the release "without a verdict on it", so its gates'
// rows must not read `❌ fail`: what they failed at was reading, not the candidate.

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
      "| errors (errors / requests) | 1% in step 1 of 3 | 1% in step 1 of 3 | at most ×1.1 the baseline's rate | ⚠️ no data: metrics backend unreachable (5 failed reads in a row) |",
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
