import { describe, expect, it } from 'vitest';
import { storedForm } from '../../src/ledger/release-schema.js';
import type { Release } from '../../src/release/types.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, released, report, row } from './release-world.js';
import { canary, candidate, P95 } from './reviewed-canary.js';

// A p95 with more than 5% of requests slower than the histogram's largest finite bucket bound
// (138.49 ms here) is read as that bound: the note said `p95 > 138 ms`, while the cell beside it
// showed `138.5 ms` as if measured. The cell says it is a floor, and where the stable version's
// is one, its cell does too; a value within the buckets reads as before.

const BEYOND = '> 138.5 ms (beyond the last bucket)';

/** The canary of the reviewed comments with its latency gate on another judge, its steps long enough for it. */
const judged = (judge: 'threshold' | 'mann-whitney') =>
  configWith('{ type: canary, steps: [5, 25, 50], step-duration: 12m, min-requests: 100, interval: 1m }', [
    `{ name: p95, kind: latency, quantile: 0.95, max-increase: 10%, judge: ${judge} }`,
  ]);

/** The report as a ledger gives the release back (the next run's and the comment's). */
function stored(r: Release): Release {
  const back = storedForm(r);
  if (!back.ok) throw new Error(back.problems.join('; '));
  return back.value;
}

describe("a latency gate's cell where the quantile is beyond the histogram's last bucket", () => {
  it('shows the candidate sequential judge failed on as a floor, in the comment and the terminal', async () => {
    const failed = stored(await released(canary, candidate(0.01, 20000)));
    expect(failed.status).toBe('failed');
    expect(row(report(canary, failed), P95)).toBe(
      "| p95 (p95) | \\> 138.5 ms (beyond the last bucket) (300 req) | 76.9–79.98 ms (≈77.4) (950 req) | at most ×1.1 the baseline's share of requests slower than its p95 | ❌ fail: p95 \\> 138 ms on v2 vs 76.9–79.98 ms (≈77.4) on v1; slower than 76.9 ms: 100% of v2's requests vs 5.16% of v1's (×19, at least ×12; tolerated ×1.1); strong evidence of a regression (e-value \\>10¹²; 40 needed) |",
    );
    const line = renderTerminal(canary, { releases: [failed], skipped: [] }, failed.updatedAt)
      .split('\n')
      .find((l) => l.startsWith(`  ${P95}`));
    expect(line).toContain(`${BEYOND} (300 req)  76.9–79.98 ms (≈77.4) (950 req)`);
  });

  it.each([
    ['threshold', '1,800 req', '76.9–79.98 ms (≈77.2) (5,700 req)'],
    ['mann-whitney', '18,000 req', '76.9–79.98 ms (≈77.3) (57,000 req)'],
  ] as const)('shows it as a floor under judge: %s too', async (judge, requests, baseline) => {
    const config = judged(judge);
    const failed = stored(await released(config, candidate(0.01, 20000)));
    expect(failed.status).toBe('failed');
    expect(row(report(config, failed), P95)).toContain(`| \\${BEYOND} (${requests}) | ${baseline} |`);
  });

  it("shows the stable version's as a floor when its quantile is the one beyond", async () => {
    // The stable version this slow, the candidate at 40 ms: its p95 is within the buckets.
    const slowStable = new FakeCounts({
      stable: { rps: 95, errorRate: 0.01, medianMs: 20000 },
      canary: { rps: 30, errorRate: 0.01, medianMs: 40 },
    });
    const config = judged('threshold');
    const r = stored(await released(config, slowStable));
    expect(row(report(config, r), P95)).toMatch(
      /^\| p95 \(p95\) \| 76\.9–79\.98 ms \(≈77\.\d\) \([\d,]+ req\) \| \\> 138\.5 ms \(beyond the last bucket\) \([\d,]+ req\) \|/,
    );
  });

  it('shows a candidate within the buckets by its bucket, and a look stored before floors were recorded as before', async () => {
    const config = judged('threshold');
    const ready = stored(await released(config, candidate(0.01, 40)));
    expect(row(report(config, ready), P95)).toBe(
      '| p95 (p95) | 76.9–79.98 ms (≈77.3) (1,800 req) | 76.9–79.98 ms (≈77.2) (5,700 req) | ≤ baseline +10% (p95, look by look) | ✅ pass |',
    );
    // A ledger written before: its looks have no `floors` nor `inBucket`, and read back as they did, the bound bare.
    const failed = await released(canary, candidate(0.01, 20000));
    const gates = failed.gates.map(({ last, ...g }) => {
      if (!last) return g;
      const { floors: _, inBucket: __, ...before } = last;
      return { ...g, last: before };
    });
    const older = stored({ ...failed, gates });
    expect(row(report(canary, older), P95)).toContain('| p95 (p95) | 138 ms (300 req) | 77.4 ms (950 req) |');
  });
});
