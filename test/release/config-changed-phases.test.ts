import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config, ModelConfig, StrategyConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { parseState, releaseSchema, storedForm } from '../../src/ledger/release-schema.js';
import type { MetricSource, MetricWindow } from '../../src/metrics/source.js';
import { newRelease } from '../../src/release/new-release.js';
import { handlePullRequest, type RunResult } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, report, row } from '../report/release-world.js';
import { MemoryTarget } from '../support/memory-target.js';
import { type JsonServer, startJsonServer } from '../support/metrics-http.js';
import { canaryModel, thresholdGate } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// A release advanced under another config than it started under (a PR's job reads the PR's, a
// schedule tick the default branch's): the running phase is found by what it does, not by its
// name; a config change never raises the candidate's live traffic by itself; two configs taking
// turns neither restart a phase both have nor grow its note; a gate defined otherwise starts afresh.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let green: JsonServer;
let dir: string;
beforeAll(async () => {
  green = await startJsonServer(() => ({ status: 200, body: { score: 0.1 } }));
  dir = await mkdtemp(join(tmpdir(), 'model-gate-config-phases-'));
});
afterAll(async () => {
  await green.close();
  await rm(dir, { recursive: true, force: true });
});

const healthy = () =>
  new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 10, values: { 'error-rate': 0.005 } },
  });
const timing = { stepDurationMs: MINUTE, minRequests: 100, intervalMs: 10_000 };
const model = (
  strategy: StrategyConfig,
  gates = [thresholdGate({ name: 'errors', query: 'error-rate', max: 0.02 })],
) => canaryModel({ strategy, gates });
const canary = (steps: number[]) => model({ type: 'canary', steps, ...timing });
const asConfig = (m: ModelConfig): Config => ({ version: 1, allowForks: false, models: { fraud: m } });

/** `first` until `when` holds after a look, `then` from the next look on (the default branch's). */
const switched = (first: ModelConfig, then: ModelConfig, when: (r: Release) => boolean) => {
  let now = first;
  return (r: Release) => {
    if (when(r)) now = then;
    return now;
  };
};

/** fraud v1 → v2 on a fake clock, each look under the config `configAfter` gives after the look before. */
async function looked(
  start: ModelConfig,
  configAfter: (r: Release) => ModelConfig,
  metrics: MetricSource = healthy(),
  target = new MemoryTarget(),
) {
  const clock = new FakeClock();
  let r = newRelease(start, { from: 'v1', to: 'v2', now: clock.now() });
  let config = start;
  for (let i = 0; i < 500 && r.status === 'analysing'; i++) {
    r = await tick(r, { config, target, metrics, clock });
    config = configAfter(r);
    await clock.sleep(config.strategy.intervalMs);
  }
  return { end: r, target, text: report(asConfig(config), r) };
}

const history = (r: Release) => r.phases.map((p) => [p.name, p.weight, p.outcome]);

describe('a config change mid-release never raises the candidate’s live traffic by itself', () => {
  const inFirstStep = (r: Release) => r.phase === 0;

  it('goes back to 5% when the running 10% step is no longer configured, not on to 50%', async () => {
    const { end, target, text } = await looked(
      canary([10, 25, 50]),
      switched(canary([10, 25, 50]), canary([5, 50]), inFirstStep),
    );
    expect(end.status).toBe('ready');
    expect(target.weights()).toEqual([10, 5, 50, 0]);
    expect(history(end)).toEqual([
      ['step 1 of 3', 10, 'withdrawn'],
      ['step 1 of 2', 5, 'passed'],
      ['step 2 of 2', 50, 'passed'],
    ]);
    expect(row(text, 'step 1 of 3')).toContain(
      'withdrawn: step 1 of 3 (10% of live traffic) is not a phase of the configured strategy: the release goes on at step 1 of 2 (5% of live traffic), its phase with the most traffic not above the current share',
    );
  });

  it('runs green’s smoke test before any live traffic when a canary at 10% becomes blue-green', async () => {
    const blueGreen = model({
      type: 'blue-green',
      bakeDurationMs: MINUTE,
      rollbackWindowMs: HOUR,
      smoke: {
        requests: [{ x: 1 }, { x: 2 }],
        url: `${green.url}/{{version}}`,
        headers: {},
        repeat: 1,
        maxErrors: 0,
        timeoutMs: 2_000,
      },
      ...timing,
    });
    const sent = green.requests.length;
    const { end, target } = await looked(
      canary([10, 25, 50]),
      switched(canary([10, 25, 50]), blueGreen, inFirstStep),
    );
    expect(end.status).toBe('ready');
    expect(end.reason).toBe('v2 passed both phases; it serves no live traffic until the PR is merged');
    // From 10% to none while green is smoke-tested, and to 100% only once the smoke test passed.
    expect(target.weights()).toEqual([10, 0, 100, 0]);
    expect(history(end)).toEqual([
      ['step 1 of 3', 10, 'withdrawn'],
      ['smoke on green', 0, 'passed'],
      ['bake on green', 100, 'passed'],
    ]);
    expect(green.requests.slice(sent).map((r) => r.path)).toEqual(['/v2', '/v2']);
  });

  it('takes a linear canary at 30% back to 25% when its step-size becomes 25%', async () => {
    const linear = (stepSize: number) => model({ type: 'linear', stepSize, maxWeight: 50, ...timing });
    const { end, target } = await looked(
      linear(10),
      switched(linear(10), linear(25), (r) => r.phase === 2),
    );
    expect(end.status).toBe('ready');
    expect(target.weights()).toEqual([10, 20, 30, 25, 50, 0]);
    expect(history(end).at(2)).toEqual(['step 3 of 5', 30, 'withdrawn']);
  });
});

