import { describe, expect, it } from 'vitest';
import type { KServeTargetConfig } from '../../src/config/types.js';
import { TargetBusyError } from '../../src/targets/errors.js';
import { kserveTarget } from '../../src/targets/kserve-target.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import type { PlatformState } from '../support/standin-cli.js';
import { useStandins } from '../support/standin-server.js';
import { FAST, step } from './drive.js';
import { ISVC, REV, servingV1 } from './kserve-cluster.js';

// A candidate whose revision never gets Ready (a slow model download, a bad image) must not hold
// up its own withdrawal: the rollback has to reach the spec before the revision is Ready, or the
// candidate's percentage stays there and takes live traffic the moment it is.

const config: KServeTargetConfig = {
  type: 'kserve',
  namespace: 'ml',
  storageUri: 'gs://models/{{model}}/{{version}}',
  ...FAST,
};
/** For the changes that cannot settle here: gives up sooner. */
const impatient = { ...config, settleTimeoutMs: 200, pollIntervalMs: 20 };

const standins = useStandins('kubectl', () => servingV1());

const spec = async () => (await standins.state()).k8s[ISVC]['ml/fraud'].spec.predictor;
const patches = async () =>
  (await standins.calls('kubectl'))
    .filter((c) => c.argv[0] === 'patch')
    .map((c) => JSON.parse(c.argv.at(-1) ?? '').spec.predictor);

/** KServe finally acts on the spec (the revision got Ready), then on every change at once. */
async function rolloutCompletes() {
  const state = await standins.state();
  state.k8s[ISVC]['ml/fraud']._sim.pendingGets = 0;
  await standins.seed({ ...state, settleGets: 0 });
}

/**
 * v2 asked for at 10%, as KServe reports it while v2's revision (00002) is still deploying:
 * Knative routes the `latest` target to the latest Ready revision, 00001, meanwhile.
 */
function deploying(): PlatformState {
  const state = servingV1();
  const isvc = state.k8s[ISVC]['ml/fraud'];
  const model = { modelFormat: { name: 'sklearn' }, storageUri: 'gs://models/fraud/v2' };
  const annotations = { 'model-gate.dev/version': 'v2' };
  const waiting = 'Configuration "fraud-predictor" is waiting for a Revision to become ready.';
  Object.assign(isvc, {
    metadata: { ...isvc.metadata, generation: 2 },
    spec: { predictor: { canaryTrafficPercent: 10, model, annotations } },
    _sim: { revisions: 2, reconciled: 2 },
  });
  Object.assign(isvc.status, {
    observedGeneration: 2,
    conditions: [
      { type: 'PredictorReady', status: 'Unknown', reason: 'RevisionMissing', message: waiting },
      { type: 'Ready', status: 'Unknown', reason: 'RevisionMissing', message: waiting },
    ],
  });
  Object.assign(isvc.status.components.predictor, {
    latestCreatedRevision: 'fraud-predictor-00002',
    traffic: [
      { tag: 'latest', revisionName: 'fraud-predictor-00001', percent: 10, latestRevision: true },
      { tag: 'prev', revisionName: 'fraud-predictor-00001', percent: 90, latestRevision: false },
    ],
  });
  state.k8s[REV]['ml/fraud-predictor-00002'] = {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Revision',
    metadata: {
      name: 'fraud-predictor-00002',
      namespace: 'ml',
      annotations: {
        ...annotations,
        'internal.serving.kserve.io/storage-initializer-sourceuri': model.storageUri,
      },
    },
    status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'Deploying' }] },
    _template: JSON.stringify({ model, annotations }),
  };
  return state;
}

/** Revision 00002 gets Ready; KServe reconciles the InferenceService again on that. */
async function revisionGetsReady() {
  const state = await standins.state();
  const isvc = state.k8s[ISVC]['ml/fraud'];
  state.k8s[REV]['ml/fraud-predictor-00002'].status.conditions[0] = { type: 'Ready', status: 'True' };
  isvc.status.components.predictor.latestReadyRevision = 'fraud-predictor-00002';
  isvc._sim.reconciled = 0;
  await standins.seed(state);
}

describe('kserve target: a withdrawal while the candidate is still rolling out', () => {
  it("pins v1 while v2's revision is still deploying, and v2 takes nothing once it is Ready", async () => {
    await standins.seed(deploying());
    const target = kserveTarget(config, 'fraud');
    await expect(reconcile(target, withdrawTraffic('v1'))).resolves.toEqual({ stable: { version: 'v1' } });
    expect(await patches()).toEqual([{ canaryTrafficPercent: 0 }]);

    await revisionGetsReady();
    await expect(target.read()).resolves.toEqual(step('v1', 'v2', 0));
  });

  it('pins all traffic to the stable revision at once, so the candidate never takes any', async () => {
    // The candidate's rollout does not finish within any settle-timeout.
    await standins.seed({ ...servingV1(), settleGets: 100_000 });
    const target = kserveTarget(config, 'fraud');
    await expect(reconcile(kserveTarget(impatient, 'fraud'), step('v1', 'v2', 10))).rejects.toThrow(
      TargetBusyError,
    );

    await expect(reconcile(target, withdrawTraffic('v1'))).resolves.toEqual({ stable: { version: 'v1' } });
    // canaryTrafficPercent 0, not null: with the spec on v2, null would promote v2 once it is Ready.
    expect(await patches()).toEqual([
      {
        canaryTrafficPercent: 10,
        model: { storageUri: 'gs://models/fraud/v2' },
        annotations: { 'model-gate.dev/version': 'v2' },
      },
      { canaryTrafficPercent: 0 },
    ]);

    // Once the revision is Ready, v2 takes none of the live traffic.
    await rolloutCompletes();
    await expect(target.read()).resolves.toEqual(step('v1', 'v2', 0));
    const status = (await standins.state()).k8s[ISVC]['ml/fraud'].status.components.predictor;
    expect(status.traffic).toEqual([
      { tag: 'latest', revisionName: 'fraud-predictor-00002', percent: 0, latestRevision: true },
      { tag: 'prev', revisionName: 'fraud-predictor-00001', percent: 100, latestRevision: false },
    ]);
  });

  it('rolls back to an earlier version not rolled out without waiting for the candidate', async () => {
    await standins.seed({ ...servingV1(), settleGets: 100_000 });
    const target = kserveTarget(config, 'fraud');
    await expect(reconcile(kserveTarget(impatient, 'fraud'), step('v1', 'v2', 10))).rejects.toThrow(
      TargetBusyError,
    );

    // A workflow_dispatch rollback to v0: the spec goes to v0 at once, at 0% until its revision is
    // Ready (were v2's revision Ready first, it would take the share of KServe's `latest` target),
    // all traffic pinned to v1. KServe has not acted by the deadline, so the change is not done yet.
    const rollback = await reconcile(kserveTarget(impatient, 'fraud'), withdrawTraffic('v0')).catch(
      (e: unknown) => e,
    );
    expect(rollback).toBeInstanceOf(TargetBusyError);
    expect(await spec()).toEqual({
      canaryTrafficPercent: 0,
      model: { modelFormat: { name: 'sklearn' }, storageUri: 'gs://models/fraud/v0' },
      annotations: { 'model-gate.dev/version': 'v0' },
    });
    // When KServe acts on it, the rollback run again gives v0's revision all traffic, v2 none.
    await rolloutCompletes();
    await expect(reconcile(target, withdrawTraffic('v0'))).resolves.toEqual({ stable: { version: 'v0' } });
  });
});
