import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config, ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import type { ReleaseContext } from '../../src/release/context.js';
import { newRelease } from '../../src/release/new-release.js';
import { handlePullRequest, type RunResult } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, report, row } from '../report/release-world.js';
import { MemoryTarget } from '../support/memory-target.js';
import { canaryModel, thresholdGate } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// The config a run reads governs that run: a PR's job reads the PR's, a schedule tick the default
// branch's. A release started under one config and advanced under another follows the one it is
// advanced under, gate by gate (by name) and phase by phase, and its report says what changed.

const MINUTE = 60_000;
const AB = '{ type: ab, split: 50 }';
const split = '{ name: split, kind: srm, units: users }';
const conversionGate = (name: string, conversions = 'converted-users', exposures = 'exposed-users') =>
  `{ name: ${name}, kind: conversion, conversions: ${conversions}, exposures: ${exposures} }`;
/**
 * Metrics whose count names are the test's own (FakeCounts answers them): the sandbox has one count
 * of converted users, and the test compares two conversion queries.
 */
const FILE_METRICS = '{ type: file, path: counts.json }';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-gate-config-changed-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Both arms serve 2 requests a second; `errors` (and converted users) stand for conversions, stable converting 30%. */
const arms = (rate: number) =>
  new FakeCounts({
    stable: { rps: 2, errorRate: 0.3, medianMs: 40 },
    canary: { rps: 2, errorRate: rate, medianMs: 40 },
  });

/**
 * PR #1 moves fraud v1 → v2 under `prConfig`; schedule ticks read `tickConfig` (the default
 * branch's). The ledger is a file both read back, as on GitHub.
 */
function pullRequestThenTicks(prConfig: Config, tickConfig: Config, rate: number) {
  const target = new MemoryTarget();
  const sha = (c: string) => c.repeat(40);
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const ports = {
    ledger: fileLedger(join(dir, `ledger-${Math.random().toString(36).slice(2)}.json`)),
    reader: memoryFileReader({
      [sha('a')]: { 'models/fraud.yaml': 'version: v1' },
      [sha('b')]: { 'models/fraud.yaml': 'version: v2' },
    }),
    clock,
    log: { info: () => {}, warn: () => {} },
    targetFor: () => target,
    metricsFor: () => arms(rate),
  };
  const event = { action: 'opened', number: 1, baseSha: sha('a'), headSha: sha('b'), merged: false };
  const only = (r: RunResult): Release => {
    const release = r.releases[0];
    if (!release) throw new Error('no release');
    return release;
  };
  return {
    clock,
    target,
    opened: async (maxWaitMs: number) =>
      only(await handlePullRequest(prConfig, event, ports, { mode: 'watch', maxWaitMs, dryRun: false })),
    scheduled: async () => {
      const r = only(await handleSchedule(tickConfig, ports, { mode: 'tick', maxWaitMs: 0 }));
      await clock.sleep(5 * MINUTE);
      return r;
    },
  };
}

describe('an A/B whose conversion gate was renamed on the default branch while it ran', () => {
  it('ends at the renamed gate’s planned sample on schedule ticks, not at the 14d cap', async () => {
    const prConfig = configWith(AB, [split, conversionGate('conversion')]);
    const mainConfig = configWith(AB, [split, conversionGate('lift')]);
    // A +2% lift, far below the 10% the test is planned for: no winner at the planned sample.
    const { clock, target, opened, scheduled } = pullRequestThenTicks(prConfig, mainConfig, 0.306);
    const started = clock.now();
    expect((await opened(15 * MINUTE)).status).toBe('analysing');

    const first = await scheduled();
    const text = report(mainConfig, first);
    expect(row(text, 'A/B 50/50 by x-user-id')).toContain(
      'running: gate "lift" was added to the config: judged from here; gate "conversion" is no longer configured: not judged from here',
    );
    // The gate table has the configured gate's row, not the old one's.
    expect(text).toContain('| lift (converted-users / exposed-users) |');
    expect(text).not.toContain('| conversion (');

    const ticks = [first];
    for (let i = 0; i < 100 && ticks.at(-1)?.status === 'analysing'; i++) ticks.push(await scheduled());
    const end = ticks.at(-1) as Release;
    expect(end.status).toBe('failed');
    expect(end.reason).toMatch(
      /^no significant winner at the planned sample size at A\/B 50\/50 by x-user-id: lift \([\d,]+ of [\d,]+ candidate users, lift \+2\.0%\)$/,
    );
    expect((end.phases[0]?.endedAt ?? 0) - started).toBeLessThan(3 * 60 * MINUTE);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    // Said once: the ticks after the first did not add it again.
    const second = report(mainConfig, ticks[1] as Release);
    expect(second.split('no longer configured')).toHaveLength(2);
  });
});

