import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../src/config/types.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { PROMOTION_GRACE_MS } from '../../src/release/merged-ready.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { blueGreenWorld, MODEL } from './blue-green-world.js';
import { recordWorld } from './tick-record-world.js';

// on-merge: analyze-then-promote, a PR merged while its candidate is analysing. When the analysis
// passed, the candidate was first taken to idle (blue-green: every caller back to blue), then
// promoted (every caller to green again): two needless full switches, minutes each on SageMaker or
// KServe; a canary stepped back to 0% before going to 100%. It now keeps its last phase's traffic
// until its promotion, which follows in the same run, or in a later tick should that run be lost.

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
});
afterAll(() => sandbox?.close());

const PROMOTED = { stable: { version: 'v2' }, canary: { version: 'v1', weight: 0 } };
const BAKE = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 100 } };

/** PR #2 (v1 -> v2) on blue-green, in its bake (green at 100%) when the PR merges. */
async function bakingWhenMerged() {
  const w = await blueGreenWorld(sandbox);
  (w.config.models[MODEL] as ModelConfig).onMerge = 'analyze-then-promote';
  const { event } = await w.open(2, 'v1', 'v2', 'tick');
  expect(await w.served()).toEqual(BAKE);
  w.writes.length = 0;
  return { w, event };
}

describe('blue-green: green passes its bake after the merge', () => {
  it('the merge job promotes green in one switch, without sending callers back to blue first', async () => {
    const { w, event } = await bakingWhenMerged();
    const merged = await w.merge(event);
    expect(merged.releases[0]).toMatchObject({ status: 'promoted' });
    expect(w.writes).toEqual([PROMOTED]);
    expect(await w.served()).toEqual(PROMOTED);
  });

  it('a schedule tick that finishes the analysis promotes green in one switch', async () => {
    const { w, event } = await bakingWhenMerged();
    const once = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };
    await handlePullRequest(w.config, { ...event, action: 'closed', merged: true }, w.ports, once);
    expect(await w.ledger.release(MODEL)).toMatchObject({
      status: 'analysing',
      mergedAt: expect.any(Number),
    });
    w.clock.advance(60_000);
    const tick = await w.tick();
    expect(tick.releases[0]).toMatchObject({ status: 'promoted' });
    expect(w.writes).toEqual([PROMOTED]);
  });

  it('a merge job lost before its promotion: green keeps its bake, the comment says so, a tick after the grace promotes it', async () => {
    const { w, event } = await bakingWhenMerged();
    // The runner is lost as it goes to promote (no error model-gate knows: nothing recorded after it).
    w.hooks.beforeWrite = (desired) => {
      if (desired.stable.version === 'v2') throw new Error('runner lost');
    };
    await expect(w.merge(event)).rejects.toThrow('runner lost');
    w.hooks.beforeWrite = undefined;
    const ready = await w.ledger.release(MODEL);
    expect(ready).toMatchObject({ status: 'ready', mergedAt: expect.any(Number) });
    expect(ready?.idlePending).toBeUndefined();
    const why =
      'v2 passed its one phase; it keeps the traffic of bake on green (100% of live traffic) until it is promoted';
    expect(ready?.reason).toBe(why);
    const report = renderMarkdown(
      w.config,
      { releases: [ready as Release], skipped: [] },
      { now: w.clock.now() },
    );
    expect(report).toContain(`- fraud-detector v2: merged; promotion pending: ${why}`);
    expect(await w.served()).toEqual(BAKE);

    // Within the grace a tick leaves it to the run that may be promoting it; after it, one promotes.
    w.clock.advance(PROMOTION_GRACE_MS / 2);
    await w.tick();
    expect(await w.served()).toEqual(BAKE);
    w.clock.advance(PROMOTION_GRACE_MS / 2);
    const tick = await w.tick();
    expect(tick.releases[0]).toMatchObject({ status: 'promoted' });
    expect(w.writes.filter((t) => t.stable.version === 'v1')).toEqual([]);
    expect(await w.served()).toEqual(PROMOTED);
  });
});

describe('canary: the candidate passes its last step after the merge', () => {
  it('goes from its last step to 100% without stepping back to 0% first', async () => {
    const w = await recordWorld(
      '{ type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }',
      ['{ name: errors, kind: ratio, events: errors, total: requests, max-increase: 10% }'],
      new FakeCounts({
        stable: { rps: 90, errorRate: 0.01, medianMs: 40 },
        canary: { rps: 20, errorRate: 0.01, medianMs: 40 },
      }),
      '{ type: sandbox, url: "http://127.0.0.1:1" }\n    on-merge: analyze-then-promote',
    );
    const once = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };
    await handlePullRequest(w.config, w.event(), w.ports, once);
    await handlePullRequest(w.config, w.event('closed', true), w.ports, once);
    const writes: TrafficState[] = [];
    w.target.fault = (desired) => {
      writes.push(desired);
      return undefined;
    };
    for (let i = 0; i < 10 && (await w.ledger.release('fraud'))?.status === 'analysing'; i++) {
      w.clock.advance(60_000);
      await handleSchedule(w.config, w.ports, { mode: 'tick', maxWaitMs: 0 });
    }
    expect(await w.ledger.release('fraud')).toMatchObject({ status: 'promoted' });
    expect(writes.map((t) => t.canary?.weight ?? 'alone')).toEqual([50, 'alone']);
    expect(w.target.state).toEqual({ stable: { version: 'v2' } });
  });
});
