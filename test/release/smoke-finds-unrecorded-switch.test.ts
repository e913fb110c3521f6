import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlueGreenStrategyConfig, ModelConfig } from '../../src/config/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { blueGreenWorld, HOUR, MODEL } from './blue-green-world.js';

// Blue-green with a smoke test on green. A run passed the smoke test and switched green to 100%,
// then was lost before recording it: the record still says "smoke on green (no live traffic)". The
// next tick ran the smoke test on its record's word; when that failed, the comment said green "never
// served callers and was withdrawn", the history "smoke on green, 0%, 1h". It now looks at the
// platform first: green found with live traffic is taken back to none before the smoke test, and
// the history shows the traffic found.

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
});
afterAll(() => sandbox?.close());

const FOUND =
  'v2 had 100% of live traffic, which the record did not show (a run lost after its traffic change, or a change by hand): taken back to no live traffic before smoke on green runs again';

/** PR #8 (v1 -> v2) at its smoke test on record, green switched to 100% by a run lost before recording it; an hour later. */
async function switchedOffRecord() {
  const w = await blueGreenWorld(sandbox, { bake: '10m' });
  const strategy = (w.config.models[MODEL] as ModelConfig).strategy as BlueGreenStrategyConfig;
  strategy.smoke = {
    requests: [{ features: [0.1, 0.2, 0.3, 0.4] }],
    headers: {},
    repeat: 1,
    maxErrors: 0,
    timeoutMs: 2000,
  };
  const { opened } = await w.open(8, 'v1', 'v2', 'tick');
  expect(opened.releases[0]).toMatchObject({ status: 'analysing', phase: 0 });
  await w.byHand({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 100 } });
  w.clock.advance(HOUR);
  w.writes.length = 0;
  return { w, strategy };
}

const history = async (w: Awaited<ReturnType<typeof switchedOffRecord>>['w']) =>
  (await w.ledger.release(MODEL))?.phases.map((p) => [p.name, p.weight, p.outcome ?? 'running']);

describe('the smoke test on green finds green with live traffic its record does not show', () => {
  it('failing, the comment says v2 was rolled back, not that it never served callers', async () => {
    const { w, strategy } = await switchedOffRecord();
    strategy.smoke = {
      ...(strategy.smoke as NonNullable<typeof strategy.smoke>),
      url: 'http://127.0.0.1:9/{{version}}',
    };
    const tick = await w.tick();
    expect(tick.releases[0]).toMatchObject({ status: 'failed' });
    expect(await w.served()).toEqual({ stable: { version: 'v1' } });
    const report = renderMarkdown(w.config, tick, { now: w.clock.now() });
    expect(report).not.toContain('it never served callers');
    expect(report).toContain(
      '- fraud-detector v2 was rolled back to v1: smoke on green failed: smoke: 1 synthetic request',
    );
    // The hour on record at the smoke test, then the traffic found, then the smoke test that failed.
    expect(report).toMatch(/\| smoke on green \| 0% \| 2026-01-01 00:00:00 \| 1h 00m \| withdrawn: /);
    expect(report).toContain(`| bake on green | 100% | 2026-01-01 01:00:00 | 0s | withdrawn: ${FOUND} |`);
    expect(report).toMatch(
      /\| smoke on green \| 0% \| 2026-01-01 01:00:00 \| 0s \| failed: smoke: 1 synthetic request/,
    );
    expect(await history(w)).toEqual([
      ['smoke on green', 0, 'withdrawn'],
      ['bake on green', 100, 'withdrawn'],
      ['smoke on green', 0, 'failed'],
    ]);
  });

  it('passing, green is taken off live traffic before its smoke test, then switched to its bake', async () => {
    const { w } = await switchedOffRecord();
    const tick = await w.tick();
    expect(tick.releases[0]).toMatchObject({
      status: 'analysing',
      reason: 'analysing bake on green (100% of live traffic)',
    });
    expect(w.writes).toEqual([
      { stable: { version: 'v1' }, canary: { version: 'v2', weight: 0 } },
      { stable: { version: 'v1' }, canary: { version: 'v2', weight: 100 } },
    ]);
    expect(await history(w)).toEqual([
      ['smoke on green', 0, 'withdrawn'],
      ['bake on green', 100, 'withdrawn'],
      ['smoke on green', 0, 'passed'],
      ['bake on green', 100, 'running'],
    ]);
  });
});
