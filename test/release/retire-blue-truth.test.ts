import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sameTraffic } from '../../src/core/traffic.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { blueGreenPromotedV2, HOUR, MODEL } from './blue-green-world.js';

// Blue-green keeps blue (v1) deployed without traffic for its rollback-window after promoting
// green (v2); the first schedule tick after the window retires it. What the tick logs and does
// must match the platform and the ledger: a rollback recorded while it works has the last word,
// and a later release that took blue's place leaves no blue "kept for a rollback".
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
});
afterAll(() => sandbox?.close());

const promoted = () => blueGreenPromotedV2(sandbox);

const LAST_ROLLBACK = { kind: 'rollback', version: 'v1', previous: 'v2' };

describe('retiring blue while a dispatch rollback lands', () => {
  it('a rollback recorded between the tick’s look and its change stands: blue is not retired', async () => {
    const w = await promoted();
    w.clock.advance(2 * HOUR);
    // The rollback runs once the tick has read the platform, before it changes anything.
    let armed = false;
    w.hooks.afterRead = () => {
      armed = true;
    };
    const { canaryHolder } = w.ledger;
    w.ledger.canaryHolder = async (model) => {
      if (armed) {
        armed = false;
        w.hooks.afterRead = undefined;
        await w.rollback();
      }
      return canaryHolder(model);
    };
    const tick = await w.tick();
    expect((await w.ledger.history(MODEL)).at(-1)).toMatchObject(LAST_ROLLBACK);
    expect(await w.served()).toEqual({ stable: { version: 'v1' } });
    expect(tick.skipped.map((s) => s.why)).toContain(
      'blue v1 not retired: a rollback to v1 was recorded meanwhile',
    );
    expect(tick.skipped.map((s) => s.why).join('\n')).not.toContain('retired (rollback-window');
  });

  it('a rollback whose change and record land just before the tick’s change is put back after it', async () => {
    const w = await promoted();
    w.clock.advance(2 * HOUR);
    let armed = true;
    w.hooks.beforeWrite = async (desired) => {
      if (!armed || !sameTraffic(desired, { stable: { version: 'v2' } })) return;
      armed = false;
      await w.rollback();
    };
    const tick = await w.tick();
    expect((await w.ledger.history(MODEL)).at(-1)).toMatchObject(LAST_ROLLBACK);
    expect(await w.served()).toEqual({ stable: { version: 'v1' } });
    expect(await w.direct('v1')).toBe(200);
    expect(tick.skipped.map((s) => s.why)).toContain(
      'blue v1 retired while a rollback to v1 was recorded: v1 100% put back, as it records',
    );
  });
  it('a rollback whose change landed but is not recorded yet: the tick leaves the platform as it is', async () => {
    const w = await promoted();
    w.clock.advance(2 * HOUR);
    // The rollback's one call lands once the tick has read the platform; its record comes later.
    w.hooks.afterRead = () => {
      w.hooks.afterRead = undefined;
      return w.byHand({ stable: { version: 'v1' } });
    };
    w.writes.length = 0;
    const tick = await w.tick();
    expect(await w.served()).toEqual({ stable: { version: 'v1' } });
    expect(w.writes).toEqual([]);
    expect(tick.skipped.map((s) => s.why)).toContainEqual(
      expect.stringMatching(
        /^blue v1 not retired: sandbox fraud-detector at \S+ serves v1 100%, not v2 with v1 kept/,
      ),
    );
  });
});

describe('blue taken out by a later release inside the rollback-window', () => {
  it('the tick says blue is not deployed, not that it is kept for a rollback', async () => {
    const w = await promoted();
    // PR #3 (v2 -> v3) bakes v3 in blue's place and fails: v2 alone serves, v1 is gone.
    w.metrics.slots.canary.values['error-rate'] = 0.2;
    const { opened } = await w.open(3, 'v2', 'v3');
    expect(opened.releases[0]?.status).toBe('failed');
    expect(await w.served()).toEqual({ stable: { version: 'v2' } });
    expect(await w.direct('v1')).toBe(404);

    w.logs.length = 0;
    w.clock.advance(10 * 60_000);
    await w.tick();
    expect(w.logs.join('\n')).not.toContain('kept for a rollback');
    expect(w.logs).toContainEqual(
      expect.stringMatching(
        /^fraud-detector: blue v1 is not deployed beside v2 as far as sandbox fraud-detector at \S+ reports \(v2 alone\), with 49m50s of its rollback-window 1h left: a rollback to v1 deploys it again$/,
      ),
    );
    // Said, not acted on: nothing changes on the platform inside the window.
    expect(await w.served()).toEqual({ stable: { version: 'v2' } });
  });
});