describe('an A/B whose guard became a conversion gate while it ran', () => {
  it('waits for the changed gate to show a winner instead of promoting on the conversion gate alone', async () => {
    // `ctr` was a threshold guard on a click rate; the default branch now judges it as a
    // conversion (clicks per exposure), on which both arms are equal.
    class WithClicks extends FakeCounts {
      override async value(): Promise<number | undefined> {
        return 0.1;
      }
      override async count(query: string, w: MetricWindow): Promise<number | undefined> {
        if (query === 'conversions') return Math.round(((await super.count('requests', w)) ?? 0) * 0.3);
        return super.count(query, w);
      }
    }
    const asGuard = configWith(
      AB,
      [
        split,
        conversionGate('conversion', 'errors', 'requests'),
        '{ name: ctr, kind: threshold, query: conversion-rate, max: 0.5 }',
      ],
      '',
      FILE_METRICS,
    );
    const asConversion = configWith(
      AB,
      [
        split,
        conversionGate('conversion', 'errors', 'requests'),
        conversionGate('ctr', 'conversions', 'requests'),
      ],
      '',
      FILE_METRICS,
    );
    const metrics = new WithClicks(arms(0.39).slots);
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const target = new MemoryTarget();
    const model = (c: Config) => c.models.fraud as ModelConfig;
    let r = newRelease(model(asGuard), { from: 'v1', to: 'v2', now: clock.now() });
    let config = asGuard;
    let changed: Release | undefined;
    for (let i = 0; i < 2000 && r.status === 'analysing'; i++) {
      // The guard passed under the PR's config; from then on the ticks read the default branch's.
      if (r.gates.find((g) => g.name === 'ctr')?.verdict === 'pass') config = asConversion;
      r = await tick(r, { config: model(config), target, metrics, clock });
      if (config === asConversion) changed ??= r;
      await clock.sleep(model(config).strategy.intervalMs);
    }
    expect(row(report(asConversion, changed as Release), 'A/B 50/50 by x-user-id')).toContain(
      'running: gate "ctr" changed kind (threshold → conversion): judged afresh from here',
    );
    expect(r.status).toBe('failed');
    expect(r.reason).toMatch(
      /^no significant winner at the planned sample size at A\/B 50\/50 by x-user-id: ctr \([\d,]+ of [\d,]+ candidate exposures, lift \+0\.0%\)$/,
    );
    const text = report(asConversion, r);
    expect(text).toMatch(/\| conversion \(errors \/ requests\) \|.*\| ✅ pass: /);
  });
});

/**
 * A canary release of fraud v1 → v2 looked at under `first` until `when` holds (from the start when
 * no `when`), then under `then`: the default branch's config, read by every tick after that.
 */
async function canaryRelease(
  first: ModelConfig,
  then: ModelConfig,
  metrics: ScriptedMetrics,
  when: (r: Release) => boolean = () => true,
) {
  const clock = new FakeClock();
  const target = new MemoryTarget();
  let r = newRelease(first, { from: 'v1', to: 'v2', now: clock.now() });
  let config = first;
  for (let i = 0; i < 100 && r.status === 'analysing'; i++) {
    const ctx: ReleaseContext = { config, target, metrics, clock };
    r = await tick(r, ctx);
    if (when(r)) config = then;
    await clock.sleep(config.strategy.intervalMs);
  }
  const text = report({ version: 1, allowForks: false, models: { fraud: config } }, r);
  return { end: r, target, text };
}

const healthy = () =>
  new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005, 'latency-p99': 12 } },
    canary: { rps: 10, values: { 'error-rate': 0.005, 'latency-p99': 40 } },
  });
const errors = thresholdGate({ name: 'errors', query: 'error-rate', max: 0.02 });
const withSteps = (steps: number[]) =>
  canaryModel({
    gates: [errors],
    strategy: { type: 'canary', steps, stepDurationMs: 60_000, minRequests: 100, intervalMs: 10_000 },
  });

