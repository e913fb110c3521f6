import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { GateConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import type { ReleaseContext } from '../../src/release/context.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { gateRows } from '../../src/report/rows.js';
import { MemoryTarget } from '../support/memory-target.js';
import { canaryModel } from '../support/model-config.js';
import { FakeCounts } from './fake-metrics.js';

const CONFIG = `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:8080" }
  metrics: { type: sandbox, url: "http://127.0.0.1:8080" }
models:
  fraud:
    source: { file: models/fraud.yaml, key: version }
    strategy: { type: canary, steps: [10, 50], step-duration: 10m, min-requests: 500, interval: 30s }
    gates:
      - { name: errors, kind: ratio, events: errors, max-increase: 10% }
      - { name: p95, kind: latency, quantile: 0.95, max-increase: 10%, alpha: 0.1 }
      - { name: split, kind: srm }
      - { name: nulls-kayenta, kind: ratio, events: nulls, total: answered, max-increase: 20%, judge: mann-whitney }
      - { name: p99-threshold, kind: threshold, query: latency-p99, max-increase: 50% }
`;

describe('ratio, latency and srm gates in the configuration', () => {
  it('parses them with their defaults and splits alpha across the gates that spend it (not mann-whitney or threshold)', () => {
    const { models } = parseConfig(CONFIG, {}).config;
    const gates = models.fraud?.gates as GateConfig[];
    expect(gates[0]).toEqual({
      kind: 'ratio',
      name: 'errors',
      events: 'errors',
      total: 'requests',
      maxIncrease: 0.1,
      judge: 'sequential',
      alpha: 0.05 / 3,
      failureLimit: 0,
      consecutiveErrorLimit: 4,
    });
    expect(gates[1]).toMatchObject({
      kind: 'latency',
      buckets: 'latency',
      quantile: 0.95,
      referenceMs: 600_000,
      alpha: 0.1 / 3,
    });
    expect(gates[2]).toEqual({
      kind: 'srm',
      name: 'split',
      maxMismatch: 0.1,
      alpha: 0.05 / 3,
      consecutiveErrorLimit: 4,
    });
    expect(gates[3]).toMatchObject({ judge: 'mann-whitney', total: 'answered', alpha: 0.05 });
    expect(gates[4]).toMatchObject({ kind: 'threshold', query: 'latency-p99' });
  });

  it('says what is wrong with a statistical gate', () => {
    const bad = CONFIG.replace('max-increase: 10% }', 'max-increase: 10, judge: bayes }').replace(
      'quantile: 0.95',
      'quantile: 95',
    );
    expect(() => parseConfig(bad, {})).toThrow(
      /gates\[0\]\.max-increase: expected a percentage such as "10%"/,
    );
    expect(() => parseConfig(bad, {})).toThrow(
      /gates\[0\]\.judge: .*"sequential", "mann-whitney" or "threshold"/,
    );
    expect(() => parseConfig(bad, {})).toThrow(/gates\[1\]\.quantile: /);
  });
});

describe('statistical gates in the release engine (fake clock)', () => {
  const gates: GateConfig[] = [
    {
      kind: 'ratio',
      name: 'errors',
      events: 'errors',
      total: 'requests',
      maxIncrease: 0.5,
      judge: 'sequential',
      alpha: 0.025,
      failureLimit: 0,
      consecutiveErrorLimit: 4,
    },
    {
      kind: 'latency',
      name: 'p95',
      buckets: 'latency',
      quantile: 0.95,
      maxIncrease: 0.5,
      referenceMs: 600_000,
      judge: 'sequential',
      alpha: 0.025,
      failureLimit: 0,
      consecutiveErrorLimit: 4,
    },
  ];
  const config = canaryModel({
    gates,
    strategy: {
      type: 'canary',
      steps: [10, 50],
      stepDurationMs: 3_600_000,
      minRequests: 100,
      intervalMs: 60_000,
    },
  });

  async function run(metrics: FakeCounts): Promise<Release> {
    const clock = new FakeClock();
    const ctx: ReleaseContext = { config, target: new MemoryTarget(), metrics, clock };
    let r = newRelease(config, { from: 'v1', to: 'v2', pr: 7, headSha: 'b'.repeat(40), now: clock.now() });
    for (let i = 0; i < 500 && r.status === 'analysing'; i++) {
      r = await tick(r, ctx);
      if (r.status === 'analysing') await clock.sleep(config.strategy.intervalMs);
    }
    return r;
  }

  it('ends each step as soon as both gates show no regression beyond tolerance', async () => {
    const end = await run(
      new FakeCounts({
        stable: { rps: 90, errorRate: 0.02, medianMs: 40 },
        canary: { rps: 10, errorRate: 0.02, medianMs: 40 },
      }),
    );
    expect(end.status).toBe('ready');
    expect(end.phases.map((p) => p.outcome)).toEqual(['passed', 'passed']);
    // Well before the hour each step may last.
    expect((end.phases[0]?.endedAt ?? 0) - (end.phases[0]?.startedAt ?? 0)).toBeLessThan(3_600_000);
    const rows = gateRows(end, config);
    expect(rows[0]?.gate).toBe('errors (errors / requests)');
    expect(rows[0]?.bound).toBe("at most ×1.5 the baseline's rate");
    expect(rows[0]?.method).toBe('sequential, α 0.025');
  });

  it('rolls a candidate with twice the errors back at the first step, saying why with the evidence', async () => {
    const end = await run(
      new FakeCounts({
        stable: { rps: 90, errorRate: 0.02, medianMs: 40 },
        canary: { rps: 10, errorRate: 0.04, medianMs: 40 },
      }),
    );
    expect(end.status).toBe('failed');
    expect(end.phases).toHaveLength(1);
    expect(end.reason).toMatch(
      /^errors: 4% on v2 vs 2% on v1 \(×2, at least ×1\.\d+; tolerated ×1\.5\); e-value \S+ ≥ 40$/,
    );
    const errors = gateRows(end, config)[0];
    expect(errors?.verdict).toBe('❌ fail');
    expect(errors?.candidate).toMatch(/^4% \([\d,]+ req\)$/);
    // What the arms showed first, the evidence behind the verdict after it, each figure once.
    expect(errors?.note).toMatch(
      /^4% on v2 vs 2% on v1 \(×2, at least ×[\d.]+; tolerated ×1\.5\); strong evidence of a regression \(e-value [\d.]+; 40 needed\)$/,
    );
  });

  it('passes a step whose arms both had no error at all: no events is data, not missing data', async () => {
    const clock = new FakeClock();
    const quiet = canaryModel({
      gates: [gates[0] as GateConfig],
      strategy: {
        type: 'canary',
        steps: [10],
        stepDurationMs: 600_000,
        minRequests: 100,
        intervalMs: 60_000,
      },
    });
    const metrics = new FakeCounts({
      stable: { rps: 90, errorRate: 0, medianMs: 40 },
      canary: { rps: 10, errorRate: 0, medianMs: 40 },
    });
    const ctx: ReleaseContext = { config: quiet, target: new MemoryTarget(), metrics, clock };
    let r = newRelease(quiet, { from: 'v1', to: 'v2', pr: 7, headSha: 'b'.repeat(40), now: clock.now() });
    for (let i = 0; i < 50 && r.status === 'analysing'; i++) {
      r = await tick(r, ctx);
      if (r.status === 'analysing') await clock.sleep(60_000);
    }
    expect(r.status).toBe('ready');
    expect(r.phases.map((p) => p.outcome)).toEqual(['passed']);
    expect(gateRows(r, quiet)[0]?.note).toContain(
      'no events in either arm yet: nothing points to a regression',
    );
  });
});