describe('a running phase the configured strategy has under another name goes on', () => {
  it('keeps the running step when a step is appended: not restarted, its traffic untouched', async () => {
    const longer = canary([10, 25, 50, 100]);
    const { end, target, text } = await looked(
      canary([10, 25, 50]),
      switched(canary([10, 25, 50]), longer, (r) => r.phase === 0),
    );
    expect(end.status).toBe('ready');
    expect(target.weights()).toEqual([10, 25, 50, 100, 0]);
    expect(history(end)).toEqual([
      ['step 1 of 4', 10, 'passed'],
      ['step 2 of 4', 25, 'passed'],
      ['step 3 of 4', 50, 'passed'],
      ['step 4 of 4', 100, 'passed'],
    ]);
    expect(end.phases[0]?.startedAt).toBe(end.startedAt);
    expect(end.phases.every((p) => p.note === undefined)).toBe(true);
    expect(row(text, 'step 1 of 4')).toBeDefined();
  });

  it('keeps the same step when one below it is removed (step 3 of 3 at 50% is step 2 of 2 at 50%)', async () => {
    const { end, target } = await looked(
      canary([10, 25, 50]),
      switched(canary([10, 25, 50]), canary([25, 50]), (r) => r.phase === 2),
    );
    expect(target.weights()).toEqual([10, 25, 50, 0]);
    expect(history(end)).toEqual([
      ['step 1 of 3', 10, 'passed'],
      ['step 2 of 3', 25, 'passed'],
      ['step 2 of 2', 50, 'passed'],
    ]);
  });

  it('goes on with a days-long shadow whose share changed, mirroring the new share', async () => {
    const shadow = (share: number) =>
      model({
        type: 'shadow',
        share,
        durationMs: 3 * 24 * HOUR,
        stepDurationMs: HOUR,
        minRequests: 100,
        intervalMs: HOUR,
      });
    const { end, target } = await looked(
      shadow(5),
      switched(shadow(5), shadow(20), (r) => r.phase === 0 && r.updatedAt - r.startedAt >= 24 * HOUR),
    );
    expect(end.status).toBe('ready');
    expect(history(end)).toEqual([['shadow 20% of requests', 0, 'passed']]);
    // Three days from the start, not from the change.
    expect((end.phases[0]?.endedAt ?? 0) - end.startedAt).toBe(3 * 24 * HOUR);
    expect(target.writes.map((w) => w.mirror?.share)).toEqual([5, 20, 0]);
  });
});

describe('gates under configs taking turns', () => {
  it('says a gate’s removal and return once each on the running phase, however often they alternate', async () => {
    // `quality` never gets a value: it holds the step until its deadline (must-have-data: false).
    const quality = thresholdGate({ name: 'quality', query: 'quality-score', min: 0.8 });
    const extra = thresholdGate({ name: 'extra', query: 'quality-score', min: 0.5 });
    const slow = {
      type: 'canary' as const,
      steps: [10],
      stepDurationMs: 10 * MINUTE,
      minRequests: 100,
      intervalMs: 10_000,
    };
    const without = { ...model(slow, [quality]), mustHaveData: false };
    const withExtra = { ...without, gates: [quality, extra] };
    let looks = 0;
    const { end } = await looked(without, () => (++looks % 2 === 1 ? withExtra : without));
    expect(looks).toBeGreaterThan(40);
    expect(end.status).toBe('ready');
    expect(end.phases[0]?.note).toBe(
      'ended without conclusive data for quality (no data for the candidate: the query gave no number for the canary slot (version v2): "quality-score"); gate "extra" was added to the config: judged from here; gate "extra" is no longer configured: not judged from here',
    );
  });
});

