import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { storedForm } from '../../src/ledger/release-schema.js';
import { metricsFor } from '../../src/release/adapters.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { MemoryTarget } from '../support/memory-target.js';
import { useBackfilledPrometheus } from '../support/prometheus.js';

// Threshold gates on Prometheus' own histogram_quantile, whole releases on a fake clock against a
// real Prometheus holding backfilled histograms whose largest finite bucket is le="1". For a p95
// beyond it, histogram_quantile returns 1 itself: a candidate whose requests mostly took over 1 s
// read 1 and passed `max: 2`.

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

const prom = useBackfilledPrometheus('model-gate-threshold-quantile-', openMetrics);

const SELECT = 'model="{{model}}",version="{{version}}"';
const P95 = `histogram_quantile(0.95, sum by (le) (rate(infer_seconds_bucket{${SELECT}}[5m])))`;

const modelWith = (bounds: string, mustHaveData = true): ModelConfig => {
  const yaml = `version: 1
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
    must-have-data: ${mustHaveData}
    gates:
      - name: p95-latency
        kind: threshold
        query: '${P95}'
        ${bounds}
`;
  const model = parseConfig(yaml, {}).config.models['fraud-detector'];
  if (!model) throw new Error('no model fraud-detector');
  return model;
};

/** What a ledger gives the next run back of a tick's state. */
function readBack(r: Release): Release {
  const stored = storedForm(r);
  if (!stored.ok) throw new Error(stored.problems.join('; '));
  return stored.value;
}

/**
 * A whole release, tick by tick on a fake clock from 10 minutes into the backfilled data, each
 * tick on the state the ledger gives back of the one before, as runs after runs go. `downAfterMs`:
 * Prometheus is unreachable from then on (ms after the release began).
 */
async function release(
  model: ModelConfig,
  from: string,
  to: string,
  downAfterMs = Infinity,
): Promise<Release> {
  const clock = new FakeClock((BASE_S + 600) * 1000);
  const start = clock.now();
  const ctx = { config: model, target: new MemoryTarget(), metrics: metricsFor(model), clock };
  const down = metricsFor({
    ...model,
    metrics: { ...model.metrics, url: 'http://127.0.0.1:1' } as ModelConfig['metrics'],
  });
  let r = newRelease(model, { from, to, now: clock.now() });
  for (let i = 0; i < 500 && r.status === 'analysing'; i++) {
    if (clock.now() - start >= downAfterMs) ctx.metrics = down;
    r = readBack(await tick(r, ctx));
    if (r.status === 'analysing') await clock.sleep(model.strategy.intervalMs);
  }
  return r;
}

describe('a threshold gate on histogram_quantile, past the largest finite bucket (real Prometheus)', () => {
  it('does not pass a candidate whose p95 is beyond le="1" under max 2: no usable value, failing at the deadline', async () => {
    const r = await release(modelWith('max: 2'), 'v1', 'v2');
    expect(r.status).toBe('failed');
    expect(r.reason).toBe(
      'no conclusive evidence within 5m at step 1 of 2: p95-latency (p95 is beyond the largest bucket bound 1 (le="+Inf" only); the histogram cannot show whether it is under the max 2: add a bucket bound at or above 2)',
    );
    // Prometheus' own answer stays what the look shows.
    expect(r.gates[0]).toMatchObject({ verdict: 'pending', last: { verdict: 'inconclusive', canary: 1 } });
  }, 60_000);

  it('does not pass it under must-have-data: false either: the data is there, and says the p95 is above 1', async () => {
    // must-have-data: false excuses missing data: it passed the step undecided, and the candidate was ready.
    const r = await release(modelWith('max: 2', false), 'v1', 'v2');
    expect(r.status).toBe('failed');
    expect(r.reason).toBe(
      'no conclusive evidence within 5m at step 1 of 2: p95-latency (p95 is beyond the largest bucket bound 1 (le="+Inf" only); the histogram cannot show whether it is under the max 2: add a bucket bound at or above 2)',
    );
    expect(r.phases).toMatchObject([{ name: 'step 1 of 2', outcome: 'failed' }]);
  }, 60_000);

  it('nor when the look at the deadline cannot reach Prometheus: the look before it, read back from the ledger, decides', async () => {
    const r = await release(modelWith('max: 2', false), 'v1', 'v2', 300_000);
    expect(r.gates[0]?.last?.verdict).toBe('error');
    expect(r.status).toBe('failed');
    expect(r.reason).toMatch(
      /^no conclusive evidence within 5m at step 1 of 2: p95-latency \(p95 is beyond the largest bucket bound 1 /,
    );
  }, 60_000);

  it('fails it at once under a max at or below le="1", saying the p95 is above 1, not 1', async () => {
    const r = await release(modelWith('max: 0.5'), 'v1', 'v2');
    expect(r.status).toBe('failed');
    expect(r.reason).toBe(
      'p95-latency: p95 > 1 (beyond the largest bucket bound, le="+Inf" only) is above the max 0.5000',
    );
  }, 60_000);

  it('passes a fast candidate, saying that a max above le="1" cannot be reached by a reading', async () => {
    const r = await release(modelWith('max: 2'), 'v1', 'v3');
    expect(r.status).toBe('ready');
    expect(r.gates[0]?.last).toMatchObject({
      verdict: 'pass',
      canary: expect.closeTo(0.483, 3),
      note: 'the max 2 is above the largest bucket bound 1: a p95 beyond 1 cannot pass (the histogram cannot show whether it is under 2); add a bucket bound at or above 2',
    });
  }, 60_000);

  it('does not pass a candidate beyond le="1" on max-increase against a stable version beyond it too', async () => {
    // Both read 1: "1 is within 1 + 20%" passed a candidate the histograms say nothing about.
    const r = await release(modelWith('max-increase: 20%'), 'v4', 'v2');
    expect(r.status).toBe('failed');
    expect(r.reason).toBe(
      'no conclusive evidence within 5m at step 1 of 2: p95-latency (p95 is beyond the largest bucket bound 1 (le="+Inf" only), and the stable version\'s p95 is beyond its largest bucket bound 1; the histogram cannot show whether it is within max-increase 20% of the stable version\'s: add bucket bounds above 1)',
    );
  }, 60_000);
});
