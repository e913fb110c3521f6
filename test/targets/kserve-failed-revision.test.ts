import { describe, expect, it } from 'vitest';
import type { KServeTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { kserveTarget } from '../../src/targets/kserve-target.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { useStandins } from '../support/standin-server.js';
import { step } from './drive.js';
import { ISVC, servingV1 } from './kserve-cluster.js';

// A candidate whose KServe revision failed (RevisionFailed: no model at the storage URI) failed its
// step with KServe's words alone. Run again on the same version, model-gate only moved
// canaryTrafficPercent onto that same revision, which Knative never starts again, and failed the
// same way, still not saying what to do. The message now says KServe keeps the failed revision and
// what makes a new one. After the rollback the InferenceService stays Ready False, the stable
// revision serving all traffic (docs/targets/kserve.md). kubectl is the stand-in.

const standins = useStandins('kubectl', () => servingV1());
const config: KServeTargetConfig = {
  type: 'kserve',
  namespace: 'ml',
  storageUri: 'gs://models/{{model}}/{{version}}',
  timeoutMs: 10_000,
  settleTimeoutMs: 60_000,
  pollIntervalMs: 5_000,
};
const target = () => kserveTarget(config, 'fraud', new FakeClock());
const messageOf = (p: Promise<unknown>) =>
  p.then(
    () => '(no error)',
    (e: Error) => e.message,
  );

const FAILED =
  'KServe InferenceService fraud (namespace ml) is not ready: RevisionFailed Revision "fraud-predictor-00002" failed with message: Container failed with: model not found at the storage URI. ';
const WHAT_TO_DO =
  "KServe keeps the failed revision fraud-predictor-00002 and never starts it again while the predictor's spec stays the same: fix what it names (the model at the storage URI, say), then make KServe create a new revision, either by releasing a new version (a new storage URI) or by deleting the failed one (`kubectl delete revisions.serving.knative.dev fraud-predictor-00002 -n ml`: Knative creates it again from the same spec) before running model-gate again; see docs/targets/kserve.md";

describe('a KServe candidate whose revision failed', () => {
  it('fails its step saying what makes a new revision; run again on the same version, fails the same, saying it again', async () => {
    await standins.fault({ cli: 'kubectl', op: 'revision', kind: 'partial', times: 1 });
    const first = target();
    expect(await messageOf(reconcile(first, step('v1', 'v2', 10)))).toBe(FAILED + WHAT_TO_DO);
    await expect(reconcile(first, withdrawTraffic('v1'))).resolves.toEqual({ stable: { version: 'v1' } });
    // What docs/targets/kserve.md says a rollback leaves: Ready False, canaryTrafficPercent 0, v1 serving.
    const isvc = (await standins.state()).k8s[ISVC]['ml/fraud'];
    expect(isvc.spec.predictor.canaryTrafficPercent).toBe(0);
    expect(isvc.status.conditions.find((c: { type: string }) => c.type === 'Ready').status).toBe('False');
    expect(isvc.status.components.predictor.traffic).toEqual([
      expect.objectContaining({ revisionName: 'fraud-predictor-00001', percent: 100 }),
    ]);

    expect(await messageOf(reconcile(target(), step('v1', 'v2', 10)))).toBe(FAILED + WHAT_TO_DO);
    const patches = (await standins.calls('kubectl')).filter((c) => c.argv[0] === 'patch');
    expect(patches.at(-1)?.argv).toContain('{"spec":{"predictor":{"canaryTrafficPercent":10}}}');
  });

  it('a new version then gets a revision of its own, and its step goes ahead', async () => {
    await standins.fault({ cli: 'kubectl', op: 'revision', kind: 'partial', times: 1 });
    await messageOf(reconcile(target(), step('v1', 'v2', 10)));
    await reconcile(target(), withdrawTraffic('v1'));
    await expect(reconcile(target(), step('v1', 'v3', 10))).resolves.toEqual(step('v1', 'v3', 10));
  });
});
