import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { handleCommand } from '../../src/release/commands.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { refusingWithdrawals } from '../support/platform-pass-through.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { MODEL, prOnSandbox } from './pr-on-sandbox.js';

// During a blue-green bake green (v3) takes all live traffic. When the platform refuses the change
// that takes it out, the heading used to say "a candidate may still get live traffic", as for a
// 10% canary: it may still take all of it. A refused rollback's line used to give the rollback's
// words as why v3 was to be withdrawn: "rolled back to v2 …: v3 took all live traffic and is
// withdrawn, v2 serves again", none of which happened. The real sandbox behind a pass-through refusing
// withdrawals, a file ledger.
const BLUE_GREEN =
  '{ type: blue-green, bake-duration: 10m, rollback-window: 1h, min-requests: 100, interval: 30s }';
const BAKE = { stable: { version: 'v2' }, canary: { version: 'v3', weight: 100 } };

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
beforeEach(() => {
  refuse = false;
});

const served = async () => (await requestJson('GET', `${sandbox.url}/admin/models/${MODEL}/traffic`)).body;

/** v2 serving (promoted from v1), PR #7 baking v3 with all live traffic; `metrics` judge it. */
async function baking(metrics?: ScriptedMetrics) {
  const w = await prOnSandbox({ url: platform.url } as Sandbox, {
    strategy: BLUE_GREEN,
    from: 'v2',
    to: 'v3',
    promotedFrom: 'v1',
    metrics,
  });
  const command = (name: 'abort' | 'rollback' | 'status') =>
    handleCommand(w.config, name, { model: MODEL, dryRun: false, trigger: 'workflow_dispatch' }, w.ports);
  const heading = async () => {
    const release = (await w.ledger.release(MODEL)) as Release;
    const report = renderMarkdown(w.config, { releases: [release], skipped: [] }, { now: w.clock.now() });
    return report.split('\n')[0];
  };
  return { ...w, command, heading };
}

describe('a withdrawal refused while the candidate takes all live traffic (blue-green bake)', () => {
  it.each([
    ['a rollback by command', 'rollback', 'Rollback'],
    ['an abort', 'abort', 'Withdrawal'],
  ] as const)('%s: the heading says v3 may still take all live traffic', async (_, name, what) => {
    const w = await baking();
    await w.open('tick');
    expect(await served()).toEqual(BAKE);
    refuse = true;
    await expect(w.command(name)).rejects.toThrow(/HTTP 503: platform unavailable/);
    expect(await served()).toEqual(BAKE);
    expect(await w.heading()).toBe(
      `## model-gate: ⚠️ ${what} incomplete: the candidate may still take all live traffic`,
    );
    // command status heads its report the same way.
    const status = await w.command('status');
    const report = renderMarkdown(w.config, status, { now: w.clock.now() });
    expect(report.split('\n')[0]).toBe(
      `## model-gate: ⚠️ Status: ${what.toLowerCase()} incomplete: the candidate may still take all live traffic`,
    );
    // The platform answers again: the command run again takes v3 out.
    refuse = false;
    await w.command(name);
    expect(await served()).toEqual({ stable: { version: 'v2' } });
  });

  it("a rollback by command: the release's line says the rollback did not take, not that v2 serves again", async () => {
    const w = await baking();
    await w.open('tick');
    refuse = true;
    await expect(w.command('rollback')).rejects.toThrow(
      /HTTP 503: platform unavailable; the sandbox, .* is up\); the release of v3 of PR #7/,
    );
    expect(await served()).toEqual(BAKE);
    const recorded = (await w.ledger.release(MODEL)) as Release;
    const report = renderMarkdown(w.config, { releases: [recorded], skipped: [] }, { now: w.clock.now() });
    expect(report).toContain(
      `- ${MODEL} v3 could not be withdrawn: sandbox ${MODEL} at ${platform.url} answered the traffic change with HTTP 503: platform unavailable; the sandbox, or a proxy in front of it, is not serving (still starting, or down; GET ${platform.url}/healthz answers once it is up) (the rollback to v2 by workflow\\_dispatch that was to withdraw it did not take either); v3 may still get live traffic`,
    );
    expect(report).not.toContain('v2 serves again');
  });

  it('a failed gate in the bake whose rollback the platform refused: says so too', async () => {
    const faulty = new ScriptedMetrics({
      stable: { rps: 90, values: { 'error-rate': 0.005 } },
      canary: { rps: 20, values: { 'error-rate': 0.2 } },
    });
    const w = await baking(faulty);
    refuse = true;
    const failed = await w.open('watch');
    expect(failed.releases).toMatchObject([{ status: 'failed', withdrawPending: true }]);
    expect(await served()).toEqual(BAKE);
    expect(await w.heading()).toBe(
      '## model-gate: ⚠️ Rollback incomplete: the candidate may still take all live traffic',
    );
    refuse = false;
    await w.command('abort');
    expect(await served()).toEqual({ stable: { version: 'v2' } });
  });
});
