import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ModelConfig } from '../../src/config/types.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { blueGreenWorld, MODEL } from './blue-green-world.js';

// A job lost right after its switch to green (the write landed, the record of it did not) leaves
// the next run to enter the bake on a platform that already serves it. Green's baseline at 100% is
// blue's traffic before the switch: the switch the platform made, not the moment the next run came.
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
});
afterAll(() => sandbox?.close());

const MINUTE = 60_000;

/** Blue (stable) serves 90 rps until `switchAt`, nothing after it: all live traffic is on green. */
class SwitchedMetrics extends ScriptedMetrics {
  switchAt = Number.POSITIVE_INFINITY;
  private blue = (w: MetricWindow) => Math.max(0, Math.min(w.until, this.switchAt) - w.since);
  override async requests(w: MetricWindow): Promise<number> {
    if (w.slot !== 'stable') return super.requests(w);
    return Math.floor((this.blue(w) / 1000) * this.slots.stable.rps);
  }
  override async value(query: string, w: MetricWindow): Promise<number | undefined> {
    if (w.slot === 'stable' && this.blue(w) === 0) return undefined;
    return super.value(query, w);
  }
}

/** PR #2 on a 10m bake gated by `max-increase: 50%` on errors; the run is lost after green's switch. */
async function lostAfterTheSwitch() {
  const w = await blueGreenWorld(sandbox, { bake: '10m' });
  const gates = parseConfig(
    `version: 1
models:
  ${MODEL}:
    source: { file: model.yaml, key: version }
    target: { type: sandbox, url: "${sandbox.url}" }
    metrics: { type: sandbox, url: "${sandbox.url}" }
    strategy: { type: blue-green, bake-duration: 10m, step-duration: 10m }
    gates:
      - { name: rel-errors, kind: threshold, query: error-rate, max-increase: 50% }
`,
    {},
  ).config.models[MODEL]?.gates;
  const model = w.config.models[MODEL] as ModelConfig;
  model.gates = gates ?? [];
  const metrics = new SwitchedMetrics(w.metrics.slots);
  w.ports.metricsFor = () => metrics;
  const inner = w.ports.targetFor;
  let lose = true;
  w.ports.targetFor = (m) => {
    const target = inner(m);
    return {
      ...target,
      write: async (t) => {
        const readBack = await target.write(t);
        if (lose && t.canary?.weight === 100) {
          lose = false;
          metrics.switchAt = w.clock.now();
          throw new Error('runner lost');
        }
        return readBack;
      },
    };
  };
  await expect(w.open(2, 'v1', 'v2', 'tick')).rejects.toThrow('runner lost');
  expect(await w.served()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 100 } });
  return { w, metrics };
}

describe('the next run after a job lost right after the switch to green', () => {
  for (const gapMinutes of [15, 1]) {
    it(`${gapMinutes} minute(s) later: green's baseline is blue's traffic before the real switch, and a healthy green passes`, async () => {
      const { w, metrics } = await lostAfterTheSwitch();
      const switchAt = metrics.switchAt;
      w.clock.advance(gapMinutes * MINUTE);
      let judged = 0;
      let tick = await w.tick();
      let release = tick.releases[0];
      for (let i = 0; i < 12 && release?.status === 'analysing'; i++) {
        w.clock.advance(MINUTE);
        tick = await w.tick();
        release = tick.releases[0];
        const look = release?.gates[0]?.last;
        if (look?.baselineWindow) {
          judged++;
          // Blue alone, before the switch, over as long as green has been looked at.
          expect(look.baselineWindow.until).toBeLessThanOrEqual(switchAt);
          expect(look.baselineRequests).toBe(
            ((look.baselineWindow.until - look.baselineWindow.since) / 1000) * 90,
          );
          expect(look.baselineRequests).toBeGreaterThan(0);
        }
      }
      expect(judged).toBeGreaterThan(0);
      expect(release?.status).toBe('ready');
      expect(release?.reason ?? '').not.toContain('no baseline data');
      const report = renderMarkdown(w.config, tick, { now: w.clock.now() });
      expect(report).not.toContain('(0 req;');
      // The history says why the bake's row starts before its looks.
      expect(report).toContain('v2 already had this traffic when this run came to it');
    });
  }
});
