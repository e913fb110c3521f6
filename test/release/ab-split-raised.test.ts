import { describe, expect, it } from 'vitest';
import type { Config, ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, report, row } from '../report/release-world.js';
import { MemoryTarget } from '../support/memory-target.js';

// A running A/B whose `split` the default branch changes mid-release (reconcile-config.ts): a config
// change never raises the candidate's traffic, so a raised split waits for the next release and the
// A/B goes on with its data; a lowered one gives the candidate less traffic, and the A/B starts again.

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;

const ab = (split: number): Config =>
  configWith(`{ type: ab, split: ${split}, interval: 1h }`, [
    '{ name: split, kind: srm, units: users }',
    '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users }',
  ]);
/**
 * Counts as `target` serves: 0.05 requests a second split by its weights, stable converting 30%,
 * the candidate 33%, so the A/B needs days to reach its planned sample.
 */
class ServedCounts extends FakeCounts {
  constructor(private readonly target: MemoryTarget) {
    super({
      stable: { rps: 0.05, errorRate: 0.3, medianMs: 40 },
      canary: { rps: 0, errorRate: 0.33, medianMs: 40 },
    });
  }
  private split(): void {
    const share = (this.target.state.canary?.weight ?? 0) / 100;
    this.slots.stable.rps = 0.05 * (1 - share);
    this.slots.canary.rps = 0.05 * share;
  }
  override async requests(w: MetricWindow): Promise<number> {
    this.split();
    return super.requests(w);
  }
  override async count(query: string, w: MetricWindow): Promise<number | undefined> {
    this.split();
    return super.count(query, w);
  }
}

/** fraud v1 → v2 as an A/B on a fake clock, each hourly look under `first`, from `after` on under `then`. */
async function abRelease(first: ModelConfig, then: ModelConfig, target: MemoryTarget, after: number) {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const metrics = new ServedCounts(target);
  let r = newRelease(first, { from: 'v1', to: 'v2', now: clock.now() });
  const seen: Release[] = [];
  for (let i = 0; i < 24 * 30 && r.status === 'analysing'; i++) {
    const config = clock.now() - r.startedAt >= after ? then : first;
    r = await tick(r, { config, target, metrics, clock });
    seen.push(r);
    await clock.sleep(HOUR);
  }
  return { end: r, seen };
}

const fraud = (c: Config) => c.models.fraud as ModelConfig;
const history = (r: Release) => r.phases.map((p) => [p.name, p.weight, p.outcome]);

describe('an A/B whose split the default branch raises on day 2', () => {
  it('goes on at its current split with its data, and says the new split is for the next release', async () => {
    const target = new MemoryTarget();
    const { end, seen } = await abRelease(fraud(ab(50)), fraud(ab(60)), target, DAY);
    const changed = seen.find((r) => r.updatedAt >= r.startedAt + DAY) as Release;

    // Served 50% from the start to the end: never 60%, never restarted.
    expect(target.weights()).toEqual([50, 0]);
    expect(history(end)).toEqual([['A/B 50/50 by x-user-id', 50, 'passed']]);
    expect(end.phases[0]?.startedAt).toBe(end.startedAt);
    // Judged as served: the split check expects 50/50, and the conversion gate decided on all of
    // it, past the day the change came on.
    expect(end.status).toBe('ready');
    expect((end.phases[0]?.endedAt ?? 0) - end.startedAt).toBeGreaterThan(DAY);
    expect(row(report(ab(60), changed), 'A/B 50/50 by x-user-id')).toContain(
      "running: the config raises the A/B's split 50% → 60%: a config change never raises the candidate's traffic, so this A/B goes on at 50%, its data kept; the new split applies to the next release (push a commit to the PR, with the new split in its config, to start one)",
    );
    expect(changed.reason).toMatch(/^analysing A\/B 50\/50 by x-user-id: /);
  });

  it('keeps going at 50% when the PR’s job (50) and the ticks (60) take turns, saying it once', async () => {
    const target = new MemoryTarget();
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const metrics = new ServedCounts(target);
    let r = newRelease(fraud(ab(50)), { from: 'v1', to: 'v2', now: clock.now() });
    for (let i = 0; i < 30 && r.status === 'analysing'; i++) {
      r = await tick(r, { config: fraud(ab(i % 2 === 0 ? 50 : 60)), target, metrics, clock });
      await clock.sleep(HOUR);
    }
    expect(target.weights()).toEqual([50]);
    expect(history(r)).toEqual([['A/B 50/50 by x-user-id', 50, undefined]]);
    expect(r.phases[0]?.note?.split('raises the A/B').length).toBe(2);
  });
});

describe('an A/B whose split the default branch lowers on day 2', () => {
  it('takes the candidate down to the new split and starts the A/B again, saying its data restarts', async () => {
    const target = new MemoryTarget();
    const { end } = await abRelease(fraud(ab(50)), fraud(ab(40)), target, DAY);
    expect(target.weights()).toEqual([50, 40, 0]);
    expect(history(end)).toEqual([
      ['A/B 50/50 by x-user-id', 50, 'withdrawn'],
      ['A/B 60/40 by x-user-id', 40, 'passed'],
    ]);
    expect(row(report(ab(40), end), 'A/B 50/50 by x-user-id')).toContain(
      "withdrawn: the config changes the A/B's split 50% → 40%: the A/B starts again at A/B 60/40 by x-user-id (40% of live traffic), and its data and its step-duration cap start again",
    );
  });
});