describe('a canary whose gates changed while it ran', () => {
  it('judges a gate added to the config from the next look on', async () => {
    const start = canaryModel({ gates: [errors] });
    const added = canaryModel({
      gates: [errors, thresholdGate({ name: 'p99', query: 'latency-p99', max: 20 })],
    });
    const { end, target } = await canaryRelease(start, added, healthy());
    expect(end.status).toBe('failed');
    expect(end.reason).toBe('p99: 40.0 ms is above the max 20.0 ms');
    expect(end.phases.map((p) => [p.name, p.outcome])).toEqual([['step 1 of 3', 'failed']]);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
  });

  it('says in the phase history that a gate was added, and the phase passes on it', async () => {
    const start = canaryModel({ gates: [errors] });
    const added = canaryModel({
      gates: [errors, thresholdGate({ name: 'p99', query: 'latency-p99', max: 50 })],
    });
    const { end, text } = await canaryRelease(start, added, healthy());
    expect(end.status).toBe('ready');
    expect(row(text, 'step 1 of 3')).toContain(
      'passed: gate "p99" was added to the config: judged from here',
    );
    expect(text).toMatch(/\| p99 \(latency-p99\) \|.*\| ✅ pass/);
  });

  it('no longer waits for a gate removed from the config, and says so once', async () => {
    // `quality` never gets a value: under the config the release started with, it fails the step.
    const quality = thresholdGate({ name: 'quality', query: 'quality-score', min: 0.8 });
    const start = canaryModel({ gates: [errors, quality] });
    const unchanged = await canaryRelease(start, start, healthy());
    expect(unchanged.end.reason).toMatch(/^no conclusive evidence within 1m at step 1 of 3: quality/);

    const removed = canaryModel({ gates: [errors] });
    // The first look under the old config, then the default branch's without `quality`.
    const { end, text } = await canaryRelease(start, removed, healthy(), (r) => r.gates.some((g) => g.last));
    expect(end.status).toBe('ready');
    expect(end.phases.map((p) => p.outcome)).toEqual(['passed', 'passed', 'passed']);
    expect(row(text, 'step 1 of 3')).toContain(
      'passed: gate "quality" is no longer configured: not judged from here',
    );
    expect(text.split('no longer configured')).toHaveLength(2);
    expect(text).not.toContain('| quality');
  });
});

describe('a canary whose steps changed while it ran', () => {
  const atStep = (n: number) => (r: Release) => r.phase + 1 >= n;

  it('has passed every configured step when the steps were cut below the running one it passed the last of', async () => {
    const start = canaryModel({ gates: [errors] });
    const shorter = withSteps([10, 25]);
    const { end, target, text } = await canaryRelease(start, shorter, healthy(), atStep(3));
    expect(end.status).toBe('ready');
    expect(end.reason).toBe('v2 passed both phases; it serves no live traffic until the PR is merged');
    // 50% was asked for by the old steps; the config now stops at 25%, which the release passed.
    expect(target.weights()).toEqual([10, 25, 50, 0]);
    expect(end.phases.map((p) => [p.name, p.weight, p.outcome])).toEqual([
      ['step 1 of 3', 10, 'passed'],
      ['step 2 of 3', 25, 'passed'],
      ['step 3 of 3', 50, 'withdrawn'],
    ]);
    expect(row(text, 'step 3 of 3')).toContain(
      'withdrawn: step 3 of 3 (50% of live traffic) is not a phase of the configured strategy, whose last phase the release passed before it: step 2 of 3 (25% of live traffic)',
    );
  });

  it('goes back to its highest configured step when the steps were cut below the running one', async () => {
    const start = canaryModel({ gates: [errors] });
    const { end, target, text } = await canaryRelease(start, withSteps([10, 20]), healthy(), atStep(3));
    expect(end.status).toBe('ready');
    expect(target.weights()).toEqual([10, 25, 50, 20, 0]);
    expect(end.phases.map((p) => [p.name, p.weight, p.outcome])).toEqual([
      ['step 1 of 3', 10, 'passed'],
      ['step 2 of 3', 25, 'passed'],
      ['step 3 of 3', 50, 'withdrawn'],
      ['step 2 of 2', 20, 'passed'],
    ]);
    expect(row(text, 'step 3 of 3')).toContain(
      'withdrawn: step 3 of 3 (50% of live traffic) is not a phase of the configured strategy: the release goes on at step 2 of 2 (20% of live traffic), its phase with the most traffic not above the current share',
    );
  });

  it('goes back to the configured step with the most traffic not above the running one’s, never up without a pass', async () => {
    const start = canaryModel({ gates: [errors] });
    const moved = withSteps([10, 30, 60]);
    const { end, target, text } = await canaryRelease(start, moved, healthy(), atStep(2));
    expect(end.status).toBe('ready');
    // 25% is not configured: back to 10%, and up to 30% only once a step passed under this config.
    expect(target.weights()).toEqual([10, 25, 10, 30, 60, 0]);
    expect(row(text, 'step 2 of 3')).toContain(
      'withdrawn: step 2 of 3 (25% of live traffic) is not a phase of the configured strategy: the release goes on at step 1 of 3 (10% of live traffic), its phase with the most traffic not above the current share',
    );
  });
});
