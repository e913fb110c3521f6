import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { metricsFor } from '../../src/release/adapters.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { MemoryTarget } from '../support/memory-target.js';
import { useBackfilledPrometheus } from '../support/prometheus.js';

// A candidate whose /metrics goes down mid-step, against a real Prometheus: its series ends, so
// increase() over the step keeps returning the count it had, while v1's keeps growing. That last
// count is no new data, and the step's deadline fails for want of it (SPEC section 4).

/** Every 15 s for 30 minutes, from 2 hours ago on a whole hour. */
const BASE_S = Math.floor(Date.now() / 3_600_000) * 3600 - 2 * 3600;
const STEP_S = 15;
/** Requests per 15 s by status code, 2% failing each: v2 gets 10% of them. */
const PER_VERSION: Record<string, Record<string, number>> = {
  v1: { '200': 441, '500': 9 },
  v2: { '200': 49, '500': 1 },
};
/** v2's scrapes end 5 minutes in, 4 minutes into the first step (which starts a minute in). */
const LAST_SAMPLE: Record<string, number> = { v1: 120, v2: 20 };

function openMetrics(): string {
  const out = ['# TYPE http_requests counter'];
  for (const [version, codes] of Object.entries(PER_VERSION))
    for (const [code, n] of Object.entries(codes))
      for (let i = 0; i <= (LAST_SAMPLE[version] ?? 0); i++)
        out.push(
          `http_requests_total{app="fraud-detector",version="${version}",code="${code}"} ${n * i} ${BASE_S + i * STEP_S}`,
        );
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}

const prom = useBackfilledPrometheus('model-gate-stopped-candidate-', openMetrics);

const HTTP = (labels: string) =>
  `sum(increase(http_requests_total{app="{{model}}",version="{{version}}"${labels}}[{{window}}]))`;

const config = () => `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:1" }
  metrics: { type: prometheus, url: "${prom.url}", requests: '${HTTP('')}' }
models:
  fraud-detector:
    source: { file: m.yaml, key: version }
    strategy: { type: canary, steps: [10, 50], step-duration: 10m, min-requests: 100, interval: 30s }
    gates:
      - name: errors
        kind: ratio
        events: '${HTTP(',code=~"5.."')}'
        total: '${HTTP('')}'
        max-increase: 10%
`;

async function release(): Promise<Release> {
  const model = parseConfig(config(), {}).config.models['fraud-detector'];
  if (!model) throw new Error('no model fraud-detector');
  const clock = new FakeClock((BASE_S + 60) * 1000);
  const ctx = { config: model, target: new MemoryTarget(), metrics: metricsFor(model), clock };
  let r = newRelease(model, { from: 'v1', to: 'v2', now: clock.now() });
  for (let i = 0; i < 500 && r.status === 'analysing'; i++) {
    r = await tick(r, ctx);
    if (r.status === 'analysing') await clock.sleep(model.strategy.intervalMs);
  }
  return r;
}

describe('a candidate whose metrics stop mid-step (real Prometheus)', () => {
  it('fails the step at its deadline, saying its count stopped while v1 grew, instead of passing it', async () => {
    const r = await release();
    expect(r.status).toBe('failed');
    expect(r.phases.map((p) => [p.name, p.outcome])).toEqual([['step 1 of 2', 'failed']]);
    expect(r.reason).toMatch(
      /^no conclusive evidence within 10m at step 1 of 2: errors \(v2's request count stayed at \d+ for \d+m(\d+s)? while v1's grew by \d+, when about \d+ were due to it at 10% of live traffic: its metrics or the candidate itself stopped\)$/,
    );
  }, 60_000);
});
