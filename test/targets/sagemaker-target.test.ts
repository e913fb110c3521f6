import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SageMakerTargetConfig } from '../../src/config/types.js';
import { TargetError } from '../../src/core/errors.js';
import { TargetBusyError } from '../../src/targets/errors.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { sagemakerTarget } from '../../src/targets/sagemaker-target.js';
import { installStandins, type Standins } from '../support/standin-cli.js';
import { FAST, failingCanary, passingCanary, step } from './drive.js';

const KEY = 'us-east-1/fraud-endpoint';
const config: SageMakerTargetConfig = {
  type: 'sagemaker',
  endpoint: 'fraud-endpoint',
  region: 'us-east-1',
  variant: 'fraud-{{version}}',
  ...FAST,
};

let standins: Standins;
const variant = (name: string, weight: number) => ({
  VariantName: name,
  CurrentWeight: weight,
  DesiredWeight: weight,
  CurrentInstanceCount: 1,
  DesiredInstanceCount: 1,
  DeployedImages: [{ SpecifiedImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud:latest' }],
});
const weights = async () =>
  Object.fromEntries(
    (
      (await standins.state()).sagemaker[KEY].ProductionVariants as {
        VariantName: string;
        CurrentWeight: number;
      }[]
    ).map((v) => [v.VariantName, v.CurrentWeight]),
  );

beforeAll(async () => {
  standins = await installStandins();
});
afterAll(async () => {
  await standins?.remove();
});
beforeEach(async () => {
  await standins.seed({
    sagemaker: {
      [KEY]: {
        EndpointName: 'fraud-endpoint',
        EndpointArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/fraud-endpoint',
        EndpointConfigName: 'fraud-config-3',
        EndpointStatus: 'InService',
        ProductionVariants: [variant('fraud-v1', 1), variant('fraud-v2', 0)],
        CreationTime: '2026-01-01T00:00:00Z',
        LastModifiedTime: '2026-01-01T00:00:00Z',
      },
    },
  });
});

describe('sagemaker target on a stand-in aws CLI', () => {
  it('drives a passing canary through variant weights and promotes the candidate', async () => {
    const target = sagemakerTarget(config, 'fraud');
    const seen = await passingCanary(target, 'v1', 'v2');
    expect(seen).toEqual([
      step('v1', 'v2', 10),
      step('v1', 'v2', 50),
      step('v1', 'v2', 0),
      { stable: { version: 'v2' } },
    ]);
    expect(await weights()).toEqual({ 'fraud-v1': 0, 'fraud-v2': 100 });
    const updates = (await standins.calls('aws')).filter(
      (c) => c.argv[1] === 'update-endpoint-weights-and-capacities',
    );
    expect(updates).toHaveLength(4);
    expect(JSON.parse(updates[0]?.argv[5] ?? '')).toEqual([
      { VariantName: 'fraud-v1', DesiredWeight: 90 },
      { VariantName: 'fraud-v2', DesiredWeight: 10 },
    ]);
  });

  it('rolls a failing canary back to the stable variant only', async () => {
    // Each update leaves the endpoint Updating for one more describe, as SageMaker does.
    await standins.seed({ ...(await standins.state()), settleGets: 1 });
    const target = sagemakerTarget(config, 'fraud');
    await failingCanary(target, 'v1', 'v2');
    expect(await weights()).toEqual({ 'fraud-v1': 100, 'fraud-v2': 0 });
  });

  it('catches an endpoint that silently went back to its old weights', async () => {
    await standins.fault({
      cli: 'aws',
      op: 'update-endpoint-weights-and-capacities',
      kind: 'silent-revert',
      times: 1,
    });
    const target = sagemakerTarget(config, 'fraud');
    await expect(reconcile(target, step('v1', 'v2', 10))).rejects.toThrow(
      new TargetError(
        'SageMaker endpoint fraud-endpoint (us-east-1) serves v1 100% after being asked for v1 90% / v2 10%',
      ),
    );
  });

  it('catches an update that reached only one variant', async () => {
    await standins.fault({
      cli: 'aws',
      op: 'update-endpoint-weights-and-capacities',
      kind: 'partial',
      times: 1,
    });
    const target = sagemakerTarget(config, 'fraud');
    // v1 got 90, v2 kept 0: the endpoint still sends everything to v1.
    await expect(reconcile(target, step('v1', 'v2', 10))).rejects.toThrow(
      /serves v1 100% after being asked for v1 90% \/ v2 10%/,
    );
  });

  it('waits while the endpoint is Updating, then gives up with a busy error', async () => {
    const state = await standins.state();
    state.sagemaker[KEY].EndpointStatus = 'Updating';
    state.sagemaker[KEY]._pendingGets = 2;
    await standins.seed(state);
    const target = sagemakerTarget(config, 'fraud');
    // Two polls later it is InService: the change goes through.
    await expect(reconcile(target, step('v1', 'v2', 10))).resolves.toEqual(step('v1', 'v2', 10));

    state.sagemaker[KEY]._pendingGets = 1000;
    await standins.seed(state);
    const impatient = sagemakerTarget({ ...config, settleTimeoutMs: 100, pollIntervalMs: 20 }, 'fraud');
    const err = await reconcile(impatient, step('v1', 'v2', 10)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetBusyError);
    expect((err as Error).message).toMatch(
      /fraud-endpoint \(us-east-1\) did not settle within 100ms: it is still Updating; try again later/,
    );
    expect(await weights()).toEqual({ 'fraud-v1': 1, 'fraud-v2': 0 });
  });

  it('retries an update refused as in-progress, and throttled calls', async () => {
    await standins.fault(
      { cli: 'aws', op: 'update-endpoint-weights-and-capacities', kind: 'busy', times: 2 },
      { cli: 'aws', op: 'describe-endpoint', kind: 'throttle', times: 2 },
    );
    const target = sagemakerTarget(config, 'fraud');
    await expect(reconcile(target, step('v1', 'v2', 10))).resolves.toEqual(step('v1', 'v2', 10));
  });

  it('stops a CLI that hangs after the timeout', async () => {
    await standins.fault({ cli: 'aws', op: 'describe-endpoint', kind: 'timeout', times: 1 });
    const target = sagemakerTarget({ ...config, timeoutMs: 300 }, 'fraud');
    await expect(target.read()).rejects.toThrow(
      /`aws sagemaker describe-endpoint --endpoint-name fraud-endpoint --region us-east-1 --output json` did not finish within 300ms/,
    );
  });

  it('refuses a version that has no variant on the endpoint, naming what is there', async () => {
    const target = sagemakerTarget(config, 'fraud');
    await expect(reconcile(target, step('v1', 'v3', 10))).rejects.toThrow(
      'SageMaker endpoint fraud-endpoint (us-east-1) has no production variant fraud-v3 (version v3); it has fraud-v1, fraud-v2. Deploy the version as a variant (with weight 0) before the release',
    );
  });

  it('reports a missing endpoint with the service error', async () => {
    const target = sagemakerTarget({ ...config, endpoint: 'nope' }, 'fraud');
    await expect(target.read()).rejects.toThrow(
      /failed \(exit 254\) on SageMaker endpoint nope \(us-east-1\): An error occurred \(ValidationException\) when calling the DescribeEndpoint operation: Could not find endpoint/,
    );
  });
});
