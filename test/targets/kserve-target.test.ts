import { describe, expect, it } from 'vitest';
import type { KServeTargetConfig } from '../../src/config/types.js';
import { TargetError } from '../../src/core/errors.js';
import { TargetBusyError } from '../../src/targets/errors.js';
import { kserveTarget } from '../../src/targets/kserve-target.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { useStandins } from '../support/standin-server.js';
import { FAST, failingCanary, passingBlueGreen, passingCanary, step } from './drive.js';
import { ISVC, servingV1 } from './kserve-cluster.js';

const config: KServeTargetConfig = {
  type: 'kserve',
  namespace: 'ml',
  storageUri: 'gs://models/{{model}}/{{version}}',
  ...FAST,
};

const standins = useStandins('kubectl', servingV1);

const predictor = async () => {
  const isvc = (await standins.state()).k8s[ISVC]['ml/fraud'];
  return { spec: isvc.spec.predictor, status: isvc.status.components.predictor };
};

describe('kserve target on a stand-in kubectl', () => {
  it('drives a passing canary with canaryTrafficPercent and promotes the new revision', async () => {
    const seen = await passingCanary(kserveTarget(config, 'fraud'), 'v1', 'v2');
    expect(seen).toEqual([
      step('v1', 'v2', 10),
      step('v1', 'v2', 50),
      step('v1', 'v2', 0),
      { stable: { version: 'v2' } },
    ]);
    const { spec, status } = await predictor();
    expect(spec.model.storageUri).toBe('gs://models/fraud/v2');
    expect(spec.canaryTrafficPercent).toBeUndefined();
    expect(status.latestRolledoutRevision).toBe('fraud-predictor-00002');
    expect(status.traffic).toEqual([
      { tag: 'latest', revisionName: 'fraud-predictor-00002', percent: 100, latestRevision: true },
    ]);
    const patches = (await standins.calls('kubectl'))
      .filter((c) => c.argv[0] === 'patch')
      .map((c) => JSON.parse(c.argv.at(-1) ?? ''));
    expect(patches[0]).toEqual({
      spec: {
        predictor: {
          canaryTrafficPercent: 10,
          model: { storageUri: 'gs://models/fraud/v2' },
          annotations: { 'model-gate.dev/version': 'v2' },
        },
      },
    });
    expect(patches.slice(1)).toEqual([
      { spec: { predictor: { canaryTrafficPercent: 50 } } },
      { spec: { predictor: { canaryTrafficPercent: 0 } } },
      { spec: { predictor: { canaryTrafficPercent: null } } },
    ]);
  });

  it('drives a passing blue-green: green idle, all traffic on green, idle until the merge, promoted', async () => {
    const seen = await passingBlueGreen(kserveTarget(config, 'fraud'), 'v1', 'v2');
    // KServe keeps blue as an earlier revision, not as a deployment beside green: a rollback redeploys it.
    expect(seen).toEqual([
      step('v1', 'v2', 0),
      step('v1', 'v2', 100),
      step('v1', 'v2', 0),
      { stable: { version: 'v2' } },
    ]);
    const { spec, status } = await predictor();
    expect(spec.model.storageUri).toBe('gs://models/fraud/v2');
    expect(spec.canaryTrafficPercent).toBeUndefined();
    expect(status.latestRolledoutRevision).toBe('fraud-predictor-00002');
  });

  it('rolls a failing canary back: all traffic pinned to the last rolled-out revision', async () => {
    // KServe reports each change in progress for one more read.
    await standins.seed({ ...servingV1(), settleGets: 1 });
    const target = kserveTarget(config, 'fraud');
    await failingCanary(target, 'v1', 'v2');
    const { status } = await predictor();
    expect(status.traffic).toEqual([
      { tag: 'latest', revisionName: 'fraud-predictor-00002', percent: 0, latestRevision: true },
      { tag: 'prev', revisionName: 'fraud-predictor-00001', percent: 100, latestRevision: false },
    ]);
    // The next candidate is split against v1 again.
    await expect(reconcile(target, step('v1', 'v3', 10))).resolves.toEqual(step('v1', 'v3', 10));
  });

  it('catches a patch that was silently undone (e.g. by a GitOps controller)', async () => {
    await standins.fault({ cli: 'kubectl', op: `patch ${ISVC}`, kind: 'silent-revert', times: 1 });
    await expect(reconcile(kserveTarget(config, 'fraud'), step('v1', 'v2', 10))).rejects.toThrow(
      new TargetError(
        'KServe InferenceService fraud (namespace ml) serves v1 100% after being asked for v1 90% / v2 10%',
      ),
    );
  });

  it('reports a candidate revision that never became ready, and still rolls back', async () => {
    await standins.fault({ cli: 'kubectl', op: 'revision', kind: 'partial', times: 1 });
    const target = kserveTarget(config, 'fraud');
    await expect(reconcile(target, step('v1', 'v2', 10))).rejects.toThrow(
      /KServe InferenceService fraud \(namespace ml\) is not ready: RevisionFailed Revision "fraud-predictor-00002" failed/,
    );
    await expect(reconcile(target, { stable: { version: 'v1' } })).resolves.toEqual({
      stable: { version: 'v1' },
    });
  });

  it('waits for a rollout in progress, then gives up with a busy error', async () => {
    await standins.fault({ cli: 'kubectl', op: `get ${ISVC}`, kind: 'busy', times: 2 });
    await expect(reconcile(kserveTarget(config, 'fraud'), step('v1', 'v2', 10))).resolves.toEqual(
      step('v1', 'v2', 10),
    );
    await standins.fault({ cli: 'kubectl', op: `get ${ISVC}`, kind: 'busy', times: -1 });
    const impatient = kserveTarget({ ...config, settleTimeoutMs: 60, pollIntervalMs: 20 }, 'fraud');
    const err = await reconcile(impatient, step('v1', 'v2', 50)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetBusyError);
    expect((err as Error).message).toContain(
      'it is still rolling out (Configuration "fraud-predictor" is waiting for a Revision to become ready.)',
    );
    expect(
      (await standins.calls('kubectl')).filter((c) => c.argv[0] === 'patch' && c.argv.at(-1)?.includes('50')),
    ).toEqual([]);
  });

  // Standard is KServe's current name for RawDeployment; either, KServe ignores canaryTrafficPercent.
  it.each(['RawDeployment', 'Standard'])(
    'refuses %s mode, where canaryTrafficPercent is ignored',
    async (mode) => {
      await standins.seed(servingV1({ 'serving.kserve.io/deploymentMode': mode }));
      const target = kserveTarget(config, 'fraud');
      await expect(reconcile(target, step('v1', 'v2', 10))).rejects.toThrow(
        `KServe InferenceService fraud (namespace ml) runs in ${mode} mode, where KServe ignores canaryTrafficPercent: model-gate cannot split its traffic. Use Knative mode (annotation serving.kserve.io/deploymentMode: Knative, Serverless in older KServe releases) or another target type`,
      );
      expect((await standins.calls('kubectl')).some((c) => c.argv[0] === 'patch')).toBe(false);
    },
  );

  it('retries throttled API calls and passes --context through', async () => {
    await standins.fault({ cli: 'kubectl', op: `get ${ISVC}`, kind: 'throttle', times: 2 });
    const target = kserveTarget({ ...config, context: 'prod-cluster' }, 'fraud');
    await expect(target.read()).resolves.toEqual({ stable: { version: 'v1' } });
    const calls = await standins.calls('kubectl');
    expect(calls.every((c) => c.argv.includes('--context') && c.argv.includes('prod-cluster'))).toBe(true);
  });
});

