import { describe, expect, it } from 'vitest';
import type { SageMakerTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import { TargetAccessError, TargetThrottledError } from '../../src/targets/errors.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { sagemakerTarget } from '../../src/targets/sagemaker-target.js';
import { useStandins } from '../support/standin-server.js';
import { platformError } from '../support/standins/platform-error.js';
import { passingCanary, step } from './drive.js';
import { endpointWeights, fraudEndpointState } from './sagemaker-canary-world.js';
import { FRAUD_ENDPOINT_CONFIG } from './sagemaker-variants.js';

// One 500 or 503 from SageMaker, a request out of time, or botocore finding nobody to answer (once
// the AWS CLI's own retries are spent) on a weights update failed the step at once, and the release
// was rolled back over it. The weights are absolute, and a repeat that lands on the update under way
// is refused as in progress (busy: the change is built again once it is done), so it is repeated
// after a pause, as a throttled one is, until the change's settle-timeout; only an outage that
// lasts that long fails the step, saying what to do. aws is the stand-in; time runs on a FakeClock.

const standins = useStandins('aws', fraudEndpointState);

const config: SageMakerTargetConfig = {
  ...FRAUD_ENDPOINT_CONFIG,
  timeoutMs: 10_000,
  settleTimeoutMs: 600_000,
  pollIntervalMs: 10_000,
};

const OUTAGE_ADVICE =
  "; SageMaker's API did not answer (an outage, or the runner's network to AWS): check the AWS Health Dashboard (https://health.aws.amazon.com) and the runner's network, then try again";

const WEIGHTS = 'update-endpoint-weights-and-capacities';

/** The `--desired-weights-and-capacities` of each weights update sent, as `variant=weight` pairs. */
const weightUpdates = async () =>
  (await standins.calls('aws'))
    .filter((c) => c.argv[1] === WEIGHTS)
    .map(({ argv }) =>
      (
        JSON.parse(argv[argv.indexOf('--desired-weights-and-capacities') + 1] as string) as {
          VariantName: string;
          DesiredWeight: number;
        }[]
      )
        .map((w) => `${w.VariantName}=${w.DesiredWeight}`)
        .join(' '),
    );

describe('a SageMaker weights update that meets a passing failure', () => {
  it.each([
    ['(ServiceUnavailable)', platformError('aws', WEIGHTS, 'ServiceUnavailable', 'Service Unavailable', 1)],
    ['(InternalFailure)', platformError('aws', WEIGHTS, 'InternalFailure', 'An internal error occurred.', 1)],
    ['(RequestTimeout)', platformError('aws', WEIGHTS, 'RequestTimeout', 'Request timed out.', 1)],
    [
      '(RequestTimeoutException)',
      platformError('aws', WEIGHTS, 'RequestTimeoutException', 'Request timed out.', 1),
    ],
    [
      'no connection',
      {
        cli: 'aws' as const,
        op: WEIGHTS,
        kind: 'fail' as const,
        times: 1,
        stderr: 'Could not connect to the endpoint URL: "https://api.sagemaker.us-east-1.amazonaws.com/"',
      },
    ],
    [
      'a read timeout',
      {
        cli: 'aws' as const,
        op: WEIGHTS,
        kind: 'fail' as const,
        times: 1,
        stderr: 'Read timeout on endpoint URL: "https://api.sagemaker.us-east-1.amazonaws.com/"',
      },
    ],
    [
      'a connection closed',
      {
        cli: 'aws' as const,
        op: WEIGHTS,
        kind: 'fail' as const,
        times: 1,
        stderr:
          'Connection was closed before we received a valid response from endpoint URL: "https://api.sagemaker.us-east-1.amazonaws.com/".',
      },
    ],
  ])('is tried again after a pause on %s, and the canary goes on through its steps', async (_, fault) => {
    await standins.fault(fault);
    const clock = new FakeClock();
    const started = clock.now();

    const seen = await passingCanary(sagemakerTarget(config, 'fraud', clock), 'v1', 'v2');

    expect(seen.map((s) => s.canary?.weight ?? s.stable.version)).toEqual([10, 50, 0, 'v2']);
    expect(await weightUpdates()).toEqual([
      'fraud-v1=90 fraud-v2=10',
      'fraud-v1=90 fraud-v2=10',
      'fraud-v1=50 fraud-v2=50',
      'fraud-v1=100 fraud-v2=0',
      'fraud-v1=0 fraud-v2=100',
    ]);
    expect(clock.now() - started).toBe(10_000);
    expect(await endpointWeights(standins)).toEqual(['InService', 'fraud-v1 0 0', 'fraud-v2 100 100']);
  });

  it('fails the step at its settle-timeout when SageMaker stays unavailable, saying how often it was tried and what to do', async () => {
    await standins.fault(platformError('aws', WEIGHTS, 'ServiceUnavailable', 'Service Unavailable'));
    const clock = new FakeClock();
    const started = clock.now();
    const err = await reconcile(sagemakerTarget(config, 'fraud', clock), step('v1', 'v2', 10)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TargetError);
    expect(err).not.toBeInstanceOf(TargetAccessError);
    expect(err).not.toBeInstanceOf(TargetThrottledError);
    // Tries at 0, 10, 30, 70 s, then every minute (the longest pause) to 550 s, and at the deadline.
    expect((err as Error).message).toMatch(
      /^`aws sagemaker update-endpoint-weights-and-capacities .*` failed \(exit 254\) on SageMaker endpoint fraud-endpoint \(us-east-1\), still after 13 tries: An error occurred \(ServiceUnavailable\) when calling the UpdateEndpointWeightsAndCapacities operation: Service Unavailable/,
    );
    expect((err as Error).message.endsWith(OUTAGE_ADVICE)).toBe(true);
    expect(await weightUpdates()).toHaveLength(13);
    expect(clock.now() - started).toBe(600_000);
    expect(await endpointWeights(standins)).toEqual(['InService', 'fraud-v1 1 1', 'fraud-v2 0 0']);
  });

  it('still fails at once, saying to fix the credentials, on an expired token', async () => {
    await standins.fault(
      platformError(
        'aws',
        WEIGHTS,
        'ExpiredTokenException',
        'The security token included in the request is expired',
      ),
    );
    const err = await reconcile(
      sagemakerTarget(config, 'fraud', new FakeClock()),
      step('v1', 'v2', 10),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetAccessError);
    expect(await weightUpdates()).toHaveLength(1);
  });
});
