import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ModelConfig } from '../../src/config/types.js';
import type { TrafficState } from '../../src/core/traffic.js';
import type { MetricSource, MetricWindow } from '../../src/metrics/source.js';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import type { Measurement, Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { blueGreenWorld, HOUR, MODEL } from './blue-green-world.js';

// A blue-green bake compares green at 100% with blue over as long just before the switch. A new
// push (or a close then reopen) during a bake puts the new green on right after the earlier one had
// all live traffic: blue served nothing just before the new switch, so its baseline is taken before
// the earlier candidate's switch, and the report says so.
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
});
afterAll(() => sandbox?.close());

const MINUTE = 60_000;
const RPS = 100;

/**
 * Metrics that follow what the platform was asked to serve: 100 rps of live traffic shared among
 * the versions by their weights from each write on, each version with its own error rate.
 */
function servedMetrics(start: number, errorRates: Record<string, number>) {
  const shares: { at: number; of: Record<string, number> }[] = [{ at: start - 24 * HOUR, of: { v1: 100 } }];
  const record = (at: number, t: TrafficState) => {
    const weight = t.canary?.weight ?? 0;
    const of: Record<string, number> = { [t.stable.version]: 100 - weight };
    if (t.canary && weight > 0) of[t.canary.version] = (of[t.canary.version] ?? 0) + weight;
    shares.push({ at, of });
  };
  const requests = (w: MetricWindow) => {
    let n = 0;
    for (const [i, s] of shares.entries()) {
      const span = Math.min(shares[i + 1]?.at ?? Number.POSITIVE_INFINITY, w.until) - Math.max(s.at, w.since);
      if (span > 0) n += (span / 1000) * RPS * ((s.of[w.version] ?? 0) / 100);
    }
    return Math.floor(n);
  };
  const source: MetricSource = {
    requests: async (w) => requests(w),
    value: async (_query, w) => ((await requests(w)) > 0 ? errorRates[w.version] : undefined),
  };
  return { record, source };
}

/** PR #2 v1 -> v2 on a 10m bake gated by `max-increase: 50%`, no inconclusive look tolerated. */
async function bakeWorld() {
  const w = await blueGreenWorld(sandbox, { bake: '10m' });
  const metrics = servedMetrics(w.clock.now(), { v1: 0.005, v2: 0.005, v3: 0.006, v4: 0.006 });
  w.hooks.beforeWrite = (t) => metrics.record(w.clock.now(), t);
  w.ports.metricsFor = () => metrics.source;
  const gates = parseConfig(
    `version: 1
models:
  ${MODEL}:
    source: { file: model.yaml, key: version }
    target: { type: sandbox, url: "${sandbox.url}" }
    metrics: { type: sandbox, url: "${sandbox.url}" }
    strategy: { type: blue-green, bake-duration: 10m, step-duration: 10m }
    gates:
      - { name: rel-errors, kind: threshold, query: error-rate, max-increase: 50%, inconclusive-limit: 0 }
`,
    {},
  ).config.models[MODEL]?.gates;
  (w.config.models[MODEL] as ModelConfig).gates = gates ?? [];
  const tickMode = { mode: 'tick' as const, maxWaitMs: HOUR, dryRun: false };
  const pr = (event: PullRequestEvent, action: string) =>
    handlePullRequest(w.config, { ...event, action }, w.ports, tickMode);
  const { event } = await w.open(2, 'v1', 'v2', 'tick');
  const v2SwitchedAt = w.clock.now();
  expect(await w.served()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 100 } });
  /** Schedule ticks a minute apart until the release ends (or 12): each look of its gate. */
  const bake = async () => {
    const looks: Measurement[] = [];
    let release: Release | undefined;
    let tick = await w.tick();
    for (let i = 0; i < 12; i++) {
      w.clock.advance(MINUTE);
      tick = await w.tick();
      release = tick.releases[0];
      const look = release?.gates.find((g) => g.name === 'rel-errors')?.last;
      if (look && look.at === w.clock.now()) looks.push(look);
      if (release?.status !== 'analysing') break;
    }
    const report = renderMarkdown(w.config, tick, { now: w.clock.now() });
    return { release, looks, report };
  };
  return { w, event, pr, bake, v2SwitchedAt };
}

/** Every look judged blue alone, over as long as green was looked at, ending at `until`. */
function expectBlueAloneBefore(looks: Measurement[], until: number, switchOf?: string) {
  expect(looks.length).toBeGreaterThan(0);
  for (const look of looks) expectBlueAlone(look, until, switchOf);
}

