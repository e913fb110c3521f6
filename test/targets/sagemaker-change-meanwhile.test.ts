import { describe, expect, it } from 'vitest';
import { type Clock, FakeClock } from '../../src/core/clock.js';
import { runCli } from '../../src/targets/cli.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { sagemakerTarget } from '../../src/targets/sagemaker-target.js';
import { useStandins } from '../support/standin-server.js';
import { mirrorOf } from './drive.js';
import { definition, FRAUD_ENDPOINT_CONFIG, variant } from './sagemaker-variants.js';

// A traffic change on SageMaker is built from the endpoint as read: the variants there, their
// definitions and sizes. Another change landing between that read and the update (autoscaling, a
// user's own config, another run) used to be undone by it: the change waited out the busy
// endpoint, or a throttled call, and then sent what it had built before. It is now built again
// from the endpoint as it is after the wait.
const KEY = 'us-east-1/fraud-endpoint';
const config = FRAUD_ENDPOINT_CONFIG;
const standins = useStandins('aws');

const ARN = 'arn:aws:sagemaker:us-east-1:123456789012';
const endpointOn = (configName: string, production: object[], shadow?: object[]) => ({
  EndpointName: 'fraud-endpoint',
  EndpointArn: `${ARN}:endpoint/fraud-endpoint`,
  EndpointConfigName: configName,
  EndpointStatus: 'InService',
  ProductionVariants: production,
  ...(shadow ? { ShadowProductionVariants: shadow } : {}),
  CreationTime: '2026-01-01T00:00:00Z',
  LastModifiedTime: '2026-01-01T00:00:00Z',
});
const endpointConfig = (name: string, production: object[], shadow?: object[]) => ({
  [`us-east-1/${name}`]: {
    EndpointConfigName: name,
    EndpointConfigArn: `${ARN}:endpoint-config/${name}`,
    ProductionVariants: production,
    ...(shadow ? { ShadowProductionVariants: shadow } : {}),
    CreationTime: '2026-01-01T00:00:00Z',
  },
});
const sized = <T extends object>(v: T, instances: number) => ({
  ...v,
  CurrentInstanceCount: instances,
  DesiredInstanceCount: instances,
});

const aws = (...args: string[]) =>
  runCli(['aws', 'sagemaker', ...args, '--region', 'us-east-1'], { timeoutMs: 10_000 });
const endpoint = async () => (await standins.state()).sagemaker[KEY];

/** Another run's update lands: it polls describe-endpoint until the endpoint is InService. */
async function landed() {
  for (let polls = 0; polls < 10; polls++) {
    const out = await aws('describe-endpoint', '--endpoint-name', 'fraud-endpoint');
    if (JSON.parse(out.stdout).EndpointStatus === 'InService') return;
  }
  throw new Error('the other change never landed');
}
/** Application Auto Scaling resizing a variant (the call it makes); the endpoint is Updating. */
const autoscalingBegins = (variantName: string, instances: number) => () =>
  aws(
    'update-endpoint-weights-and-capacities',
    '--endpoint-name',
    'fraud-endpoint',
    '--desired-weights-and-capacities',
    JSON.stringify([{ VariantName: variantName, DesiredInstanceCount: instances }]),
  );
/** The user's own update-endpoint to a config of theirs; the endpoint is Updating. */
const userDeployBegins = (configName: string) => () =>
  aws('update-endpoint', '--endpoint-name', 'fraud-endpoint', '--endpoint-config-name', configName);

/**
 * The time of the run under test (a fake clock): another run's change takes its steps, one at
 * each pause of that run from the first pause after its `aws sagemaker <op>` call on.
 */
function meanwhile(op: string, ...steps: (() => Promise<unknown>)[]): Clock {
  const fake = new FakeClock();
  let begun = false;
  return {
    now: () => fake.now(),
    async sleep(ms) {
      begun ||= (await standins.calls('aws')).at(-1)?.argv[1] === op;
      if (begun) await steps.shift()?.();
      await fake.sleep(ms);
    },
  };
}

/** Each variant the endpoint runs: weight and instances, `shadow` for a shadow variant. */
async function serving() {
  const e = await endpoint();
  const shown = (v: { VariantName: string; CurrentWeight: number; CurrentInstanceCount: number }) =>
    `${v.VariantName}=${v.CurrentWeight} on ${v.CurrentInstanceCount}`;
  return [
    ...e.ProductionVariants.map(shown),
    ...(e.ShadowProductionVariants ?? []).map((v: never) => `shadow ${shown(v)}`),
  ];
}

