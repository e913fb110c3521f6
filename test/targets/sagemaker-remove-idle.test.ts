import { describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../../src/core/clock.js';
import { runCli } from '../../src/targets/cli.js';
import { TargetBusyError } from '../../src/targets/errors.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { sagemakerTarget } from '../../src/targets/sagemaker-target.js';
import { useStandins } from '../support/standin-server.js';
import { mirrorOf } from './drive.js';
import { definition, FRAUD_ENDPOINT_CONFIG, variant } from './sagemaker-variants.js';

// Retiring blue-green's blue on SageMaker deploys a copy of the endpoint config without blue's
// variant, built from the endpoint as read. Another run's change landing before that deploy (a
// workflow_dispatch rollback giving blue its traffic back) used to be undone by it: the removal
// waited out the busy endpoint, then deployed its stale config, and the variant serving callers
// was gone. A removal now never waits on another change and reads the endpoint again right before
// update-endpoint.
const KEY = 'us-east-1/fraud-endpoint';
const config = FRAUD_ENDPOINT_CONFIG;

const configNamed = (name: string) => ({
  EndpointConfigName: name,
  EndpointConfigArn: `arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/${name}`,
  ProductionVariants: [definition('fraud-v0', 0), definition('fraud-v1', 0), definition('fraud-v2', 1)],
  CreationTime: '2026-01-01T00:00:00Z',
});
// As a promotion of v2 leaves it: v2 serves, blue (v1) at weight 0; v0 an older version at 0.
const standins = useStandins('aws', () => ({
  sagemaker: {
    [KEY]: {
      EndpointName: 'fraud-endpoint',
      EndpointArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/fraud-endpoint',
      EndpointConfigName: 'fraud-config-3',
      EndpointStatus: 'InService',
      ProductionVariants: [variant('fraud-v0', 0), variant('fraud-v1', 0), variant('fraud-v2', 100)],
      CreationTime: '2026-01-01T00:00:00Z',
      LastModifiedTime: '2026-01-01T00:00:00Z',
    },
  },
  sagemakerConfigs: {
    'us-east-1/fraud-config-3': configNamed('fraud-config-3'),
    'us-east-1/fraud-config-4': configNamed('fraud-config-4'),
  },
}));

const weights = async () =>
  (
    (await standins.state()).sagemaker[KEY].ProductionVariants as {
      VariantName: string;
      CurrentWeight: number;
    }[]
  ).map((v) => `${v.VariantName}=${v.CurrentWeight}`);
const updates = async () => (await standins.calls('aws')).filter((c) => c.argv[1] === 'update-endpoint');

/**
 * The removal's time, with `meanwhile` (another run's change) run once, at the first pause the
 * removal takes right after its `aws sagemaker <op>` call (a retry's). `land` runs it afterwards
 * if it has not run by then (the removal did not pause there).
 */
function landingAfter(op: string, meanwhile: () => Promise<unknown>) {
  let landed = false;
  const land = async () => {
    if (landed) return;
    landed = true;
    await meanwhile();
  };
  const clock: Clock = {
    now: () => systemClock.now(),
    async sleep(ms) {
      if (!landed && (await standins.calls('aws')).at(-1)?.argv[1] === op) await land();
      await systemClock.sleep(ms);
    },
  };
  return { clock, land };
}

/** A workflow_dispatch rollback to v1, by a target of its own (another process). */
const rollbackToV1 = () => reconcile(sagemakerTarget(config, 'fraud'), withdrawTraffic('v1'));

/** A user's own update-endpoint to another config of theirs (blue still at weight 0). */
async function userDeploysConfig4() {
  const args = ['--endpoint-name', 'fraud-endpoint', '--endpoint-config-name', 'fraud-config-4'];
  await runCli(['aws', 'sagemaker', 'update-endpoint', ...args, '--region', 'us-east-1'], {
    timeoutMs: 10_000,
  });
  await sagemakerTarget(config, 'fraud').read(); // the stand-in's update lands on a describe
}

describe('removing blue’s variant from a SageMaker endpoint while another run changes it', () => {
  it('gives up, without waiting, when another change holds the endpoint; a rollback landing then stands', async () => {
    // The rollback's update holds the endpoint when the removal's update-endpoint arrives.
    await standins.fault({ cli: 'aws', op: 'update-endpoint', kind: 'busy', times: 1 });
    const { clock, land } = landingAfter('update-endpoint', rollbackToV1);
    const failed = await sagemakerTarget(config, 'fraud', clock)
      .removeIdle('v1', 'v2')
      .catch((err: unknown) => err);
    await land();
    expect(await weights()).toEqual(['fraud-v0=0', 'fraud-v1=100', 'fraud-v2=0']);
    expect(failed).toBeInstanceOf(TargetBusyError);
    expect((failed as Error).message).toMatch(
      /^SageMaker endpoint fraud-endpoint \(us-east-1\) is busy with another change \(.*Cannot update in-progress endpoint.*\): the production variant fraud-v1 is not removed this time, so as not to undo that change$/s,
    );
  });

  it('reads the endpoint again right before update-endpoint: blue has traffic again, nothing is deployed', async () => {
    // The config is made while the rollback lands (a throttled create-endpoint-config is retried).
    await standins.fault({ cli: 'aws', op: 'create-endpoint-config', kind: 'throttle', times: 1 });
    const { clock, land } = landingAfter('create-endpoint-config', rollbackToV1);
    const failed = await sagemakerTarget(config, 'fraud', clock)
      .removeIdle('v1', 'v2')
      .catch((err: unknown) => err);
    await land();
    expect(await weights()).toEqual(['fraud-v0=0', 'fraud-v1=100', 'fraud-v2=0']);
    expect(await updates()).toEqual([]);
    expect((failed as Error).message).toBe(
      'SageMaker endpoint fraud-endpoint (us-east-1) gives the variant fraud-v1 weight 100 since model-gate read it: the variant is not removed',
    );
  });

  it('deploys nothing while a change begun meanwhile still holds the endpoint', async () => {
    // Each update takes 3 more describe-endpoint calls to land.
    await standins.seed({ ...(await standins.state()), settleGets: 3 });
    await standins.fault({ cli: 'aws', op: 'create-endpoint-config', kind: 'throttle', times: 1 });
    const rollbackBegins = async () => {
      const weights =
        '[{"VariantName":"fraud-v1","DesiredWeight":100},{"VariantName":"fraud-v2","DesiredWeight":0}]';
      const args = ['--endpoint-name', 'fraud-endpoint', '--desired-weights-and-capacities', weights];
      await runCli(
        ['aws', 'sagemaker', 'update-endpoint-weights-and-capacities', ...args, '--region', 'us-east-1'],
        {
          timeoutMs: 10_000,
        },
      );
    };
    const { clock } = landingAfter('create-endpoint-config', rollbackBegins);
    const failed = await sagemakerTarget(config, 'fraud', clock)
      .removeIdle('v1', 'v2')
      .catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(TargetBusyError);
    expect((failed as Error).message).toBe(
      'SageMaker endpoint fraud-endpoint (us-east-1) is Updating with another change: the production variant fraud-v1 is not removed this time, so as not to undo that change',
    );
    expect(await updates()).toEqual([]);
    await reconcile(sagemakerTarget(config, 'fraud'), withdrawTraffic('v1')); // the rollback ends
    expect(await weights()).toEqual(['fraud-v0=0', 'fraud-v1=100', 'fraud-v2=0']);
  });

  it('deploys nothing when the endpoint moved to another config meanwhile', async () => {
    await standins.fault({ cli: 'aws', op: 'create-endpoint-config', kind: 'throttle', times: 1 });
    const { clock, land } = landingAfter('create-endpoint-config', userDeploysConfig4);
    const failed = await sagemakerTarget(config, 'fraud', clock)
      .removeIdle('v1', 'v2')
      .catch((err: unknown) => err);
    await land();
    expect((await standins.state()).sagemaker[KEY].EndpointConfigName).toBe('fraud-config-4');
    expect(await weights()).toEqual(['fraud-v0=0', 'fraud-v1=0', 'fraud-v2=1']);
    expect((failed as Error).message).toBe(
      'SageMaker endpoint fraud-endpoint (us-east-1) runs the endpoint config fraud-config-4, not fraud-config-3 since model-gate read it: the variant is not removed',
    );
  });

  it('removes blue when nothing changed meanwhile', async () => {
    await sagemakerTarget(config, 'fraud').removeIdle('v1', 'v2');
    expect(await weights()).toEqual(['fraud-v0=0', 'fraud-v2=100']);
    expect(await updates()).toHaveLength(1);
  });
});

describe('a variant SageMaker keeps because it is registered with Application Auto Scaling', () => {
  // Entering a shadow takes the candidate's variant out of ProductionVariants: refused as a removal
  // while it is registered (blue's own case: sagemaker-retire-blue.test.ts).
  it('names the deregister command when a shadow would take an autoscaled candidate out of production', async () => {
    const state = await standins.state();
    const endpoint = state.sagemaker[KEY];
    await standins.seed({
      ...state,
      sagemaker: {
        [KEY]: { ...endpoint, ProductionVariants: [variant('fraud-v1', 100), variant('fraud-v2', 0)] },
      },
      sagemakerConfigs: {
        'us-east-1/fraud-config-3': {
          ...configNamed('fraud-config-3'),
          ProductionVariants: [definition('fraud-v1', 1), definition('fraud-v2', 0)],
        },
      },
      scalableTargets: {
        'us-east-1': [
          {
            ServiceNamespace: 'sagemaker',
            ResourceId: 'endpoint/fraud-endpoint/variant/fraud-v2',
            ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
            MinCapacity: 1,
            MaxCapacity: 4,
          },
        ],
      },
    });
    await expect(sagemakerTarget(config, 'fraud').write(mirrorOf('v1', 'v2', 20))).rejects.toThrow(
      'SageMaker endpoint fraud-endpoint (us-east-1) keeps the production variant fraud-v2: it is registered with Application Auto Scaling, and SageMaker removes no such variant. Deregister it first (its scaling policies go with it): `aws application-autoscaling deregister-scalable-target --service-namespace sagemaker --scalable-dimension sagemaker:variant:DesiredInstanceCount --resource-id endpoint/fraud-endpoint/variant/fraud-v2 --region us-east-1`',
    );
    expect(await weights()).toEqual(['fraud-v1=100', 'fraud-v2=0']);
  });
});