function expectBlueAlone(look: Measurement | undefined, until: number, switchOf?: string) {
  expect(look?.verdict).not.toBe('inconclusive');
  expect(look?.baselineWindow).toEqual({
    since: expect.any(Number),
    until,
    ...(switchOf ? { switchOf } : {}),
  });
  const span = (look?.baselineWindow?.until ?? 0) - (look?.baselineWindow?.since ?? 0);
  expect(look?.baselineRequests).toBe((span / 1000) * RPS);
}

describe('a blue-green bake whose green replaced an earlier green that had all live traffic', () => {
  it("a push during the bake: the new green is judged on blue's traffic before the earlier green's switch, and passes", async () => {
    const { w, bake, v2SwitchedAt } = await bakeWorld();
    w.clock.advance(8 * MINUTE);
    await w.tick();
    const { opened } = await w.open(2, 'v1', 'v3', 'tick');
    expect(opened.releases[0]?.to).toBe('v3');
    const { release, looks, report } = await bake();
    expect(release?.status).toBe('ready');
    expect(release?.reason ?? '').not.toContain('no baseline data');
    expectBlueAloneBefore(looks, v2SwitchedAt, 'v2');
    expect(report).toContain("0.50% (60,000 req; v1, the 10m 00s before v2's switch)");
    expect(report).not.toContain('before the switch');
  });

  it("pushes in a row: each green's baseline ends before the first green's switch", async () => {
    const { w, bake, v2SwitchedAt } = await bakeWorld();
    w.clock.advance(5 * MINUTE);
    await w.tick();
    await w.open(2, 'v1', 'v3', 'tick');
    w.clock.advance(3 * MINUTE);
    await w.tick();
    await w.open(2, 'v1', 'v4', 'tick');
    const kept = (await w.ledger.release(MODEL))?.earlierLive;
    expect(kept?.map((span) => span.version)).toEqual(['v2', 'v3']);
    const { release, looks, report } = await bake();
    expect(release?.to).toBe('v4');
    expect(release?.status).toBe('ready');
    expectBlueAloneBefore(looks, v2SwitchedAt, 'v2');
    expect(report).toContain("v1, the 10m 00s before v2's switch");
  });

  it("the PR closed then reopened during the bake: once its green's baseline would reach into the earlier bake, it ends before that switch", async () => {
    const { w, event, pr, bake, v2SwitchedAt } = await bakeWorld();
    w.clock.advance(5 * MINUTE);
    await w.tick();
    expect((await pr(event, 'closed')).releases[0]?.status).toBe('aborted');
    w.clock.advance(2 * MINUTE);
    expect((await pr(event, 'reopened')).releases[0]?.status).toBe('analysing');
    const switchedAgainAt = w.clock.now();
    const { release, looks, report } = await bake();
    expect(release?.status).toBe('ready');
    // Blue served alone for the 2 minutes since the close: the looks within them end at the switch.
    const [first, second, ...later] = looks;
    expectBlueAlone(first, switchedAgainAt);
    expectBlueAlone(second, switchedAgainAt);
    expectBlueAloneBefore(later, v2SwitchedAt, 'v2');
    expect(report).toContain("v1, the 10m 00s before v2's earlier switch");
  });

  it('a push long after the earlier green ended ready: blue served alone since, so the baseline ends at the switch as before', async () => {
    const { w, bake } = await bakeWorld();
    expect((await bake()).release?.status).toBe('ready');
    w.clock.advance(HOUR);
    await w.open(2, 'v1', 'v3', 'tick');
    const v3SwitchedAt = w.clock.now();
    const { release, looks, report } = await bake();
    expect(release?.status).toBe('ready');
    expectBlueAloneBefore(looks, v3SwitchedAt);
    expect(report).toContain('v1, the 10m 00s before the switch)');
  });

  it('a release stored before it kept earlier greens behaves as it did: its baseline ends at its own switch', async () => {
    const { w, bake } = await bakeWorld();
    w.clock.advance(8 * MINUTE);
    await w.tick();
    await w.open(2, 'v1', 'v3', 'tick');
    const v3SwitchedAt = w.clock.now();
    const stored = (await w.ledger.release(MODEL)) as Release;
    expect(stored.earlierLive).toEqual([{ version: 'v2', since: expect.any(Number), until: v3SwitchedAt }]);
    const { earlierLive: _, ...old } = stored;
    await w.ledger.saveRelease(old);
    const { release } = await bake();
    // Blue served nothing in the minutes before v3's switch: no baseline, no inconclusive look tolerated.
    expect(release?.status).toBe('failed');
    expect(release?.gates[0]?.last?.baselineWindow?.until).toBe(v3SwitchedAt);
    expect(release?.reason).toContain('no baseline data from the stable version');
  });
});