describe("kserve target: status.observedGeneration is the Knative Service's", () => {
  // KServe copies it from the Knative Service (PropagateStatus), whose generations are not the
  // InferenceService's; the stand-in does the same.
  it('drives a canary on an InferenceService whose Knative Service has had more generations', async () => {
    const seeded = servingV1();
    Object.assign(seeded.k8s[ISVC]['ml/fraud'].metadata, { generation: 3 });
    Object.assign(seeded.k8s[ISVC]['ml/fraud'].status, { observedGeneration: 7 });
    await standins.seed(seeded);
    await expect(passingCanary(kserveTarget(config, 'fraud'), 'v1', 'v2')).resolves.toEqual([
      step('v1', 'v2', 10),
      step('v1', 'v2', 50),
      step('v1', 'v2', 0),
      { stable: { version: 'v2' } },
    ]);
  });

  it('waits for the revision of the version asked for, not the previous one still Ready', async () => {
    const target = kserveTarget(config, 'fraud');
    await passingCanary(target, 'v1', 'v2');
    // v2 rolled out alone; KServe takes two reads to act on each change.
    await standins.seed({ ...(await standins.state()), settleGets: 2 });
    await expect(reconcile(target, withdrawTraffic('v1'))).resolves.toEqual({ stable: { version: 'v1' } });
    expect((await predictor()).spec.model.storageUri).toBe('gs://models/fraud/v1');
  });

  it('says which revision it waits for when KServe never acts on the change', async () => {
    await standins.seed({ ...servingV1(), settleGets: 1_000 });
    const impatient = kserveTarget({ ...config, settleTimeoutMs: 200, pollIntervalMs: 20 }, 'fraud');
    await expect(reconcile(impatient, step('v1', 'v2', 10))).rejects.toThrow(
      new TargetBusyError(
        'KServe InferenceService fraud (namespace ml) did not settle within 200ms: it is still rolling out (its latest revision fraud-predictor-00001 does not serve v2 yet; see `kubectl get inferenceservices.serving.kserve.io fraud -n ml -o yaml`); try again later',
      ),
    );
  });
});
