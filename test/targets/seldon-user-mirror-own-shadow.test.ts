import { describe, expect, it } from 'vitest';
import type { SeldonTargetConfig } from '../../src/config/types.js';
import { handleCommand } from '../../src/release/commands.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { seldonTarget } from '../../src/targets/seldon-target.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { recordWorld } from '../release/tick-record-world.js';
import { sha } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import type { PlatformState } from '../support/standin-cli.js';
import { useStandins } from '../support/standin-server.js';
import { EXP, fraudExperimentAtV1, MODEL, seldonModel } from './seldon-cluster.js';

// Beside the user's own mirror (seldon-user-mirror.test.ts), model-gate's shadow mirror still goes
// when the shadow ends, also from a later run told only of the stable version (an abort, a rollback
// command): the Experiment's annotation model-gate/shadow-mirror names the mirror model-gate set.

const TARGET =
  '{ type: seldon, namespace: seldon-mesh, model-name: "{{model}}-{{version}}", poll-interval: 5s }';
const tick = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };
const SHADOW = '{ type: shadow, share: 30, duration: 1h, interval: 5m, min-requests: 100 }';

function cluster(): PlatformState {
  return {
    k8s: {
      [MODEL]: Object.fromEntries(
        ['fraud-v1', 'fraud-v2', 'fraud-v3'].map((n) => [`seldon-mesh/${n}`, seldonModel(n)]),
      ),
      [EXP]: { 'seldon-mesh/fraud': fraudExperimentAtV1({ default: 'fraud-v1' }) },
    },
  };
}
const standins = useStandins('kubectl', cluster);
const spec = async () => (await standins.state()).k8s[EXP]['seldon-mesh/fraud']?.spec;
const annotations = async () =>
  (await standins.state()).k8s[EXP]['seldon-mesh/fraud']?.metadata.annotations ?? {};
/** v1 alone, no mirror nor its note: the Experiment as it was before the shadow. */
const atV1 = { default: 'fraud-v1', candidates: [{ name: 'fraud-v1', weight: 100 }] };

async function midShadow() {
  const w = await recordWorld(
    SHADOW,
    ['{ name: errors, kind: threshold, query: error-rate, max: 0.02 }'],
    new ScriptedMetrics({
      stable: { rps: 90, values: { 'error-rate': 0.005 } },
      canary: { rps: 90, values: { 'error-rate': 0.005 } },
    }),
    TARGET,
  );
  w.ports.targetFor = (m) => seldonTarget(m.target as SeldonTargetConfig, m.name, w.clock);
  await handlePullRequest(w.config, w.event(), w.ports, tick);
  w.clock.advance(5 * 60_000);
  await handleSchedule(w.config, w.ports, tick);
  expect(await spec()).toMatchObject({ mirror: { name: 'fraud-v2', percent: 30 } });
  expect(await annotations()).toEqual({ 'model-gate/shadow-mirror': 'fraud-v2' });
  return w;
}

describe("a Seldon shadow's own mirror, ended by a later run", () => {
  it('is removed by an abort', async () => {
    const w = await midShadow();
    await handleCommand(w.config, 'abort', { dryRun: false, model: 'fraud' }, w.ports);
    expect(await spec()).toEqual(atV1);
    expect(await annotations()).toEqual({});
  });

  it('is removed by a rollback command', async () => {
    const w = await midShadow();
    await handleCommand(w.config, 'rollback', { dryRun: false, model: 'fraud', toVersion: 'v1' }, w.ports);
    expect(await spec()).toEqual(atV1);
    expect(await annotations()).toEqual({});
  });

  it('is removed when the PR closes unmerged, or merges before the shadow ends', async () => {
    for (const merged of [false, true]) {
      await standins.seed(cluster());
      const w = await midShadow();
      await handlePullRequest(w.config, w.event('closed', merged), w.ports, tick);
      expect(await spec()).toEqual(atV1);
      expect(await annotations()).toEqual({});
    }
  });

  it("is taken over by a new commit's shadow of v3", async () => {
    const w = await midShadow();
    (w.ports as { reader: unknown }).reader = memoryFileReader({
      [sha(1)]: { 'fraud.yaml': 'version: v1\n' },
      [sha(2)]: { 'fraud.yaml': 'version: v2\n' },
      [sha(3)]: { 'fraud.yaml': 'version: v3\n' },
    });
    const event = { ...w.event('synchronize'), headSha: sha(3) };
    const [release] = (await handlePullRequest(w.config, event, w.ports, tick)).releases;
    expect(release).toMatchObject({ status: 'analysing', to: 'v3' });
    expect(await spec()).toEqual({ ...atV1, mirror: { name: 'fraud-v3', percent: 30 } });
    expect(await annotations()).toEqual({ 'model-gate/shadow-mirror': 'fraud-v3' });
  });
});
