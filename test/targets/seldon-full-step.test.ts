import { describe, expect, it } from 'vitest';
import type { SeldonTargetConfig } from '../../src/config/types.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { TargetAccessError } from '../../src/targets/errors.js';
import { seldonTarget } from '../../src/targets/seldon-target.js';
import { recordWorld } from '../release/tick-record-world.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import type { PlatformState } from '../support/standin-cli.js';
import { useStandins } from '../support/standin-server.js';
import { activeConditions, EXP, MODEL, seldonModel } from './seldon-cluster.js';

// A canary whose last step gives the candidate 100% on a Seldon Experiment. The manifest left the
// stable Model out at weight 0, so the read-back saw v2 alone and took it for the new stable: the
// job rolled back a healthy candidate ("the analysis could not run … serves v2 100% after being
// asked for v1 0% / v2 100%") and the merge promoted nothing. Seldon takes weight 0 (a uint32 with
// no minimum; the scheduler checks only that there is a candidate), so the stable stays listed.
// And a job on an Experiment that does not exist yet said only `experiments.mlops.seldon.io
// "fraud" not found`.

const TARGET =
  '{ type: seldon, namespace: seldon-mesh, model-name: "{{model}}-{{version}}", poll-interval: 5s }';

/** v1 serves all of the Experiment `fraud`, unless `experiment` is false (the Models only). */
function cluster(experiment = true): PlatformState {
  return {
    k8s: {
      [MODEL]: {
        'seldon-mesh/fraud-v1': seldonModel('fraud-v1'),
        'seldon-mesh/fraud-v2': seldonModel('fraud-v2'),
      },
      [EXP]: experiment
        ? {
            'seldon-mesh/fraud': {
              apiVersion: 'mlops.seldon.io/v1alpha1',
              kind: 'Experiment',
              metadata: { name: 'fraud', namespace: 'seldon-mesh', generation: 1 },
              spec: { candidates: [{ name: 'fraud-v1', weight: 100 }] },
              status: {
                conditions: activeConditions(),
              },
            },
          }
        : {},
    },
  };
}

const standins = useStandins('kubectl', cluster);
const spec = async () => (await standins.state()).k8s[EXP]['seldon-mesh/fraud']?.spec;
const run = { mode: 'watch' as const, maxWaitMs: 30 * 60_000, dryRun: false };

/** fraud v1 → v2 on the Experiment under `strategy`, with a healthy candidate. */
async function world(strategy: string) {
  const w = await recordWorld(
    strategy,
    ['{ name: errors, kind: threshold, query: error-rate, max: 0.02 }'],
    new ScriptedMetrics({
      stable: { rps: 90, values: { 'error-rate': 0.005 } },
      canary: { rps: 90, values: { 'error-rate': 0.005 } },
    }),
    TARGET,
  );
  // The Experiment's candidates after each write, in order.
  const written: unknown[] = [];
  w.ports.targetFor = (m) => {
    const target = seldonTarget(m.target as SeldonTargetConfig, m.name, w.clock);
    return {
      ...target,
      async write(desired) {
        const readBack = await target.write(desired);
        written.push((await spec()).candidates);
        return readBack;
      },
    };
  };
  return { ...w, written };
}

describe('a Seldon canary whose last step is 100%', () => {
  for (const strategy of [
    '{ type: canary, steps: [50, 100], step-duration: 1m, min-requests: 100, interval: 10s }',
    '{ type: linear, step-size: 50, max-weight: 100, step-duration: 1m, min-requests: 100, interval: 10s }',
  ]) {
    it(`ends ready with v2 on 100% and v1 listed at 0, and the merge promotes v2 (${strategy})`, async () => {
      const w = await world(strategy);
      const [release] = (await handlePullRequest(w.config, w.event(), w.ports, run)).releases;
      expect(release).toMatchObject({ status: 'ready' });
      expect(release?.reason ?? '').not.toContain('could not run');
      // The 100% step kept v1 listed at 0; once ready, v2's traffic went back to v1.
      expect(w.written).toEqual([
        [
          { name: 'fraud-v1', weight: 50 },
          { name: 'fraud-v2', weight: 50 },
        ],
        [
          { name: 'fraud-v1', weight: 0 },
          { name: 'fraud-v2', weight: 100 },
        ],
        [{ name: 'fraud-v1', weight: 100 }],
      ]);

      const [merged] = (await handlePullRequest(w.config, w.event('closed', true), w.ports, run)).releases;
      expect(merged).toMatchObject({ status: 'promoted' });
      expect(await spec()).toEqual({ candidates: [{ name: 'fraud-v2', weight: 100 }] });
    });
  }

  it('in tick mode too, where each tick reads the Experiment afresh', async () => {
    const w = await world(
      '{ type: canary, steps: [50, 100], step-duration: 1m, min-requests: 100, interval: 10s }',
    );
    const tick = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };
    await handlePullRequest(w.config, w.event(), w.ports, tick);
    for (let i = 0; i < 20 && (await w.ledger.release('fraud'))?.status === 'analysing'; i++) {
      w.clock.advance(10_000);
      await handleSchedule(w.config, w.ports, tick);
    }
    expect(await w.ledger.release('fraud')).toMatchObject({ status: 'ready' });
    expect(w.written).toContainEqual([
      { name: 'fraud-v1', weight: 0 },
      { name: 'fraud-v2', weight: 100 },
    ]);
    const [merged] = (await handlePullRequest(w.config, w.event('closed', true), w.ports, tick)).releases;
    expect(merged).toMatchObject({ status: 'promoted' });
    expect(await spec()).toEqual({ candidates: [{ name: 'fraud-v2', weight: 100 }] });
  });
});

describe('a Seldon job on an Experiment that does not exist yet', () => {
  it('says to create the Experiment with the stable Model at 100% first, and changes nothing', async () => {
    await standins.seed(cluster(false));
    const w = await world(
      '{ type: canary, steps: [50, 100], step-duration: 1m, min-requests: 100, interval: 10s }',
    );
    const job = handlePullRequest(w.config, w.event(), w.ports, run);
    await expect(job).rejects.toThrow(
      new TargetAccessError(
        'Seldon Experiment fraud (namespace seldon-mesh) does not exist: check the names in the target\'s config (experiment, namespace, context), or create it first with the stable Model at 100% (`kubectl apply -f -` of {"apiVersion":"mlops.seldon.io/v1alpha1","kind":"Experiment","metadata":{"name":"fraud","namespace":"seldon-mesh"},"spec":{"candidates":[{"name":"fraud-v1","weight":100}]}}) and have the clients call it (header `seldon-model: fraud.experiment`), then run model-gate again',
      ),
    );
    expect(await w.ledger.release('fraud')).toBeUndefined();
    expect(await spec()).toBeUndefined();
  });
});
