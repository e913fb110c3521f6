import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { sagemakerTarget } from '../../src/targets/sagemaker-target.js';
import type { StandinFault } from '../support/standin-cli.js';
import { useStandins } from '../support/standin-server.js';
import { step } from './drive.js';
import { canaryOnSageMaker, ENDPOINT_KEY, endpointWeights, fraudEndpoint } from './sagemaker-canary-world.js';
import { FRAUD_ENDPOINT_CONFIG, variant } from './sagemaker-variants.js';

// When SageMaker cannot make a weights change (an instance it cannot get, say), it rolls it back
// itself: the endpoint goes Updating, then RollingBack, then InService on its previous weights with
// a FailureReason (API_DescribeEndpoint.html). model-gate used to wait that out and report only that
// the endpoint "serves v1 100% after being asked for v1 90% / v2 10%": not that SageMaker undid the
// change, nor why.

const REASON =
  'Failed to scale up the production variant fraud-v2: insufficient capacity for ml.m5.large in us-east-1.';

const standins = useStandins('aws', () => ({ sagemaker: { [ENDPOINT_KEY]: fraudEndpoint() } }));

/** SageMaker rolling back the next weights update, RollingBack for `gets` describe calls. */
const rolledBack = (gets: number): StandinFault => ({
  cli: 'aws',
  op: 'update-endpoint-weights-and-capacities',
  kind: 'rolled-back',
  times: 1,
  message: REASON,
  gets,
});

const endpoint = async () => (await standins.state()).sagemaker[ENDPOINT_KEY];
const weights = () => endpointWeights(standins);
/** Each describe-endpoint call's status is not recorded: the operations, in order. */
const operations = async () => (await standins.calls('aws')).map((c) => c.argv[1]);

const config = FRAUD_ENDPOINT_CONFIG;
const target = () => sagemakerTarget(config, 'fraud', new FakeClock());

describe('a traffic step SageMaker rolls back', () => {
  // 0: the rollback done between two reads, which never see the endpoint RollingBack.
  it.each([3, 0])(
    'fails saying SageMaker rolled the weights back and why (RollingBack for %i reads)',
    async (gets) => {
      await standins.fault(rolledBack(gets));
      const err = await reconcile(target(), step('v1', 'v2', 10)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TargetError);
      expect((err as Error).message).toBe(
        'SageMaker endpoint fraud-endpoint (us-east-1) did not take v1 90% / v2 10%: SageMaker rolled the weights back, giving as its reason "Failed to scale up the production variant fraud-v2: insufficient capacity for ml.m5.large in us-east-1", and it serves v1 100% as before, so v2 gets no new traffic. Fix what that reason names, then run model-gate again',
      );
      // The weights it had before (fraud-v1's 1 is all the traffic), not the 90 / 10 asked for.
      expect(await weights()).toEqual(['InService', 'fraud-v1 1 1', 'fraud-v2 0 0']);
    },
  );

  it('is reported so by the release, which ends with v1 alone serving', async () => {
    // Rolled back between two reads: the release's world runs on the real clock with a 300ms
    // settle-timeout, which reads RollingBack (one aws process each) could outlast on a busy machine.
    await standins.fault(rolledBack(0));
    const w = await canaryOnSageMaker();
    const release = await w.run();
    expect(release.status).toBe('failed');
    expect(release.reason).toContain(
      'SageMaker rolled the weights back, giving as its reason "Failed to scale up the production variant fraud-v2: insufficient capacity for ml.m5.large in us-east-1"',
    );
    // The step is recorded as not taken, with SageMaker's reason, not as one that ran.
    expect(release.phases.map((p) => [p.weight, p.outcome])).toEqual([[10, 'failed']]);
    expect(release.phases[0]?.note).toMatch(
      /^the switch to 10% of live traffic failed: .* SageMaker rolled the weights back, giving as its reason "Failed to scale up/,
    );
    expect(release.ending?.platformFailed).toBe(true);
    expect(release.withdrawPending).toBeFalsy();
    expect(await weights()).toEqual(['InService', 'fraud-v1 100 100', 'fraud-v2 0 0']);
    expect((await endpoint()).FailureReason).toBe(REASON);
  });
});

describe("model-gate's rollback on an endpoint SageMaker is rolling back", () => {
  it('waits for InService, then withdraws the candidate', async () => {
    // A 50% step SageMaker is taking back to the 10% before it: RollingBack for 3 more reads.
    await standins.seed({
      sagemaker: {
        [ENDPOINT_KEY]: fraudEndpoint({
          EndpointStatus: 'RollingBack',
          ProductionVariants: [variant('fraud-v1', 90), variant('fraud-v2', 10)],
          _pendingGets: 3,
          _failureReason: REASON,
        }),
      },
    });
    await expect(reconcile(target(), withdrawTraffic('v1'))).resolves.toEqual({ stable: { version: 'v1' } });
    expect(await weights()).toEqual(['InService', 'fraud-v1 100 100', 'fraud-v2 0 0']);
    // Three reads RollingBack and one InService before the update: none refused as in progress.
    const ops = await operations();
    expect(ops.slice(0, 5)).toEqual([
      'describe-endpoint',
      'describe-endpoint',
      'describe-endpoint',
      'describe-endpoint',
      'update-endpoint-weights-and-capacities',
    ]);
  });
});

describe('a traffic step on an endpoint SageMaker holds for itself', () => {
  // SystemUpdating: maintenance; Creating: CreateEndpoint still running. Neither takes an update.
  it.each(['SystemUpdating', 'Creating'])('waits while it is %s, then takes the step', async (status) => {
    await standins.seed({
      sagemaker: { [ENDPOINT_KEY]: fraudEndpoint({ EndpointStatus: status, _pendingGets: 2 }) },
    });
    await expect(reconcile(target(), step('v1', 'v2', 10))).resolves.toEqual(step('v1', 'v2', 10));
    expect(await weights()).toEqual(['InService', 'fraud-v1 90 90', 'fraud-v2 10 10']);
    expect((await operations()).slice(0, 4)).toEqual([
      'describe-endpoint',
      'describe-endpoint',
      'describe-endpoint',
      'update-endpoint-weights-and-capacities',
    ]);
  });
});
