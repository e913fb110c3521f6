import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { newRelease } from '../../src/release/new-release.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { tick } from '../../src/release/tick.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { blueGreenWith, configWith, report, row, startGreen } from '../report/release-world.js';
import { fraudPr } from '../support/fraud-pr.js';
import { MemoryTarget } from '../support/memory-target.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { blueGreenWorld, MODEL } from './blue-green-world.js';

// A time the engine measured (what a hold, a budget or a rollback-window has left) reads in whole
// seconds. Real looks and traffic changes take some milliseconds, so a clock difference shown
// exactly (`49s863ms left`) reads like a setting nobody wrote; configured values stay as written.
const LOOK_TAKES = 137;
const MINUTE = 60_000;

describe('a blue-green bake whose looks end a little after their interval', () => {
  let green: Awaited<ReturnType<typeof startGreen>>;
  beforeAll(async () => {
    green = await startGreen();
  });
  afterAll(() => green?.close());

  it('says how long the hold has left in whole seconds', async () => {
    const config = blueGreenWith(green.url, '[{ body: "{}" }]');
    const model = config.models.fraud;
    if (!model) throw new Error('no model fraud');
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const metrics = new ScriptedMetrics({
      stable: { rps: 90, values: { 'error-rate': 0.005 } },
      canary: { rps: 90, values: { 'error-rate': 0.005 } },
    });
    const ctx = { config: model, target: new MemoryTarget(), metrics, clock };
    let r = newRelease(model, { from: 'v1', to: 'v2', now: clock.now() });
    const seen: string[] = [];
    for (let i = 0; i < 30 && r.status === 'analysing'; i++) {
      r = await tick(r, ctx);
      if (r.status === 'analysing') {
        const report = renderMarkdown(config, { releases: [r], skipped: [] }, { now: clock.now() });
        seen.push(report.split('\n')[2] ?? '');
      }
      await clock.sleep(10_000 + LOOK_TAKES);
    }
    expect(r.status).toBe('ready');
    // The 1m bake from the second look, looked at every 10.137s: 49.863s left reads 50s, 19.452s 19s.
    const resumes =
      "the next schedule tick (command: tick), or a re-run of the PR's job, continues the analysis";
    const hold = (left: string) =>
      `- fraud v2: analysing bake on green: waiting for the end of the hold (${left} left); ${resumes}`;
    expect(seen).toEqual([
      `- fraud v2: analysing smoke on green (no live traffic); ${resumes}`,
      `- fraud v2: analysing bake on green (100% of live traffic); ${resumes}`,
      ...['50s', '40s', '30s', '19s', '9s'].map(hold),
    ]);
  });
});

describe('an A/B whose winner is decided between whole seconds', () => {
  it('says when it was decided in whole seconds, in the phase history', async () => {
    const config = configWith('{ type: ab, split: 50 }', [
      '{ name: split, kind: srm, units: users }',
      '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users }',
      '{ name: p99, kind: latency, buckets: latency, quantile: 0.99, max-increase: 10% }',
    ]);
    const model = config.models.fraud;
    if (!model) throw new Error('no model fraud');
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    // The candidate converts 39% to stable's 30%: a clear winner within minutes; p99 never regresses.
    const metrics = new FakeCounts({
      stable: { rps: 2, errorRate: 0.3, medianMs: 40 },
      canary: { rps: 2, errorRate: 0.39, medianMs: 40 },
    });
    const ctx = { config: model, target: new MemoryTarget(), metrics, clock };
    let r = newRelease(model, { from: 'v1', to: 'v2', now: clock.now() });
    for (let i = 0; i < 100 && r.status === 'analysing'; i++) {
      r = await tick(r, ctx);
      await clock.sleep(model.strategy.intervalMs + LOOK_TAKES);
    }
    expect(r.status).toBe('ready');
    // Decided 6m31.781s in: the 14th look at 30.137s apart.
    expect(row(report(config, r), 'A/B 50/50 by x-user-id')).toMatch(
      / \| passed: no regression detected by p99 once conversion decided \(after 6m32s\) \|$/,
    );
  });
});

describe('a watch whose looks take time, its budget a multiple of its interval', () => {
  it('warns with the budget left in whole seconds, rounded down below the interval', async () => {
    const { config, clock, ports, warnings, event } = await fraudPr({
      yaml: `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:1" }
  metrics: { type: sandbox, url: "http://127.0.0.1:1" }
  strategy: { type: canary, steps: [10, 25, 50, 75], step-duration: 1d, min-requests: 100, interval: 10m }
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
    });
    // Each traffic change takes a moment on the platform, as a real one's does.
    const platform = ports.targetFor(config.models.fraud as never);
    ports.targetFor = () => ({
      description: platform.description,
      read: (known) => platform.read(known),
      write: async (desired) => {
        await clock.sleep(LOOK_TAKES);
        return platform.write(desired);
      },
    });
    await handlePullRequest(config, event(), ports, { mode: 'watch', maxWaitMs: 30 * MINUTE, dryRun: false });
    // Looks at 0, 10m and 20m, each with a step up: the next, at 30m and some, would overrun the 30m.
    // 9m59.589s left: not 10m, the very interval it is too short for.
    expect(warnings.at(-1)).toBe(
      'the next look (in 10m) would be past the time budget (max-wait, 9m59s left) with fraud still analysing: the next run resumes',
    );
  });
});

describe('blue kept inside its rollback-window, a tick some milliseconds off the minute', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
  });
  afterAll(() => sandbox?.close());

  it('logs what the window has left in whole seconds', async () => {
    const w = await blueGreenWorld(sandbox);
    const { event } = await w.open(2, 'v1', 'v2');
    expect((await w.merge(event)).releases[0]?.status).toBe('promoted');
    w.clock.advance(30 * MINUTE + LOOK_TAKES);
    w.logs.length = 0;
    await w.tick();
    expect(w.logs).toContain(`${MODEL}: blue v1 kept for a rollback for another 30m (rollback-window 1h)`);

    // A later release fails in blue's place: v2 alone is deployed, the window still runs.
    w.metrics.slots.canary.values['error-rate'] = 0.2;
    expect((await w.open(3, 'v2', 'v3')).opened.releases[0]?.status).toBe('failed');
    w.clock.advance(10 * MINUTE);
    w.logs.length = 0;
    await w.tick();
    expect(w.logs).toContainEqual(
      expect.stringMatching(
        /^fraud-detector: blue v1 is not deployed beside v2 as far as sandbox fraud-detector at \S+ reports \(v2 alone\), with 19m50s of its rollback-window 1h left: a rollback to v1 deploys it again$/,
      ),
    );
  });
});