/**
 * PR #1 moves fraud v1 → v2: its job reads `prConfig`, the schedule ticks `tickConfig` (the default
 * branch's), through one ledger file, as on GitHub. Each run looks once.
 */
function pullRequestAndTicks(prConfig: Config, tickConfig: Config) {
  const target = new MemoryTarget();
  const sha = (c: string) => c.repeat(40);
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const metrics = healthy();
  const ports = {
    ledger: fileLedger(join(dir, `ledger-${Math.random().toString(36).slice(2)}.json`)),
    reader: memoryFileReader({
      [sha('a')]: { 'models/fraud.yaml': 'version: v1' },
      [sha('b')]: { 'models/fraud.yaml': 'version: v2' },
    }),
    clock,
    log: { info: () => {}, warn: () => {} },
    targetFor: () => target,
    metricsFor: () => metrics,
  };
  const event = { action: 'synchronize', number: 1, baseSha: sha('a'), headSha: sha('b'), merged: false };
  const once = { mode: 'tick' as const, maxWaitMs: 0 };
  const after = async (r: RunResult) => {
    await clock.sleep(10_000);
    return r.releases[0] as Release;
  };
  return {
    target,
    prJob: async () => after(await handlePullRequest(prConfig, event, ports, { ...once, dryRun: false })),
    tick: async () => after(await handleSchedule(tickConfig, ports, once)),
  };
}

describe('a PR job and the schedule ticks taking turns under configs whose steps differ in count', () => {
  it('passes each shared step once, never restarting it, and keeps the phase notes short', async () => {
    const steps = (list: string) =>
      configWith(`{ type: canary, steps: [${list}], step-duration: 5m, min-requests: 500, interval: 10s }`, [
        '{ name: errors, kind: threshold, query: error-rate, max: 0.02 }',
      ]);
    const {
      target,
      prJob,
      tick: scheduled,
    } = pullRequestAndTicks(steps('10, 25, 50'), steps('10, 25, 50, 100'));
    const seen: Release[] = [];
    for (let i = 0; i < 24 && seen.at(-1)?.status !== 'ready'; i++)
      seen.push(await (i % 2 === 0 ? prJob() : scheduled()));
    const end = seen.at(-1) as Release;
    expect(seen.length).toBeGreaterThan(15);
    expect(end.status).toBe('ready');
    expect(end.reason).toBe('v2 passed all 3 phases; it serves no live traffic until the PR is merged');
    // Each step named as the run that passed it has it, entered once, its traffic set once.
    expect(history(end)).toEqual([
      ['step 1 of 4', 10, 'passed'],
      ['step 2 of 3', 25, 'passed'],
      ['step 3 of 4', 50, 'passed'],
      ['step 4 of 4', 100, 'withdrawn'],
    ]);
    expect(target.weights()).toEqual([10, 25, 50, 100, 0]);
    // The ticks' fourth step: the PR's job, whose config has three, finds the release passed them all.
    expect(end.phases[3]?.note).toBe(
      'step 4 of 4 (100% of live traffic) is not a phase of the configured strategy, whose last phase the release passed before it: step 3 of 4 (50% of live traffic)',
    );
    expect(seen.flatMap((r) => r.phases.slice(0, 3)).filter((p) => p.note !== undefined)).toEqual([]);
  });
});

