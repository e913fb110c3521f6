import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { handleCommand } from '../../src/release/commands.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { refusingWithdrawals } from '../support/platform-pass-through.js';
import { MODEL, prOnSandbox } from './pr-on-sandbox.js';

// A rollback by workflow_dispatch during a blue-green bake (green v3 takes all live traffic), its one
// traffic change refused by the platform: v3 still serves everything. The report's line used to
// give the rollback's words as why v3 was to be withdrawn: "rolled back to v2 …: v3 took all live
// traffic and is withdrawn, v2 serves again", none of which happened. The real sandbox behind a
// pass-through refusing withdrawals, a file ledger.
const BLUE_GREEN =
  '{ type: blue-green, bake-duration: 10m, rollback-window: 1h, min-requests: 100, interval: 30s }';

let sandbox: Sandbox;
let platform: Awaited<ReturnType<typeof refusingWithdrawals>>;
let refuse = false;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v2' }] });
  platform = await refusingWithdrawals(sandbox.url, 'platform unavailable', () => refuse);
});
afterAll(async () => {
  await platform?.close();
  await sandbox?.close();
});

const served = async () => (await requestJson('GET', `${sandbox.url}/admin/models/${MODEL}/traffic`)).body;

describe('a rollback during a blue-green bake, refused by the platform', () => {
  it('says the rollback did not take, not that v2 serves again; run again, it does', async () => {
    // The model's target and metrics are the pass-through; v2 promoted from v1, PR #7 releasing v3.
    const w = await prOnSandbox({ url: platform.url } as Sandbox, {
      strategy: BLUE_GREEN,
      from: 'v2',
      to: 'v3',
      promotedFrom: 'v1',
    });
    await w.open('tick');
    const bake = { stable: { version: 'v2' }, canary: { version: 'v3', weight: 100 } };
    expect(await served()).toEqual(bake);
    const rollback = () =>
      handleCommand(
        w.config,
        'rollback',
        { model: MODEL, dryRun: false, trigger: 'workflow_dispatch' },
        w.ports,
      );

    refuse = true;
    await expect(rollback()).rejects.toThrow(/refused: platform unavailable; the release of v3 of PR #7/);
    expect(await served()).toEqual(bake);
    const recorded = (await w.ledger.release(MODEL)) as Release;
    const report = renderMarkdown(w.config, { releases: [recorded], skipped: [] }, { now: w.clock.now() });
    expect(report).toContain(
      `- ${MODEL} v3 could not be withdrawn: sandbox ${MODEL} at ${platform.url} refused: platform unavailable (the rollback to v2 by workflow\\_dispatch that was to withdraw it did not take either); v3 may still get live traffic`,
    );
    expect(report).not.toContain('v2 serves again');

    refuse = false;
    await rollback();
    expect(await served()).toEqual({ stable: { version: 'v2' } });
  });
});
