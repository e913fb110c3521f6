import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/report/markdown.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { blueGreenWorld, MODEL } from './blue-green-world.js';

// A bake exists to watch green under all live traffic for its whole length. When the metric source
// goes down near its end (and green turns bad meanwhile), the bake must not pass on the looks taken
// before the outage: it waits, saying why, and its deadline decides as for missing data.
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
});
afterAll(() => sandbox?.close());

describe('metrics down for the last minutes of a bake', () => {
  it('waits naming the outage, then rolls back at consecutive-error-limit: green is never promoted unseen', async () => {
    const w = await blueGreenWorld(sandbox, { bake: '10m' });
    await w.open(2, 'v1', 'v2', 'tick');
    const reasons: string[] = [];
    let last: Awaited<ReturnType<typeof w.tick>>['releases'][number] | undefined;
    for (let i = 1; i <= 11; i++) {
      w.clock.advance(60_000);
      if (i === 7) {
        w.metrics.failing = true;
        w.metrics.slots.canary.values['error-rate'] = 0.3;
      }
      last = (await w.tick()).releases[0];
      reasons.push(last?.reason ?? '');
    }
    expect(reasons[5]).toContain('waiting for the end of the hold');
    for (const during of reasons.slice(6, 9)) {
      expect(during).not.toContain('waiting for the end of the hold');
      expect(during).toContain('metrics backend unreachable');
    }
    // The tick at the deadline is a tick's only look there: the next tick looks again, and the
    // fifth error in a row (consecutive-error-limit 4) ends the bake.
    expect(reasons[9]).toContain('no answer from the metric source past its 10m deadline');
    expect(last?.status).toBe('failed');
    expect(last?.reason).toBe('errors: metrics failed 5 times in a row (metrics backend unreachable)');
    expect(await w.served()).toEqual({ stable: { version: 'v1' } });
    const tick = await w.tick();
    expect(renderMarkdown(w.config, tick, { now: w.clock.now() })).not.toContain('Ready to merge');
  });

  it('in watch mode too: a 1m bake looked at every 10s, metrics down for its last 35s, ends failed', async () => {
    const w = await blueGreenWorld(sandbox, { bake: '1m' });
    const started = w.clock.now();
    const sleep = w.clock.sleep.bind(w.clock);
    w.clock.sleep = async (ms: number) => {
      await sleep(ms);
      if (w.clock.now() - started >= 25_000) {
        w.metrics.failing = true;
        w.metrics.slots.canary.values['error-rate'] = 0.3;
      }
    };
    const { opened } = await w.open(2, 'v1', 'v2', 'watch');
    expect(opened.releases[0]).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(
        /^no conclusive evidence within 1m at bake on green: errors \(.*unreachable/,
      ),
    });
    expect(await w.served()).toEqual({ stable: { version: 'v1' } });
  });
});
