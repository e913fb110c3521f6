import { describe, expect, it } from 'vitest';
import type { SageMakerTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { DEADLINE_GRACE_MS } from '../../src/targets/change-deadline.js';
import { TargetBusyError } from '../../src/targets/errors.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { sagemakerTarget } from '../../src/targets/sagemaker-target.js';
import { knownOf } from '../../src/targets/target.js';
import { useStandins } from '../support/standin-server.js';
import { step } from './drive.js';
import { variant } from './sagemaker-variants.js';

// settle-timeout is the most one traffic change may take, from the wait for another change holding
// the endpoint, through every rebuild and update, to the end of reconcile's read-back: a watch
// job's lease and max-wait count on it. Time runs on a FakeClock against the stand-in aws.

const KEY = 'us-east-1/fraud-endpoint';
const config: SageMakerTargetConfig = {
  type: 'sagemaker',
  endpoint: 'fraud-endpoint',
  region: 'us-east-1',
  variant: 'fraud-{{version}}',
  timeoutMs: 10_000,
  settleTimeoutMs: 60_000,
  pollIntervalMs: 5_000,
};
const DESCRIBE =
  '`aws sagemaker describe-endpoint --endpoint-name fraud-endpoint --region us-east-1 --output json`';

const standins = useStandins('aws');

/** fraud-endpoint serving v1, with v2's variant at weight 0; `status` as describe-endpoint says. */
const endpoint = (status: string, more: object = {}) => ({
  EndpointName: 'fraud-endpoint',
  EndpointArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/fraud-endpoint',
  EndpointConfigName: 'fraud-config-3',
  EndpointStatus: status,
  ProductionVariants: [variant('fraud-v1', 1), variant('fraud-v2', 0)],
  CreationTime: '2026-01-01T00:00:00Z',
  LastModifiedTime: '2026-01-01T00:00:00Z',
  ...more,
});
const weightCalls = async () =>
  (await standins.calls('aws')).filter((c) => c.argv[1] === 'update-endpoint-weights-and-capacities');

describe('sagemaker target: one settle-timeout for a whole traffic change', () => {
  it('gives up 1m after the change began when it waited out another change and busy refusals, then its own update never settles', async () => {
    // Another change holds the endpoint for 15 s (three looks); then the weights call is refused
    // as in progress twice; the third is taken, and SageMaker never finishes it.
    await standins.seed({
      sagemaker: { [KEY]: endpoint('Updating', { _pendingGets: 3 }) },
      settleGets: 1_000,
    });
    const op = 'update-endpoint-weights-and-capacities';
    await standins.fault({ cli: 'aws', op, kind: 'busy', times: 2 });
    const clock = new FakeClock();
    const t0 = clock.now();
    const err = await reconcile(sagemakerTarget(config, 'fraud', clock), step('v1', 'v2', 10)).catch(
      (e: unknown) => e,
    );
    // The weights call at 15 s, 20 s and 25 s; then a look every 5 s to the change's deadline,
    // not a settle-timeout after the update.
    expect(await weightCalls()).toHaveLength(3);
    expect(clock.now() - t0).toBe(60_000);
    expect(err).toBeInstanceOf(TargetBusyError);
    expect((err as Error).message).toBe(
      "SageMaker endpoint fraud-endpoint (us-east-1) did not settle within 1m: it is still Updating; try again later, or raise the target's settle-timeout (1m, for the whole traffic change) if the endpoint's updates just take longer",
    );
  });

  it('gives up on an endpoint that refuses every update as in progress when the change’s time is up, naming settle-timeout', async () => {
    await standins.seed({ sagemaker: { [KEY]: endpoint('InService') } });
    const op = 'update-endpoint-weights-and-capacities';
    await standins.fault({ cli: 'aws', op, kind: 'busy', times: -1 });
    const clock = new FakeClock();
    const t0 = clock.now();
    const err = await reconcile(sagemakerTarget(config, 'fraud', clock), step('v1', 'v2', 10)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TargetBusyError);
    expect((err as Error).message).toMatch(
      /^SageMaker endpoint fraud-endpoint \(us-east-1\) is busy with another change \(.*Cannot update in-progress endpoint.*\); nothing was changed, try again later, or raise the target's settle-timeout \(1m, for the whole traffic change\) if the endpoint's updates just take longer$/,
    );
    // Rebuilt and sent every 5 s from 0 to 60 s.
    expect(await weightCalls()).toHaveLength(13);
    expect(clock.now() - t0).toBe(60_000);
  });

  it('reads back within the change’s time: a describe with no answer is stopped when it is up, naming settle-timeout', async () => {
    await standins.seed({ sagemaker: { [KEY]: endpoint('InService') } });
    const clock = new FakeClock();
    const t0 = clock.now();
    const target = sagemakerTarget(config, 'fraud', clock);
    const asked = step('v1', 'v2', 10);
    const readBack = await target.write(asked);
    if (!readBack) throw new Error('the write returned no read-back');
    // reconcile reads back at once; here the change has used its settle-timeout and all of the
    // grace but 300 ms first, and the endpoint gives no answer.
    clock.advance(t0 + config.settleTimeoutMs + DEADLINE_GRACE_MS - 300 - clock.now());
    await standins.fault({ cli: 'aws', op: 'describe-endpoint', kind: 'timeout', times: 1 });
    await expect(readBack(knownOf(asked))).rejects.toThrow(
      `${DESCRIBE} did not finish within 300ms, the time left of the traffic change's settle-timeout (1m); it was stopped (raise the target's settle-timeout if the platform is just slow)`,
    );
    clock.advance(300);
    await expect(readBack(knownOf(asked))).rejects.toThrow(
      `${DESCRIBE} was not made: the traffic change's settle-timeout (1m) had run out; raise the target's settle-timeout if the platform is just slow`,
    );
    // A read on its own belongs to no change: it has its timeout.
    await expect(target.read(knownOf(asked))).resolves.toEqual(asked);
  });
});
