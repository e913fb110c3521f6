import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { storedForm } from '../../src/ledger/release-schema.js';
import { metricsFor } from '../../src/release/adapters.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { MemoryTarget } from '../support/memory-target.js';
import { useBackfilledPrometheus } from '../support/prometheus.js';

// A threshold gate on Prometheus' histogram_quantile: for a p95 beyond the largest finite bucket
// (le="1"), Prometheus answers 1 itself. The gate judged it as a floor, but the report's cell
// showed a bare `1`, as if the p95 had been measured at 1 s. The cell says it is a floor, for
// whichever arm's p95 is beyond the bucket; a value within the buckets reads as before.

/** Every 15 s for 30 minutes, from 3 hours ago on a whole hour. */
const BASE_S = Math.floor(Date.now() / 3_600_000) * 3600 - 3 * 3600;
const STEP_S = 15;
const SAMPLES = 121;

const LE = ['0.1', '0.5', '1', '+Inf'];
/** Cumulative requests per 15 s at each `le`: 100 requests, p95 about 0.48 s. */
const FAST = { '0.1': 50, '0.5': 97, '1': 100, '+Inf': 100 };
/** 100 requests, 90 of them over 1 s: p95 beyond the largest bound. */
const SLOW = { '0.1': 2, '0.5': 5, '1': 10, '+Inf': 100 };

const VERSIONS: Record<string, Record<string, number>> = { v1: FAST, v2: SLOW, v3: FAST, v4: SLOW };

function openMetrics(): string {
  const out = ['# TYPE infer_seconds histogram'];
  for (const [version, per15s] of Object.entries(VERSIONS))
    for (const le of LE)
      for (let i = 0; i < SAMPLES; i++)
        out.push(
          `infer_seconds_bucket{model="fraud-detector",version="${version}",le="${le}"} ${(per15s[le] as number) * i} ${BASE_S + i * STEP_S}`,
        );
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}

const prom = useBackfilledPrometheus('model-gate-beyond-last-bucket-', openMetrics);

const SELECT = 'model="{{model}}",version="{{version}}"';
const P95 = `histogram_quantile(0.95, sum by (le) (rate(infer_seconds_bucket{${SELECT}}[5m])))`;

const configWith = (bounds: string): Config =>
  parseConfig(
    `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:1" }
  metrics:
    type: prometheus
    url: "${prom.url}"
    requests: 'sum(increase(infer_seconds_bucket{${SELECT},le="+Inf"}[{{window}}]))'
models:
  fraud-detector:
    source: { file: m.yaml, key: version }
    strategy: { type: canary, steps: [10, 50], step-duration: 5m, min-requests: 100, interval: 30s }
    gates:
      - name: p95-latency
        kind: threshold
        query: '${P95}'
        ${bounds}
`,
    {},
  ).config;

/** A whole release on a fake clock, each tick on the state the ledger gives back; its gate's row. */
async function gateRow(bounds: string, from: string, to: string): Promise<{ release: Release; row: string }> {
  const config = configWith(bounds);
  const model = config.models['fraud-detector'];
  if (!model) throw new Error('no model fraud-detector');
  const clock = new FakeClock((BASE_S + 600) * 1000);
  const ctx = { config: model, target: new MemoryTarget(), metrics: metricsFor(model), clock };
  let r = newRelease(model, { from, to, now: clock.now() });
  for (let i = 0; i < 500 && r.status === 'analysing'; i++) {
    const stored = storedForm(await tick(r, ctx));
    if (!stored.ok) throw new Error(stored.problems.join('; '));
    r = stored.value;
    if (r.status === 'analysing') await clock.sleep(model.strategy.intervalMs);
  }
  const text = renderMarkdown(config, { releases: [r], skipped: [] }, { now: r.updatedAt });
  return { release: r, row: text.split('\n').find((l) => l.startsWith('| p95-latency')) ?? '' };
}

/** The candidate's and the baseline's cells, the second and third of the row. */
const cells = (row: string) => row.split(' | ').slice(1, 3);

describe('the cells of a threshold gate on histogram_quantile beyond the largest bucket (real Prometheus)', () => {
  it('shows the candidate\'s p95 beyond le="1" as a floor, not a measured 1', async () => {
    const { release, row } = await gateRow('max: 0.5', 'v1', 'v2');
    expect(release.status).toBe('failed');
    expect(cells(row)).toEqual([
      expect.stringMatching(/^\\> 1 \(beyond the last bucket\) \([\d,]+ req\)$/),
      expect.stringMatching(/^0\.48\d* \([\d,]+ req\)$/),
    ]);
    expect(row).toContain(
      'p95 \\> 1 (beyond the largest bucket bound, le="+Inf" only) is above the max 0.5000',
    );
  }, 60_000);

  it("shows both arms' as floors when both are beyond it", async () => {
    const { row } = await gateRow('max-increase: 20%', 'v4', 'v2');
    expect(cells(row)).toEqual([
      expect.stringMatching(/^\\> 1 \(beyond the last bucket\) \([\d,]+ req\)$/),
      expect.stringMatching(/^\\> 1 \(beyond the last bucket\) \([\d,]+ req\)$/),
    ]);
  }, 60_000);

  it("shows the stable version's as a floor beside a candidate within the buckets", async () => {
    const { release, row } = await gateRow('max-increase: 20%', 'v2', 'v1');
    expect(release.status).toBe('ready');
    expect(cells(row)).toEqual([
      expect.stringMatching(/^0\.48\d* \([\d,]+ req\)$/),
      expect.stringMatching(/^\\> 1 \(beyond the last bucket\) \([\d,]+ req\)$/),
    ]);
  }, 60_000);

  it('shows values within the buckets bare, as before', async () => {
    const { release, row } = await gateRow('max: 2', 'v1', 'v3');
    expect(release.status).toBe('ready');
    expect(cells(row)).toEqual([
      expect.stringMatching(/^0\.48\d* \([\d,]+ req\)$/),
      expect.stringMatching(/^0\.48\d* \([\d,]+ req\)$/),
    ]);
  }, 60_000);
});
