import { describe, expect, it } from 'vitest';
import type { KServeTargetConfig } from '../../src/config/types.js';
import { kserveTarget } from '../../src/targets/kserve-target.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { useStandins } from '../support/standin-server.js';
import { FAST, passingCanary, step } from './drive.js';
import { ISVC, servingV1 } from './kserve-cluster.js';

// An InferenceService whose predictor uses KServe's older per-framework form (`sklearn:
// {storageUri}`). KServe's webhook refuses a predictor with two implementations ("Exactly one of
// [...] must be specified in PredictorSpec", kserve pkg/apis/serving/v1beta1/component.go
// validateExactlyOneImplementation), so model-gate's new version goes in `sklearn.storageUri`: it
// used to patch `model.storageUri` beside it, and every step was refused.

const config: KServeTargetConfig = {
  type: 'kserve',
  namespace: 'ml',
  storageUri: 'gs://models/{{model}}/{{version}}',
  ...FAST,
};

const standins = useStandins('kubectl', () => servingV1({}, undefined, 'sklearn'));
const predictor = async () => (await standins.state()).k8s[ISVC]['ml/fraud'].spec.predictor;

describe('a KServe predictor in the per-framework form (spec.predictor.sklearn)', () => {
  it('takes a canary in its own storageUri, and promotes it', async () => {
    const seen = await passingCanary(kserveTarget(config, 'fraud'), 'v1', 'v2');
    expect(seen).toEqual([
      step('v1', 'v2', 10),
      step('v1', 'v2', 50),
      step('v1', 'v2', 0),
      { stable: { version: 'v2' } },
    ]);
    expect(await predictor()).toEqual({
      sklearn: { storageUri: 'gs://models/fraud/v2' },
      annotations: { 'model-gate.dev/version': 'v2' },
    });
  });

  it('rolls a failing canary back to v1, and takes the next candidate', async () => {
    const target = kserveTarget(config, 'fraud');
    expect(await reconcile(target, step('v1', 'v2', 10))).toEqual(step('v1', 'v2', 10));
    // KServe keeps v2 as the latest revision, at 0%.
    expect(await reconcile(target, withdrawTraffic('v1'))).toEqual(step('v1', 'v2', 0));
    expect(await reconcile(target, step('v1', 'v3', 10))).toEqual(step('v1', 'v3', 10));
    expect(await predictor()).toEqual({
      sklearn: { storageUri: 'gs://models/fraud/v3' },
      annotations: { 'model-gate.dev/version': 'v3' },
      canaryTrafficPercent: 10,
    });
  });
});