describe('a SageMaker traffic change while another change lands on the endpoint', () => {
  it('a rollback out of a shadow, held up by autoscaling growing the stable fleet, keeps the grown fleet', async () => {
    // v2 shadows v1; v1 runs on 2 instances under load, and autoscaling is about to add 4.
    await standins.seed({
      sagemaker: {
        [KEY]: endpointOn(
          'fraud-shadow',
          [sized(variant('fraud-v1', 1), 2)],
          [sized(variant('fraud-v2', 0.1), 1)],
        ),
      },
      sagemakerConfigs: endpointConfig(
        'fraud-shadow',
        [{ ...definition('fraud-v1', 1), InitialInstanceCount: 2 }],
        [definition('fraud-v2', 0.1)],
      ),
      settleGets: 1,
    });
    // The rollback's config is made while autoscaling starts (a throttled create is retried);
    // autoscaling still holds the endpoint when the rollback's update-endpoint arrives.
    await standins.fault({ cli: 'aws', op: 'create-endpoint-config', kind: 'throttle', times: 1 });
    const clock = meanwhile('create-endpoint-config', autoscalingBegins('fraud-v1', 6), landed);
    await expect(reconcile(sagemakerTarget(config, 'fraud', clock), withdrawTraffic('v1'))).resolves.toEqual(
      withdrawTraffic('v1'),
    );
    expect(await serving()).toEqual(['fraud-v1=100 on 6', 'fraud-v2=0 on 1']);
  });

  it('a shadow entered while the user moves the stable variant to a bigger instance type keeps that type', async () => {
    const large = [definition('fraud-v1', 1), definition('fraud-v2', 0)];
    const xlarge = [
      { ...definition('fraud-v1', 1), InstanceType: 'ml.m5.4xlarge' },
      definition('fraud-v2', 0),
    ];
    await standins.seed({
      sagemaker: { [KEY]: endpointOn('fraud-config-3', [variant('fraud-v1', 1), variant('fraud-v2', 0)]) },
      sagemakerConfigs: {
        ...endpointConfig('fraud-config-3', large),
        ...endpointConfig('fraud-config-4', xlarge),
      },
    });
    // The user's update is made, and done, while the shadow's throttled create waits to be retried.
    await standins.fault({ cli: 'aws', op: 'create-endpoint-config', kind: 'throttle', times: 1 });
    const userDeploys = async () => {
      await userDeployBegins('fraud-config-4')();
      await landed();
    };
    const clock = meanwhile('create-endpoint-config', userDeploys);
    await expect(
      reconcile(sagemakerTarget(config, 'fraud', clock), mirrorOf('v1', 'v2', 20)),
    ).resolves.toEqual(mirrorOf('v1', 'v2', 20));
    expect(await serving()).toEqual(['fraud-v1=1 on 1', 'shadow fraud-v2=0.2 on 1']);
    const inUse = (await standins.state()).sagemakerConfigs[
      `us-east-1/${(await endpoint()).EndpointConfigName}`
    ];
    expect(inUse.ProductionVariants).toEqual([
      { ...definition('fraud-v1', 1), InstanceType: 'ml.m5.4xlarge' },
    ]);
  });

  it('a canary’s rollback, held up by the user taking an old variant off, still takes the canary’s traffic away', async () => {
    await standins.seed({
      sagemaker: {
        [KEY]: endpointOn('fraud-config-3', [
          variant('fraud-v0', 0),
          variant('fraud-v1', 90),
          variant('fraud-v2', 10),
        ]),
      },
      sagemakerConfigs: {
        ...endpointConfig('fraud-config-3', [
          definition('fraud-v0', 0),
          definition('fraud-v1', 90),
          definition('fraud-v2', 10),
        ]),
        ...endpointConfig('fraud-config-4', [definition('fraud-v1', 90), definition('fraud-v2', 10)]),
      },
      settleGets: 1,
    });
    // The user's update begins while the rollback's throttled weights call waits to be retried,
    // and holds the endpoint when it is.
    const op = 'update-endpoint-weights-and-capacities';
    await standins.fault({ cli: 'aws', op, kind: 'throttle', times: 1 });
    const clock = meanwhile(op, userDeployBegins('fraud-config-4'), landed);
    await expect(reconcile(sagemakerTarget(config, 'fraud', clock), withdrawTraffic('v1'))).resolves.toEqual(
      withdrawTraffic('v1'),
    );
    expect(await serving()).toEqual(['fraud-v1=100 on 1', 'fraud-v2=0 on 1']);
  });

  it('retiring blue while autoscaling grows green deploys nothing, so green keeps its grown fleet', async () => {
    await standins.seed({
      sagemaker: {
        [KEY]: endpointOn('fraud-config-3', [variant('fraud-v1', 0), sized(variant('fraud-v2', 100), 2)]),
      },
      sagemakerConfigs: endpointConfig('fraud-config-3', [
        definition('fraud-v1', 0),
        { ...definition('fraud-v2', 1), InitialInstanceCount: 2 },
      ]),
    });
    // Autoscaling's update is made, and done, while the removal's throttled create waits to be retried.
    await standins.fault({ cli: 'aws', op: 'create-endpoint-config', kind: 'throttle', times: 1 });
    const grows = async () => {
      await autoscalingBegins('fraud-v2', 5)();
      await landed();
    };
    const clock = meanwhile('create-endpoint-config', grows);
    await expect(sagemakerTarget(config, 'fraud', clock).removeIdle('v1', 'v2')).rejects.toThrow(
      'SageMaker endpoint fraud-endpoint (us-east-1) runs the variant fraud-v2 on 5 instances, not 2 since model-gate read it: the variant is not removed',
    );
    expect(await serving()).toEqual(['fraud-v1=0 on 1', 'fraud-v2=100 on 5']);
  });
});
