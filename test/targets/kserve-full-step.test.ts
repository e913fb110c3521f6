import { describe, expect, it } from 'vitest';
import type { KServeTargetConfig } from '../../src/config/types.js';
import { kserveTarget } from '../../src/targets/kserve-target.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import type { PlatformState } from '../support/standin-cli.js';
import { useStandins } from '../support/standin-server.js';
import { FAST, passingCanary, step } from './drive.js';

// At canaryTrafficPercent 100 KServe routes the latest revision alone, with no `prev` entry
// (ksvc_reconciler.go), and records it as latestRolledoutRevision, the revision before as
// previousRolledoutRevision (inference_service_status.go PropagateStatus). A blue-green bake or
// any 100% step must still read back as the candidate at 100% over the stable version, and a
// percentage below 100 afterwards goes back to that stable revision.

const ISVC = 'inferenceservices.serving.kserve.io';
const REV = 'revisions.serving.knative.dev';
const config: KServeTargetConfig = {
  type: 'kserve',
  namespace: 'ml',
  storageUri: 'gs://models/{{model}}/{{version}}',
  ...FAST,
};
const v1 = 'fraud-predictor-00001';
const v2 = 'fraud-predictor-00002';

/**
 * A Serverless InferenceService on v1 (revision 00001), as KServe reports it: with v2 deployed
 * beside it at 0% (revision 00002), unless `candidate` is false.
 */
function cluster(candidate = true): PlatformState {
  const revision = (name: string, version: string) => ({
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Revision',
    metadata: {
      name,
      namespace: 'ml',
      annotations: {
        'model-gate.dev/version': version,
        'internal.serving.kserve.io/storage-initializer-sourceuri': `gs://models/fraud/${version}`,
      },
    },
    _template: JSON.stringify({
      model: { modelFormat: { name: 'sklearn' }, storageUri: `gs://models/fraud/${version}` },
      annotations: { 'model-gate.dev/version': version },
    }),
  });
  const latest = candidate ? 'v2' : 'v1';
  return {
    k8s: {
      [ISVC]: {
        'ml/fraud': {
          apiVersion: 'serving.kserve.io/v1beta1',
          kind: 'InferenceService',
          metadata: { name: 'fraud', namespace: 'ml', generation: 1 },
          spec: {
            predictor: {
              ...(candidate ? { canaryTrafficPercent: 0 } : {}),
              model: { modelFormat: { name: 'sklearn' }, storageUri: `gs://models/fraud/${latest}` },
              annotations: { 'model-gate.dev/version': latest },
            },
          },
          status: {
            observedGeneration: 1,
            conditions: [
              { type: 'PredictorReady', status: 'True' },
              { type: 'Ready', status: 'True' },
            ],
            components: {
              predictor: {
                latestCreatedRevision: candidate ? v2 : v1,
                latestReadyRevision: candidate ? v2 : v1,
                latestRolledoutRevision: v1,
                traffic: candidate
                  ? [
                      { revisionName: v2, percent: 0, latestRevision: true },
                      { tag: 'prev', revisionName: v1, percent: 100, latestRevision: false },
                    ]
                  : [{ revisionName: v1, percent: 100, latestRevision: true }],
              },
            },
          },
          _sim: { revisions: candidate ? 2 : 1 },
        },
      },
      [REV]: {
        [`ml/${v1}`]: revision(v1, 'v1'),
        ...(candidate ? { [`ml/${v2}`]: revision(v2, 'v2') } : {}),
      },
    },
  };
}

const predictor = async () => (await standins.state()).k8s[ISVC]['ml/fraud'].status.components.predictor;
const patches = async () =>
  (await standins.calls('kubectl'))
    .filter((c) => c.argv[0] === 'patch')
    .map((c) => JSON.parse(c.argv.at(-1) ?? '').spec.predictor);

const standins = useStandins('kubectl', cluster);

describe('kserve target at a 100% step, as KServe reports it', () => {
  it("reads a blue-green bake back as green at 100% over blue, and again on a later tick's write", async () => {
    const target = kserveTarget(config, 'fraud');
    await expect(reconcile(target, step('v1', 'v2', 100))).resolves.toEqual(step('v1', 'v2', 100));
    expect(await predictor()).toMatchObject({
      latestRolledoutRevision: v2,
      previousRolledoutRevision: v1,
      traffic: [{ revisionName: v2, percent: 100, latestRevision: true }],
    });
    await expect(target.read()).resolves.toEqual(step('v1', 'v2', 100));
    await expect(reconcile(target, step('v1', 'v2', 100))).resolves.toEqual(step('v1', 'v2', 100));
    expect(await patches()).toEqual([{ canaryTrafficPercent: 100 }, { canaryTrafficPercent: 100 }]);
  });

  it("rolls a failed bake back to blue's revision, waiting while KServe moves it back", async () => {
    // Each change shows in progress for one read; moving back to blue takes KServe another pass.
    await standins.seed({ ...cluster(), settleGets: 1 });
    const target = kserveTarget(config, 'fraud');
    await reconcile(target, step('v1', 'v2', 100));
    await expect(reconcile(target, withdrawTraffic('v1'))).resolves.toEqual(step('v1', 'v2', 0));
    // No new revision: KServe split 0% of green against blue again.
    expect(await predictor()).toMatchObject({
      latestCreatedRevision: v2,
      latestRolledoutRevision: v1,
      traffic: [
        { revisionName: v2, percent: 0, latestRevision: true },
        { revisionName: v1, percent: 100, latestRevision: false },
      ],
    });
    expect((await patches()).at(-1)).toEqual({ canaryTrafficPercent: 0 });
  });

  it('drives a canary with a 100% step through to the promotion', async () => {
    await standins.seed(cluster(false));
    const seen = await passingCanary(kserveTarget(config, 'fraud'), 'v1', 'v2', [10, 100]);
    expect(seen).toEqual([
      step('v1', 'v2', 10),
      step('v1', 'v2', 100),
      step('v1', 'v2', 0),
      { stable: { version: 'v2' } },
    ]);
    expect(await predictor()).toMatchObject({
      latestCreatedRevision: v2,
      latestRolledoutRevision: v2,
      traffic: [{ revisionName: v2, percent: 100, latestRevision: true }],
    });
  });
});
