import { describe, expect, it } from 'vitest';
import type { GateConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import type { ReleaseContext } from '../../src/release/context.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { type ArmBehaviour, FakeCounts } from '../gates/fake-metrics.js';
import { MemoryTarget } from '../support/memory-target.js';
import { canaryModel } from '../support/model-config.js';

// A reviewer reads the headline first: what each version did, then by how much that differs from
// the tolerance, and only then the statistics that decided it.

const judged = {
  judge: 'sequential',
  maxIncrease: 0.1,
  alpha: 0.025,
  failureLimit: 0,
  consecutiveErrorLimit: 4,
};
const errors = {
  kind: 'ratio',
  name: 'errors',
  events: 'errors',
  total: 'requests',
  ...judged,
} as GateConfig;
const p95 = {
  kind: 'latency',
  name: 'p95',
  buckets: 'latency',
  quantile: 0.95,
  referenceMs: 600_000,
  ...judged,
};

const model = (gate: GateConfig) =>
  canaryModel({
    gates: [gate],
    strategy: {
      type: 'canary',
      steps: [10],
      stepDurationMs: 3_600_000,
      minRequests: 100,
      intervalMs: 60_000,
    },
  });

async function released(gate: GateConfig, stable: ArmBehaviour, canary: ArmBehaviour): Promise<string> {
  const config = model(gate);
  const clock = new FakeClock();
  const ctx: ReleaseContext = {
    config,
    target: new MemoryTarget(),
    metrics: new FakeCounts({ stable, canary }),
    clock,
  };
  let r: Release = newRelease(config, {
    from: 'v1',
    to: 'v3',
    pr: 7,
    headSha: 'b'.repeat(40),
    now: clock.now(),
  });
  for (let i = 0; i < 100 && r.status === 'analysing'; i++) {
    r = await tick(r, ctx);
    if (r.status === 'analysing') await clock.sleep(60_000);
  }
  expect(r.status).toBe('failed');
  const all = { version: 1 as const, allowForks: false, models: { fraud: config } };
  return renderMarkdown(all, { releases: [r], skipped: [] }, { now: clock.now() });
}

const headline = (text: string) => text.split('\n').find((l) => l.startsWith('- fraud v3 was rolled back'));

describe('the headline of a release a ratio or latency gate failed', () => {
  it("leads with each version's error rate, then the ratio against the tolerance, the e-value last", async () => {
    const text = await released(
      errors,
      { rps: 90, errorRate: 0.005, medianMs: 40 },
      { rps: 10, errorRate: 0.15, medianMs: 40 },
    );
    const line = headline(text) ?? '';
    expect(line).toMatch(
      /^- fraud v3 was rolled back to v1 in step 1 of 1 \(10% of live traffic\): errors: 15% on v3 vs 0\.5% on v1 \(×30, at least ×\d+(\.\d)?; tolerated ×1\.1\); strong evidence of a regression$/,
    );
    // The same rates as the gate table's, written the same way.
    expect(text).toMatch(
      /^\| errors \(errors \/ requests\) \| 15% \([\d,]+ req\) \| 0\.5% \([\d,]+ req\) \|/m,
    );
    // One line, however much it says.
    expect(text.split('\n').filter((l) => l.includes('rolled back to v1 '))).toEqual([line]);
  });

  it("leads with each version's quantile, then the slow requests each served", async () => {
    const text = await released(
      p95 as GateConfig,
      { rps: 90, errorRate: 0, medianMs: 40 },
      { rps: 10, errorRate: 0, medianMs: 60 },
    );
    expect(headline(text)).toMatch(
      /^- fraud v3 was rolled back to v1 in step 1 of 1 \(10% of live traffic\): p95 [\d.]+–[\d.]+ ms \(≈[\d.]+\) on v3 vs [\d.]+–[\d.]+ ms \(≈[\d.]+\) on v1; slower than [\d.]+ ms: [\d.]+% of v3's requests vs [\d.]+% of v1's \(×[\d.]+, at least ×[\d.]+; tolerated ×1\.1\); strong evidence of a regression$/,
    );
  });
});