describe('a gate defined otherwise while the release ran', () => {
  it('judges an A/B’s passed conversion gate afresh when its conversions changed: no winner on the old query', async () => {
    // The candidate converts 39% on `errors` (stable 30%), as much as stable on `conversions`. `late`, a
    // guard without data for 12 hours, holds the A/B open after `conversion` passed on `errors`.
    const late = Date.UTC(2026, 0, 1) + 12 * HOUR;
    class Clicks extends FakeCounts {
      override async value(_query?: string, w?: MetricWindow): Promise<number | undefined> {
        return (w?.until ?? 0) >= late ? 0.1 : undefined;
      }
      override async count(query: string, w: MetricWindow): Promise<number | undefined> {
        if (query === 'conversions') return Math.round(((await super.count('requests', w)) ?? 0) * 0.3);
        return super.count(query, w);
      }
    }
    const metrics = new Clicks({
      stable: { rps: 2, errorRate: 0.3, medianMs: 40 },
      canary: { rps: 2, errorRate: 0.39, medianMs: 40 },
    });
    // Metrics from a file, whose names are the test's own (FakeCounts answers them): the sandbox
    // has one count of converted users, and the test changes the conversions query.
    const ab = (conversions: string) =>
      configWith(
        '{ type: ab, split: 50, interval: 5m }',
        [
          '{ name: split, kind: srm, units: users }',
          `{ name: conversion, kind: conversion, conversions: ${conversions}, exposures: requests }`,
          '{ name: late, kind: threshold, query: conversion-rate, max: 0.5 }',
        ],
        '',
        '{ type: file, path: counts.json }',
      ).models.fraud as ModelConfig;
    const passed = (r: Release) => r.gates.find((g) => g.name === 'conversion')?.verdict === 'pass';
    const seen: Release[] = [];
    const { end } = await looked(
      ab('errors'),
      switched(ab('errors'), ab('conversions'), (r) => seen.push(r) > 0 && seen.some(passed)),
      metrics,
    );
    const at = seen.findIndex(passed);
    expect(seen[at]?.status).toBe('analysing');
    // The next look, on `conversions`: pending again, and the phase history says why, once.
    const next = seen[at + 1] as Release;
    expect(next.gates.find((g) => g.name === 'conversion')?.verdict).toBe('pending');
    expect(row(report(asConfig(ab('conversions')), next), 'A/B 50/50 by x-user-id')).toContain(
      'running: gate "conversion" is configured differently: judged afresh from here',
    );
    expect(end.status).toBe('failed');
    expect(end.reason).toMatch(
      /^no significant winner at the planned sample size at A\/B 50\/50 by x-user-id: conversion \([\d,]+ of [\d,]+ candidate exposures, lift \+0\.0%\)$/,
    );
    expect(end.updatedAt).toBeLessThan(late);
  });
});

describe('gate fingerprints in the stored state', () => {
  const errors = (max: number) => thresholdGate({ name: 'errors', query: 'error-rate', max });
  const quality = thresholdGate({ name: 'quality', query: 'quality-score', min: 0.8 });
  const under = (max: number) =>
    model({ type: 'canary', steps: [10, 50], ...timing }, [errors(max), quality]);

  async function oneLookIn() {
    const clock = new FakeClock();
    const ctx = { config: under(0.02), target: new MemoryTarget(), metrics: healthy(), clock };
    let r = await tick(newRelease(under(0.02), { from: 'v1', to: 'v2', now: clock.now() }), ctx);
    await clock.sleep(20_000);
    r = await tick(r, ctx);
    return { r, ctx };
  }

  it('read back from the ledger, and a gate stored before them keeps its standing under its next config', async () => {
    const { r, ctx } = await oneLookIn();
    const stored = storedForm(r);
    expect(stored.ok && stored.value.gates.map((g) => [g.name, g.verdict, g.fingerprint?.length])).toEqual([
      ['errors', 'pass', 12],
      ['quality', 'pending', 12],
    ]);
    // As an older model-gate stored it: no fingerprints. The max changed since, unseen: no restart.
    const older = { ...r, gates: r.gates.map(({ fingerprint: _, ...g }) => g) };
    const next = await tick(older, { ...ctx, config: under(0.03) });
    expect(next.gates.map((g) => [g.name, g.verdict, g.fingerprint?.length])).toEqual([
      ['errors', 'pass', 12],
      ['quality', 'pending', 12],
    ]);
    expect(next.phases[0]?.note).toBeUndefined();
    // From then on a change is seen: `errors` is judged afresh, and says so.
    const changed = await tick(next, { ...ctx, config: under(0.02) });
    expect(changed.phases[0]?.note).toBe('gate "errors" is configured differently: judged afresh from here');
  });

  it('refuses a fingerprint that is not a hash, naming the field', () => {
    const bad = {
      model: 'fraud',
      from: 'v1',
      to: 'v2',
      status: 'analysing',
      phase: -1,
      phaseStartedAt: 0,
      startedAt: 0,
      updatedAt: 0,
      phases: [],
    };
    const gate = {
      name: 'errors',
      kind: 'threshold',
      verdict: 'pending',
      failures: 0,
      inconclusives: 0,
      consecutiveErrors: 0,
    };
    expect(parseState(releaseSchema, { ...bad, gates: [{ ...gate, fingerprint: '$(id)' }] })).toEqual({
      ok: false,
      problems: ['gates[0].fingerprint: expected a hex hash, got "$(id)"'],
    });
  });
});
