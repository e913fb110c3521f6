import { describe, expect, it } from 'vitest';
import type { ModelConfig, SageMakerTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { confirmingTarget, UnconfirmedChange } from '../../src/release/confirmed-change.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { sagemakerTarget } from '../../src/targets/sagemaker-target.js';
import type { Target } from '../../src/targets/target.js';
import { fraudCanaryOn } from '../support/model-config.js';
import { useStandins } from '../support/standin-server.js';
import { step } from './drive.js';
import { ENDPOINT_KEY, fraudEndpoint } from './sagemaker-canary-world.js';

// A rollback on SageMaker whose read-back found no endpoint (deleted by a teardown right after the
// change) was read again every poll-interval for the whole settle-timeout (10m here), then reported
// as an unconfirmed change. Waiting brings no endpoint back: the rollback fails after one read,
// saying to check the names in the config. A 5xx is still waited out. Time runs on a FakeClock;
// aws is the stand-in.

const standins = useStandins('aws', () => ({ sagemaker: { [ENDPOINT_KEY]: fraudEndpoint() } }));

/**
 * fraud on fraud-endpoint at its canary's 10% step, then rolled back to v1, `afterChange` done to the
 * stand-in right after the rollback's change was taken: the rollback's error, the time it took and
 * how many describe-endpoint calls its read-back made.
 */
async function rollBack(afterChange: () => Promise<void>) {
  const clock = new FakeClock();
  const model: ModelConfig = fraudCanaryOn(
    '{ type: sagemaker, endpoint: fraud-endpoint, region: us-east-1, variant: "fraud-{{version}}", settle-timeout: 10m, poll-interval: 10s }',
  ).model;
  const sagemaker = sagemakerTarget(model.target as SageMakerTargetConfig, 'fraud', clock);
  await reconcile(sagemaker, step('v1', 'v2', 10));
  const describes = async () =>
    (await standins.calls('aws')).filter((c) => c.argv[1] === 'describe-endpoint').length;
  let before = 0;
  const changed: Target = {
    ...sagemaker,
    write: async (desired) => {
      const readBack = await sagemaker.write(desired);
      await afterChange();
      before = await describes(); // the read-back's reads only
      return readBack;
    },
  };
  const began = clock.now();
  const err = await reconcile(confirmingTarget(changed, model, clock), withdrawTraffic('v1')).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { err, tookMs: clock.now() - began, reads: (await describes()) - before };
}

describe('a rollback on SageMaker whose read-back fails', () => {
  it('with the endpoint gone: fails after one read, at once, saying to check the names', async () => {
    const { err, tookMs, reads } = await rollBack(async () => {
      const state = await standins.state();
      delete state.sagemaker[ENDPOINT_KEY];
      await standins.seed(state);
    });
    expect(err).not.toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toMatch(
      /^`aws sagemaker describe-endpoint --endpoint-name fraud-endpoint .*` failed \(exit 254\) on SageMaker endpoint fraud-endpoint \(us-east-1\): An error occurred \(ValidationException\) when calling the DescribeEndpoint operation: Could not find endpoint ".*"; check the names in the target's config: the platform has no such resource$/,
    );
    expect(tookMs).toBe(0);
    expect(reads).toBe(1);
  });

  it('with an internal error on every read: keeps reading until settle-timeout, then reports the change unconfirmed', async () => {
    const { err, tookMs, reads } = await rollBack(() =>
      standins.fault({ cli: 'aws', op: 'describe-endpoint', kind: 'fail', times: -1 }),
    );
    expect(err).toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toContain('(InternalFailure)');
    expect(tookMs).toBeGreaterThanOrEqual(10 * 60_000);
    expect(reads).toBeGreaterThan(5);
  });
});
