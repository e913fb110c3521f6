import { describe, expect, it } from 'vitest';
import { storedForm } from '../../src/ledger/release-schema.js';
import type { Bucket } from '../../src/metrics/histogram.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import type { Release } from '../../src/release/types.js';
import { shortLines } from '../../src/report/short-lines.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { judgeLatency } from '../../src/stats/latency.js';
import { normalCdf } from '../../src/stats/special.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, released, report, row } from './release-world.js';
import { canary, P95 } from './reviewed-canary.js';

// With coarse buckets (le 50, 100, 250 ms) a p95 is only known to lie in a bucket: Prometheus'
// straight line through it read a true 130 ms as ~205 ms, and the comment showed "203.1 ms" beside
// the stable version's as if both were measured. The value says its bucket, the estimate after it;
// one on a bound, or from raw samples, reads as before. The verdicts are the same.

/** The reviewed canary's arms, their latencies counted in three coarse buckets only. */
class CoarseBuckets extends FakeCounts {
  override async buckets(query: string, w: MetricWindow): Promise<Bucket[] | undefined> {
    const n = (await super.buckets(query, w))?.at(-1)?.count ?? 0;
    const mu = Math.log(this.slots[w.slot === 'stable' ? 'stable' : 'canary'].medianMs);
    const below = (le: number) => Math.round(n * normalCdf((Math.log(le) - mu) / 0.4));
    return [...[50, 100, 250].map((le) => ({ le, count: below(le) })), { le: '+Inf', count: n }];
  }
}

/** True p95s of 130 ms on the candidate and 100 ms on stable (lognormal, log-sd 0.4: p95 = median × 1.93). */
const truly130vs100 = () =>
  new CoarseBuckets({
    stable: { rps: 95, errorRate: 0.01, medianMs: 100 / Math.exp(1.645 * 0.4) },
    canary: { rps: 30, errorRate: 0.01, medianMs: 130 / Math.exp(1.645 * 0.4) },
  });

/** The release as a ledger gives it back (the next run's and the comment's). */
function stored(r: Release): Release {
  const back = storedForm(r);
  if (!back.ok) throw new Error(back.problems.join('; '));
  return back.value;
}

const terminalRow = (r: Release, config = canary) =>
  renderTerminal(config, { releases: [r], skipped: [] }, r.updatedAt)
    .split('\n')
    .find((l) => l.startsWith(`  ${P95}`));

describe("a latency gate's quantile inside a coarse bucket", () => {
  it('reads as its bucket and an estimate in the cells, the note, the terminal and the short lines', async () => {
    const failed = stored(await released(canary, truly130vs100()));
    expect(failed.status).toBe('failed');
    const said =
      "p95 100–250 ms (≈203) on v2 vs 50–100 ms (≈99.9) on v1; slower than 100 ms: 16% of v2's requests vs 4.95% of v1's (×3.2, at least ×1.71; tolerated ×1.1)";
    expect(row(report(canary, failed), P95)).toBe(
      `| p95 (p95) | 100–250 ms (≈203) (300 req) | 50–100 ms (≈99.9) (950 req) | at most ×1.1 the baseline's share of requests slower than its p95 | ❌ fail: ${said}; strong evidence of a regression (e-value 1.30e+5; 40 needed) |`,
    );
    expect(terminalRow(failed)).toContain('100–250 ms (≈203) (300 req)  50–100 ms (≈99.9) (950 req)');
    const [lines] = shortLines({ releases: [failed], skipped: [] }).models;
    // The gate named once where its note names the quantile too, its e-value's meaning plainly.
    expect(lines?.lines[0]).toContain(`(5% of live traffic): ${said}; strong evidence of a regression`);
  });

  it('keeps a value on a bound plain, and says the threshold judge compares estimates', async () => {
    const config = configWith(
      '{ type: canary, steps: [5, 25, 50], step-duration: 12m, min-requests: 100, interval: 1m }',
      ['{ name: p95, kind: latency, quantile: 0.95, max-increase: 10%, judge: threshold }'],
    );
    const failed = stored(await released(config, truly130vs100()));
    expect(failed.status).toBe('failed');
    // Exactly 95% of stable's requests at or below 100 ms: its p95 is the bound, as measured.
    expect(row(report(config, failed), P95)).toBe(
      "| p95 (p95) | 100–250 ms (≈203.8) (1,800 req) | 100.0 ms (5,700 req) | ≤ baseline +10% (p95, look by look) | ❌ fail: 203.8 ms is 103.8% over the baseline 100.0 ms (max +10%); the p95 values compared are interpolated inside buckets (v2's lies in 100–250 ms): estimates, not measurements |",
    );
  });

  it("says the Mann-Whitney judge's minutes are estimates, its verdict the same", async () => {
    const config = configWith(
      '{ type: canary, steps: [5, 25, 50], step-duration: 12m, min-requests: 100, interval: 1m }',
      ['{ name: p95, kind: latency, quantile: 0.95, max-increase: 10%, judge: mann-whitney }'],
    );
    const failed = stored(await released(config, truly130vs100()));
    expect(failed.status).toBe('failed');
    expect(row(report(config, failed), P95)).toMatch(
      /^\| p95 \(p95\) \| 100–250 ms \(≈203\.8\) \(18,000 req\) \| 50–100 ms \(≈100\.0\) \(57,000 req\) \| .* meanRatio 2\.04; tolerated meanRatio 1\.1; the per-minute p95 values compared are interpolated inside buckets: estimates, as are the shift and meanRatio; /,
    );
  });

  it('reads raw samples, and a look stored before buckets were recorded, as plain values', async () => {
    const samples = (ms: number) => Array.from({ length: 400 }, (_, i) => (ms * (i + 1)) / 380);
    const j = judgeLatency({
      canary: { samples: samples(130) },
      baseline: { samples: samples(100) },
      quantile: 0.95,
      maxIncrease: 0.1,
      alpha: 0.05,
    });
    expect(j.note).toMatch(/^p95 130 ms on the candidate vs 100 ms on the baseline; /);
    const failed = await released(canary, truly130vs100());
    const gates = failed.gates.map(({ last, ...g }) => {
      if (!last) return g;
      const { inBucket: _, ...before } = last;
      return { ...g, last: before };
    });
    expect(row(report(canary, stored({ ...failed, gates })), P95)).toContain(
      '| p95 (p95) | 203 ms (300 req) | 99.9 ms (950 req) |',
    );
  });
});
