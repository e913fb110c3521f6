import { describe, expect, it } from 'vitest';
import type { SeldonTargetConfig } from '../../src/config/types.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { seldonTarget } from '../../src/targets/seldon-target.js';
import type { PlatformState } from '../support/standin-cli.js';
import { useStandins } from '../support/standin-server.js';
import { FAST, step } from './drive.js';

// The Seldon Core v2 operator writes an Experiment's conditions only (from the scheduler's events,
// operator/scheduler/experiment.go), never status.observedGeneration, so the target must settle
// and read on the Ready condition alone.

const EXP = 'experiments.mlops.seldon.io';
const MODEL = 'models.mlops.seldon.io';
const config: SeldonTargetConfig = {
  type: 'seldon',
  namespace: 'seldon-mesh',
  modelName: '{{model}}-{{version}}',
  ...FAST,
};

const model = (name: string) => ({
  apiVersion: 'mlops.seldon.io/v1alpha1',
  kind: 'Model',
  metadata: { name, namespace: 'seldon-mesh' },
  spec: { storageUri: `gs://models/${name}` },
  status: { ready: true },
});
const active = (type: string) => ({ type, status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' });

/** Models v1 and v2, and (unless `experiment` is false) an Experiment on v1 as the operator reports it. */
function cluster(experiment = true): PlatformState {
  return {
    k8s: {
      [MODEL]: { 'seldon-mesh/fraud-v1': model('fraud-v1'), 'seldon-mesh/fraud-v2': model('fraud-v2') },
      [EXP]: experiment
        ? {
            'seldon-mesh/fraud': {
              apiVersion: 'mlops.seldon.io/v1alpha1',
              kind: 'Experiment',
              metadata: { name: 'fraud', namespace: 'seldon-mesh', generation: 3 },
              spec: { candidates: [{ name: 'fraud-v1', weight: 100 }] },
              status: {
                conditions: [
                  active('CandidatesReady'),
                  { ...active('ExperimentReady'), reason: 'experiment active' },
                  active('MirrorReady'),
                  active('Ready'),
                ],
              },
            },
          }
        : {},
    },
  };
}

const standins = useStandins('kubectl');

const experimentGets = async () =>
  (await standins.calls('kubectl')).filter((c) => c.argv[0] === 'get' && c.argv[1] === EXP).length;

describe('seldon target on an Experiment status without observedGeneration', () => {
  it('reads what serves, runs a step that settles and reads back, and rolls it back', async () => {
    await standins.seed(cluster());
    const target = seldonTarget(config, 'fraud');
    await expect(target.read()).resolves.toEqual({ stable: { version: 'v1' } });
    await expect(reconcile(target, step('v1', 'v2', 10))).resolves.toEqual(step('v1', 'v2', 10));
    await expect(reconcile(target, withdrawTraffic('v1'))).resolves.toEqual({ stable: { version: 'v1' } });
    const { spec, status } = (await standins.state()).k8s[EXP]['seldon-mesh/fraud'];
    expect(spec).toEqual({ candidates: [{ name: 'fraud-v1', weight: 100 }] });
    expect(status).not.toHaveProperty('observedGeneration');
  });

  it('waits for a new Experiment until the scheduler reports it Ready', async () => {
    // The scheduler's first event comes after two reads; until then the Experiment has no status.
    await standins.seed({ ...cluster(false), settleGets: 2 });
    await expect(reconcile(seldonTarget(config, 'fraud'), step('v1', 'v2', 10))).resolves.toEqual(
      step('v1', 'v2', 10),
    );
    expect(await experimentGets()).toBeGreaterThanOrEqual(3);
  });
});
