import { describe, expect, it } from 'vitest';
import { renderTerminal } from '../../src/report/terminal.js';
import { released, report, row } from './release-world.js';
import { canary, candidate, ERRORS, P95 } from './reviewed-canary.js';

// A reviewer read `(×4.8, at least ×1.37 …) … effect 4.75 [1.38, 21.4]` in one cell: one interval
// as two numbers (the note rounds its bound outward, the evidence to nearest), the e-value twice.
// The note says the effect and its interval; the row says them once.

describe('the verdict cell of a sequential gate', () => {
  it('says the rate ratio, its bound and the e-value once, in the words of the note', async () => {
    const failed = await released(canary, candidate(0.05));
    expect(failed.status).toBe('failed');
    expect(row(report(canary, failed), ERRORS)).toBe(
      "| errors (errors / requests) | 5% (300 req) | 1.05% (950 req) | at most ×1.1 the baseline's rate | ❌ fail: 5% on v2 vs 1.05% on v1 (×4.8, at least ×1.37; tolerated ×1.1); strong evidence of a regression (e-value 200; 40 needed) |",
    );
    // The terminal's row too: the same cell, no second interval.
    const line = renderTerminal(canary, { releases: [failed], skipped: [] }, failed.updatedAt)
      .split('\n')
      .find((l) => l.startsWith(`  ${ERRORS}`));
    expect(line).toContain('(×4.8, at least ×1.37; tolerated ×1.1); strong evidence of a regression');
    expect(line).not.toMatch(/effect|\[1\.38/);
  });

  it("says a latency gate's share ratio once, the undecided gate beside it too", async () => {
    const failed = await released(canary, candidate(0.01, 60));
    const text = report(canary, failed);
    expect(row(text, P95)).toBe(
      "| p95 (p95) | 113.83–118.38 ms (≈115) (300 req) | 76.9–79.98 ms (≈77.4) (950 req) | at most ×1.1 the baseline's share of requests slower than its p95 | ❌ fail: p95 113.83–118.38 ms (≈115) on v2 vs 76.9–79.98 ms (≈77.4) on v1; slower than 76.9 ms: 26.7% of v2's requests vs 5.16% of v1's (×5.2, at least ×2.9; tolerated ×1.1); strong evidence of a regression (e-value \\>10¹²; 40 needed) |",
    );
    expect(row(text, ERRORS)).toBe(
      "| errors (errors / requests) | 1% (300 req) | 1.05% (950 req) | at most ×1.1 the baseline's rate | ➖ undecided: 1% on v2 vs 1.05% on v1 (×0.95, between ×0.078 and ×5.5; tolerated ×1.1); not enough evidence either way (e-value 0.441; 40 needed) (at its last look, as the phase ended after 10s) |",
    );
  });
});
