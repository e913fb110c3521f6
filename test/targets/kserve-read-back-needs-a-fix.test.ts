import { describe, expect, it } from 'vitest';
import type { KServeTargetConfig, ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { confirmingTarget, UnconfirmedChange } from '../../src/release/confirmed-change.js';
import { kserveTarget } from '../../src/targets/kserve-target.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import type { Target } from '../../src/targets/target.js';
import { fraudCanaryOn } from '../support/model-config.js';
import { useStandins } from '../support/standin-server.js';
import { step } from './drive.js';
import { servingV1 } from './kserve-cluster.js';

// A rollback on KServe whose read-back kubectl refused for its credentials (a kubeconfig token that
// expired right after the change, a Role without `get`) was read again every poll-interval for the
// whole settle-timeout (10m here), then reported as an unconfirmed change. Waiting does not renew a
// token: the rollback fails after one read, saying to fix the credentials. A throttled read is still
// retried. Time runs on a FakeClock; kubectl is the stand-in.

const standins = useStandins('kubectl', servingV1);

const FORBIDDEN =
  'Error from server (Forbidden): inferenceservices.serving.kserve.io "fraud" is forbidden: User "system:serviceaccount:ci:deployer" cannot get resource "inferenceservices" in API group "serving.kserve.io" in the namespace "ml"';

/**
 * fraud on KServe at its canary's 10% step, then rolled back to v1 with every `kubectl get` after
 * the rollback's change failing with `fault`: the rollback's error, how long it took, and how many
 * reads it made.
 */
async function rollBackWhileReadsFail(fault: { kind: 'fail'; message: string } | { kind: 'throttle' }) {
  const clock = new FakeClock();
  const model: ModelConfig = fraudCanaryOn(
    '{ type: kserve, namespace: ml, storage-uri: "gs://models/{{model}}/{{version}}", settle-timeout: 10m, poll-interval: 10s }',
  ).model;
  const kserve = kserveTarget(model.target as KServeTargetConfig, 'fraud', clock);
  await reconcile(kserve, step('v1', 'v2', 10));
  const gets = async () => (await standins.calls('kubectl')).filter((c) => c.argv[0] === 'get').length;
  let before = 0;
  // The credentials give out right after the platform took the change.
  const expiring: Target = {
    ...kserve,
    write: async (desired) => {
      const readBack = await kserve.write(desired);
      await standins.fault({ cli: 'kubectl', op: 'get', times: -1, ...fault });
      before = await gets(); // the read-back's reads only
      return readBack;
    },
  };
  const began = clock.now();
  const err = await reconcile(confirmingTarget(expiring, model, clock), withdrawTraffic('v1')).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { err, tookMs: clock.now() - began, reads: (await gets()) - before };
}

describe('a rollback on KServe whose read-back kubectl refuses', () => {
  it('for its credentials: fails after one read, at once, saying to fix the credentials', async () => {
    const { err, tookMs, reads } = await rollBackWhileReadsFail({ kind: 'fail', message: FORBIDDEN });
    expect(err).not.toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toMatch(
      /^`kubectl get inferenceservices\.serving\.kserve\.io fraud -n ml -o json` failed \(exit 1\) on .*: Error from server \(Forbidden\): .* cannot get resource "inferenceservices" .*; check the credentials `kubectl` runs with in the job: expired, or without the permission$/,
    );
    expect(tookMs).toBe(0);
    expect(reads).toBe(1);
  });

  it('for rate limits: keeps reading until settle-timeout, then reports the change unconfirmed', async () => {
    const { err, tookMs, reads } = await rollBackWhileReadsFail({ kind: 'throttle' });
    expect(err).toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toContain('TooManyRequests');
    expect(tookMs).toBeGreaterThanOrEqual(10 * 60_000);
    expect(reads).toBeGreaterThan(5);
  });
});
