import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TargetError } from '../../src/core/errors.js';
import { withdrawIfLive } from '../../src/release/finish.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { blueGreenWorld, MODEL } from './blue-green-world.js';

// Blue-green's bake gives green (v2) all live traffic beside blue (v1). When blue disappears
// from the platform under the bake (removed by hand), v2 serves alone: an unjudged candidate with
// all live traffic, not a withdrawn one. The safe end puts v1 back, or says it could not.
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
});
afterAll(() => sandbox?.close());

const ALONE =
  /^v2 served all live traffic alone when this run went to resume bake on green: v1 was no longer deployed \(removed outside model-gate\); the analysis stopped and v1 was asked to serve alone again; push a new commit, or close and reopen the PR, to analyse it again/;

/** PR #2 (v1 -> v2) in its 10-minute bake after one pass, then blue v1 removed by hand. */
async function blueRemovedUnderTheBake() {
  const w = await blueGreenWorld(sandbox, { bake: '10m' });
  const { opened } = await w.open(2, 'v1', 'v2', 'tick');
  expect(opened.releases[0]).toMatchObject({ status: 'analysing', phase: 0 });
  expect(await w.served()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 100 } });
  await w.byHand({ stable: { version: 'v2' } });
  expect(await w.direct('v1')).toBe(404);
  w.clock.advance(60_000);
  return w;
}

describe('blue removed from the platform during the bake (v2 serves alone)', () => {
  it('the next schedule tick ends the release saying so and puts v1 back to serve alone', async () => {
    const w = await blueRemovedUnderTheBake();
    const tick = await w.tick();
    expect(tick.releases[0]).toMatchObject({ status: 'aborted', reason: expect.stringMatching(ALONE) });
    expect(tick.releases[0]?.withdrawPending).toBeUndefined();
    expect(await w.served()).toEqual({ stable: { version: 'v1' } });
    expect(await w.direct('v1')).toBe(200);
    expect(await w.ledger.canaryHolder(MODEL)).toBeUndefined();
    expect(w.logs).toContainEqual(expect.stringMatching(/^fraud-detector: v2 served all live traffic alone/));
    const report = renderMarkdown(w.config, tick, { now: w.clock.now() });
    expect(report).toContain('v2 served all live traffic alone when this run went to resume bake on green');
    expect(report).not.toContain('had no live traffic');
  });

  it('a platform that refuses v1 leaves the withdrawal pending, said with its words; a later tick puts v1 back', async () => {
    const w = await blueRemovedUnderTheBake();
    let refuse = true;
    w.hooks.beforeWrite = (desired) => {
      if (refuse && desired.stable.version === 'v1') throw new TargetError('v1 cannot be scheduled (quota)');
    };
    const refused = (await w.tick()).releases[0];
    expect(refused).toMatchObject({ status: 'aborted', withdrawPending: true });
    expect(refused?.reason).toMatch(ALONE);
    expect(refused?.reason).toContain('withdrawing v2 failed: v1 cannot be scheduled (quota)');
    expect(await w.served()).toEqual({ stable: { version: 'v2' } });
    // Still holding the slot: no other PR's candidate starts while v2 may serve unjudged.
    expect(await w.ledger.canaryHolder(MODEL)).toMatchObject({ to: 'v2', withdrawPending: true });

    refuse = false;
    w.clock.advance(60_000);
    const retried = (await w.tick()).releases[0];
    expect(retried?.withdrawPending).toBeUndefined();
    expect(retried?.reason).toContain('v2 withdrawn on a later try');
    expect(await w.served()).toEqual({ stable: { version: 'v1' } });
    expect(await w.ledger.canaryHolder(MODEL)).toBeUndefined();
  });

  it("the post step's direct withdrawal (GitHub down) puts v1 back; the tick then tells the truth", async () => {
    const w = await blueRemovedUnderTheBake();
    const target = w.platform();
    expect(await withdrawIfLive(target, 'v1', 'v2')).toEqual({ done: 'withdrawn' });
    expect(await w.served()).toEqual({ stable: { version: 'v1' } });
    const tick = await w.tick();
    expect(tick.releases[0]?.reason).toMatch(
      /^v2 had no live traffic when this run went to resume bake on green \(v1 alone served\)/,
    );
    expect(await w.served()).toEqual({ stable: { version: 'v1' } });
    // A rollback to the candidate itself leaves it serving alone: nothing to withdraw there.
    await w.byHand({ stable: { version: 'v2' } });
    expect(await withdrawIfLive(target, 'v1', 'v2', 'v2')).toEqual({ done: 'not-live' });
    expect(await w.served()).toEqual({ stable: { version: 'v2' } });
  });
});
