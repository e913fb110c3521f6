import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/report/markdown.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { blueGreenWorld, MODEL } from './blue-green-world.js';

// A blue-green PR merged mid-bake (on-merge: require-pass) is withdrawn unpromoted. Green served
// every caller until then; when no tick had looked yet, the report's gate row said "➖ not run",
// hiding a minute at 20% errors. The merge now takes one last look at the gates before withdrawing,
// bounded, so a metrics outage does not keep green serving.

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
});
afterAll(() => sandbox?.close());

/** PR #2 (v1 → v2) with green at 100% for a minute of a 10m bake, at `errorRate`, no look taken yet. */
async function bakedAMinute(errorRate: number) {
  const w = await blueGreenWorld(sandbox, { bake: '10m' });
  const { event } = await w.open(2, 'v1', 'v2', 'tick');
  w.metrics.slots.canary.values['error-rate'] = errorRate;
  w.clock.advance(60_000);
  return { w, event };
}

describe('blue-green merged mid-bake', () => {
  it("is rolled back as failed, and the report shows green's 20% errors as a failed gate, not 'not run'", async () => {
    const { w, event } = await bakedAMinute(0.2);
    const merged = await w.merge(event);
    expect(merged.releases[0]).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('errors: 20.00% is above the max 2.00% on its last look at the merge'),
    });
    expect(await w.served()).toEqual({ stable: { version: 'v1' } });
    const report = renderMarkdown(w.config, merged, { now: w.clock.now() });
    expect(report).toContain('| errors (error-rate) | 20.00% (1,200 req) |');
    expect(report).toContain('❌ fail: 20.00% is above the max 2.00%');
    expect(report).not.toContain('not run');
  });

  it('a healthy green shows what it served, still unpromoted', async () => {
    const { w, event } = await bakedAMinute(0.005);
    const merged = await w.merge(event);
    expect(merged.releases[0]?.status).toBe('aborted');
    const report = renderMarkdown(w.config, merged, { now: w.clock.now() });
    expect(report).toContain('| errors (error-rate) | 0.50% (1,200 req) |');
    expect(await w.served()).toEqual({ stable: { version: 'v1' } });
  });

  it('metrics down at the merge: green is withdrawn all the same, the outage named in a warning', async () => {
    const { w, event } = await bakedAMinute(0.2);
    w.metrics.failing = true;
    const merged = await w.merge(event);
    expect(merged.releases[0]?.status).toBe('aborted');
    expect(await w.served()).toEqual({ stable: { version: 'v1' } });
    expect(w.logs).toContainEqual(
      expect.stringContaining(
        'the last look at the gates before withdrawing v2 was not taken (metrics backend unreachable',
      ),
    );
    // No look was ever answered: the row says so, as before.
    expect(renderMarkdown(w.config, merged, { now: w.clock.now() })).toContain('➖ not run');
  });
});
