import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { handleCommand } from '../../src/release/commands.js';
import type { RunResult } from '../../src/release/pull-request.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { MODEL, prOnSandbox } from './pr-on-sandbox.js';

// A rollback by workflow_dispatch without to-version while a candidate takes all live traffic (a
// blue-green bake, a rolling release on every instance): that candidate is what serves, so the
// rollback goes to the version it replaces, kept beside it, not to the one before that. On the
// real sandbox, v2 serving after a promotion from v1, and PR #7 releasing v3.
const BLUE_GREEN =
  '{ type: blue-green, bake-duration: 10m, rollback-window: 1h, min-requests: 100, interval: 30s }';
const ROLLING =
  '{ type: rolling, instances: 4, batch-size: 2, step-duration: 5m, min-requests: 100, interval: 30s }';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v2' }] });
});
afterAll(() => sandbox?.close());

const admin = () => `${sandbox.url}/admin/models/${MODEL}/traffic`;
const served = async () => (await requestJson('GET', admin())).body;

/** `v2` serving (promoted from v1 by PR #3, unless `noHistory`), and PR #7 moving it to v3 under `strategy`. */
async function world(strategy: string, opts: { noHistory?: boolean } = {}) {
  const w = await prOnSandbox(
    sandbox,
    opts.noHistory
      ? { strategy, from: 'v1', to: 'v2' }
      : { strategy, from: 'v2', to: 'v3', promotedFrom: 'v1' },
  );
  const { config, clock, ledger, ports, open } = w;
  const rollback = (dryRun = false) =>
    handleCommand(config, 'rollback', { model: MODEL, dryRun, trigger: 'workflow_dispatch' }, ports);
  const report = (result: RunResult) => renderMarkdown(config, result, { now: clock.now() });
  const history = async () =>
    (await ledger.history(MODEL)).map((e) => `${e.kind} ${e.previous}->${e.version}`);
  return { ledger, open, rollback, report, history };
}

const WITHDRAWN =
  'rolled back to v2 by workflow_dispatch: v3 took all live traffic and is withdrawn, v2 serves again (v2 stayed the stable version on record, so no rollback is recorded)';

describe('rollback without to-version while the candidate takes all live traffic', () => {
  it('blue-green bake: goes back to blue (v2), not past it to v1, and records no rollback of v2', async () => {
    const w = await world(BLUE_GREEN);
    expect((await w.open('tick')).releases[0]?.status).toBe('analysing');
    expect(await served()).toEqual({ stable: { version: 'v2' }, canary: { version: 'v3', weight: 100 } });

    const result = await w.rollback();
    expect(await served()).toEqual({ stable: { version: 'v2' } });
    expect(result.rollbacks ?? []).toEqual([]);
    expect(await w.history()).toEqual(['promotion v1->v2']);
    expect(result.releases).toMatchObject([{ to: 'v3', pr: 7, status: 'aborted', reason: WITHDRAWN }]);
    expect(await w.ledger.release(MODEL)).toMatchObject({ status: 'aborted', reason: WITHDRAWN });
    expect(w.report(result)).toContain(`- ${MODEL} v3 was withdrawn: ${WITHDRAWN.replaceAll('_', '\\_')}`);
  });

  it('blue-green bake with no earlier version on record: still goes back to blue, no refusal', async () => {
    const w = await world(BLUE_GREEN, { noHistory: true });
    await w.open('tick');
    expect(await served()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 100 } });
    const result = await w.rollback();
    expect(await served()).toEqual({ stable: { version: 'v1' } });
    expect(result.releases).toMatchObject([{ to: 'v2', status: 'aborted' }]);
    expect(await w.history()).toEqual([]);
  });

  it('rolling, ready with v3 on every instance: goes back to v2 on every instance', async () => {
    const w = await world(ROLLING);
    expect((await w.open('watch')).releases[0]?.status).toBe('ready');
    expect(await served()).toEqual({
      stable: { version: 'v2' },
      rolling: { version: 'v3', instances: 4, replaced: 4 },
    });
    const result = await w.rollback();
    expect(await served()).toEqual({ stable: { version: 'v2' } });
    expect(await w.history()).toEqual(['promotion v1->v2']);
    expect(result.releases).toMatchObject([{ to: 'v3', status: 'aborted', reason: WITHDRAWN }]);
  });

  it('says in a dry run that it would go back to blue, and changes nothing', async () => {
    const w = await world(BLUE_GREEN);
    await w.open('tick');
    const result = await w.rollback(true);
    expect(result.skipped).toEqual([
      {
        model: MODEL,
        why: 'would roll back to v2, withdrawing v3 (PR #7), which takes all live traffic (v2 stayed the stable version on record, so no rollback is recorded)',
        kind: 'dry-run',
      },
    ]);
    expect(await served()).toEqual({ stable: { version: 'v2' }, canary: { version: 'v3', weight: 100 } });
    expect((await w.ledger.release(MODEL))?.status).toBe('analysing');
  });

  it('blue-green ready (green idle, v2 takes all traffic): still the previous stable, v1, as before', async () => {
    const w = await world(BLUE_GREEN);
    expect((await w.open('watch')).releases[0]?.status).toBe('ready');
    expect(await served()).toEqual({ stable: { version: 'v2' }, canary: { version: 'v3', weight: 0 } });
    const result = await w.rollback();
    expect(result.rollbacks).toMatchObject([{ version: 'v1', previous: 'v2' }]);
    expect(await served()).toEqual({ stable: { version: 'v1' } });
  });
});
