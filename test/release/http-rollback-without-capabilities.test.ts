import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HttpTargetConfig } from '../../src/config/types.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { httpTarget } from '../../src/targets/http-target.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { type ServingLayer, startServingLayer } from '../support/standins/http-serving-layer.js';
import { FAST } from '../targets/drive.js';
import { recordWorld } from './tick-record-world.js';

// A PR's release in tick mode on an http serving layer (docs/http-target.openapi.yaml, on
// 127.0.0.1) whose GET /capabilities goes bad while the candidate has live traffic (the service
// redeployed, it no longer lists the declared strategy). Each tick is a new run with no
// capabilities read yet. Taking the candidate's traffic away (or promoting it alone) needs no
// capability, so a failed gate's rollback (or a shadow's mirror stopped) must still reach the
// service; it used to be blocked on the capabilities, the candidate keeping its traffic tick after
// tick.

let layer: ServingLayer;
/** What GET /capabilities answers: changed in place by the tests (the stand-in sends it as it is then). */
const capabilities: Record<string, unknown> = {};

beforeAll(async () => {
  layer = await startServingLayer({ deployed: ['v1', 'v2'], stable: 'v1', capabilities });
});
afterAll(async () => {
  expect(layer?.contractViolations).toEqual([]);
  await layer?.close();
});
beforeEach(() => {
  layer.traffic = { stable: { version: 'v1' } };
  for (const key of Object.keys(capabilities)) delete capabilities[key];
});

/** fraud (v1 → v2) under `strategy` on the serving layer, declared as `declared`; its candidate's errors scripted. */
async function release(strategy: string, declared: string) {
  const metrics = new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 20, values: { 'error-rate': 0.005 } },
  });
  const w = await recordWorld(
    strategy,
    ['{ name: errors, kind: threshold, query: error-rate, max: 0.02 }'],
    metrics,
    `{ type: http, url: "${layer.url}", strategies: [${declared}], settle-timeout: 5s, poll-interval: 1s }`,
  );
  // A new target per run, as each scheduled tick is a new job: nothing read from the service is kept.
  w.ports.targetFor = (model) => httpTarget(model.target as HttpTargetConfig, model, w.clock);
  const tick = () =>
    handlePullRequest(w.config, w.event(), w.ports, { mode: 'tick', maxWaitMs: 60_000, dryRun: false });
  return { ...w, metrics, tick };
}

describe('a rollback on an http service whose /capabilities went bad', () => {
  it('withdraws the canary all the same', async () => {
    Object.assign(capabilities, { strategies: ['canary'], weights: 'integer' });
    const w = await release(
      '{ type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }',
      'canary',
    );
    await w.tick();
    expect(layer.traffic).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });

    // Redeployed with a bad answer: canary is no longer listed.
    capabilities.strategies = ['blue-green'];
    w.metrics.slots.canary.values['error-rate'] = 0.5;
    w.clock.advance(20_000);
    const [failed] = (await w.tick()).releases;

    expect(layer.traffic).toEqual({ stable: { version: 'v1' } });
    expect(failed).toMatchObject({ status: 'failed' });
    expect(failed?.withdrawPending).toBeUndefined();
    expect(failed?.reason).toBe('errors: 50.00% is above the max 2.00%');
  });

  it("stops a shadow's mirror all the same", async () => {
    Object.assign(capabilities, { strategies: ['shadow'], mirror: { maxPercent: 50 } });
    const w = await release(
      '{ type: shadow, share: 25%, duration: 1m, step-duration: 1m, min-requests: 100, interval: 10s }',
      'shadow',
    );
    await w.tick();
    expect(layer.traffic).toEqual({ stable: { version: 'v1' }, mirror: { version: 'v2', share: 25 } });

    // Redeployed without mirroring.
    capabilities.strategies = ['canary'];
    delete capabilities.mirror;
    w.metrics.slots.canary.values['error-rate'] = 0.5;
    w.clock.advance(20_000);
    const [failed] = (await w.tick()).releases;

    expect(layer.traffic).toEqual({ stable: { version: 'v1' } });
    expect(failed).toMatchObject({ status: 'failed' });
    expect(failed?.withdrawPending).toBeUndefined();
  });
});

describe('a promotion on an http service whose /capabilities went bad', () => {
  // Not the contract's Capabilities (strategies has minItems 1): every read of them fails.
  const badCapabilities = () => Object.assign(capabilities, { strategies: [] });
  const target = () =>
    httpTarget({ type: 'http', url: layer.url, headers: {}, strategies: ['canary', 'blue-green'], ...FAST });
  const asked = (from: number) => layer.requests.slice(from).map((r) => `${r.method} ${r.path}`);

  it('serves the candidate alone: a single-version state needs no capability', async () => {
    badCapabilities();
    const from = layer.requests.length;
    await reconcile(target(), { stable: { version: 'v2' } });
    expect(layer.traffic).toEqual({ stable: { version: 'v2' } });
    expect(asked(from)).not.toContain('GET /capabilities');
  });

  it("keeps blue-green's blue deployed without traffic: a candidate at 0% needs none either", async () => {
    badCapabilities();
    const from = layer.requests.length;
    const promoted = { stable: { version: 'v2' }, canary: { version: 'v1', weight: 0 } };
    await reconcile(target(), promoted);
    expect(layer.traffic).toEqual(promoted);
    expect(asked(from)).not.toContain('GET /capabilities');
  });

  it('still reads them before giving the candidate live traffic, and refuses', async () => {
    badCapabilities();
    await expect(
      reconcile(target(), { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } }),
    ).rejects.toThrow(
      `serving layer at ${layer.url} answered GET /capabilities with an unexpected body: strategies:`,
    );
    expect(layer.traffic).toEqual({ stable: { version: 'v1' } });
  });
});
