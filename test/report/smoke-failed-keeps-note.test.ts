import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config, ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { MemoryTarget } from '../support/memory-target.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { configWith, report, row, startGreen } from './release-world.js';

// A phase that failed keeps the notes its record had (a gate configured differently mid-release:
// judged afresh from here), as one that passed does. A failed smoke test's row showed only the
// smoke test's words, so its report no longer said the config had changed under it.

const errorsGate = (max: string) => `{ name: errors, kind: threshold, query: error-rate, max: ${max} }`;
const blueGreen = (url: string, max: string) =>
  configWith(
    `{ type: blue-green, bake-duration: 1m, rollback-window: 1h, step-duration: 2m, min-requests: 100, interval: 10s, smoke: { url: "${url}", requests: [{ x: 1 }, { bad: 1 }], repeat: 2 } }`,
    [errorsGate(max)],
  );

describe('a smoke test that failed after the config changed mid-release', () => {
  let green: Awaited<ReturnType<typeof startGreen>>;
  beforeAll(async () => {
    green = await startGreen();
  });
  afterAll(() => green.close());

  it("keeps the note that a gate is configured differently beside the smoke test's words", async () => {
    const before = blueGreen(green.url, '0.02');
    const after = blueGreen(green.url, '0.05');
    const model = (c: Config) => c.models.fraud as ModelConfig;
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const metrics = new ScriptedMetrics({ stable: { rps: 40, values: {} }, canary: { rps: 40, values: {} } });
    const ctx = { target: new MemoryTarget(), metrics, clock };
    // The first look enters the smoke phase under `before`; the next, under `after`, runs the test.
    let r: Release = newRelease(model(before), { from: 'v1', to: 'v2', now: clock.now() });
    for (const config of [before, after, after]) {
      if (r.status !== 'analysing') break;
      r = await tick(r, { ...ctx, config: model(config) });
      await clock.sleep(10_000);
    }

    expect(r.status).toBe('failed');
    expect(row(report(after, r), 'smoke on green')).toMatch(
      /\| failed: smoke: 4 synthetic requests to green, 2 failed \(request 2: .*\) \(max-errors 0\), p95 \d+ ms; gate "errors" is configured differently: judged afresh from here \|$/,
    );
  });
});
