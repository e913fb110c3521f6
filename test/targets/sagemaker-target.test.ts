import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import { runCli } from '../../src/targets/cli.js';
import { TargetBusyError } from '../../src/targets/errors.js';
import { NotDeployedError } from '../../src/targets/not-deployed.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { configNamePrefix, endpointConfigName, madeByModelGate } from '../../src/targets/sagemaker-shadow.js';
import { sagemakerTarget } from '../../src/targets/sagemaker-target.js';
import { installStandins, type Standins } from '../support/standin-cli.js';
import { type ServedStandin, serveStandin } from '../support/standin-server.js';
import {
  failingCanary,
  failingShadow,
  mirrorOf,
  passingAb,
  passingCanary,
  passingShadow,
  step,
  unreachedShadow,
} from './drive.js';
import { definition, FRAUD_ENDPOINT_CONFIG, variant } from './sagemaker-variants.js';

const KEY = 'us-east-1/fraud-endpoint';
const config = FRAUD_ENDPOINT_CONFIG;

let standins: Standins;
const SEED_CONFIG = {
  EndpointConfigName: 'fraud-config-3',
  EndpointConfigArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/fraud-config-3',
  ProductionVariants: [definition('fraud-v1', 1), definition('fraud-v2', 0)],
  DataCaptureConfig: {
    EnableCapture: true,
    InitialSamplingPercentage: 100,
    DestinationS3Uri: 's3://fraud-capture/',
    CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
  },
  KmsKeyId: 'alias/fraud',
  CreationTime: '2026-01-01T00:00:00Z',
};
const weights = async () =>
  Object.fromEntries(
    (
      (await standins.state()).sagemaker[KEY].ProductionVariants as {
        VariantName: string;
        CurrentWeight: number;
      }[]
    ).map((v) => [v.VariantName, v.CurrentWeight]),
  );

let served: ServedStandin | undefined;
beforeAll(async () => {
  standins = await installStandins();
  // One process answers every aws call (a Node start per call made this file take half a minute).
  served = await serveStandin('aws');
});
afterAll(async () => {
  await served?.stop();
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
    sagemakerConfigs: { 'us-east-1/fraud-config-3': SEED_CONFIG },
  });
});

/** Another run deleting an endpoint config, through the aws CLI as it would. */
const deleteElsewhere = (name: string | undefined) =>
  runCli(
    [
      'aws',
      'sagemaker',
      'delete-endpoint-config',
      '--endpoint-config-name',
      `${name}`,
      '--region',
      'us-east-1',
    ],
    { timeoutMs: 10_000 },
  );

/** `base`'s time, with `race` run in the target's first `times` waits: another run acting meanwhile. */
const racing = (base: Clock, race: () => Promise<unknown>, times = 1): Clock => ({
  now: () => base.now(),
  async sleep(ms) {
    if (times-- > 0) await race();
    await systemClock.sleep(ms);
  },
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

  it('runs an A/B as a per-request split of variant weights; the sticky key is not read back', async () => {
    const seen = await passingAb(sagemakerTarget(config, 'fraud'), 'v1', 'v2');
    // SageMaker splits each InvokeEndpoint call by weight: the read-back has no sticky key to show.
    expect(seen).toEqual([step('v1', 'v2', 50), step('v1', 'v2', 0), { stable: { version: 'v2' } }]);
    const updates = (await standins.calls('aws')).filter(
      (c) => c.argv[1] === 'update-endpoint-weights-and-capacities',
    );
    expect(JSON.parse(updates[0]?.argv[5] ?? '')).toEqual([
      { VariantName: 'fraud-v1', DesiredWeight: 50 },
      { VariantName: 'fraud-v2', DesiredWeight: 50 },
    ]);
    expect(await weights()).toEqual({ 'fraud-v1': 0, 'fraud-v2': 100 });
  });

  it('still catches an A/B split the endpoint silently did not take', async () => {
    await standins.fault({
      cli: 'aws',
      op: 'update-endpoint-weights-and-capacities',
      kind: 'silent-revert',
      times: 1,
    });
    const ab = { ...step('v1', 'v2', 50), sticky: { header: 'x-user-id' } };
    await expect(reconcile(sagemakerTarget(config, 'fraud'), ab)).rejects.toThrow(
      new TargetError(
        'SageMaker endpoint fraud-endpoint (us-east-1) serves v1 100% after being asked for v1 50% / v2 50%',
      ),
    );
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
      'SageMaker endpoint fraud-endpoint (us-east-1) has no production variant fraud-v3 (version v3); it has fraud-v1, fraud-v2. Deploy the version to the endpoint (with 0% traffic) before the release, e.g. create an endpoint config with its variants as',
    );
  });

  it('reports a missing endpoint with the service error', async () => {
    const target = sagemakerTarget({ ...config, endpoint: 'nope' }, 'fraud');
    await expect(target.read()).rejects.toThrow(
      /failed \(exit 254\) on SageMaker endpoint nope \(us-east-1\): An error occurred \(ValidationException\) when calling the DescribeEndpoint operation: Could not find endpoint/,
    );
  });
});

describe('sagemaker target: shadow through a shadow variant', () => {
  /**
   * The runner's clock an hour ahead of the platform's: each change sees the configs made before it
   * as old as a shadow phase, old enough for the cleanup to delete (it keeps younger ones, which
   * another run may be about to deploy).
   */
  const anHourLater: Clock = {
    now: () => systemClock.now() + 60 * 60_000,
    sleep: (ms) => systemClock.sleep(ms),
  };
  const endpoint = async () => (await standins.state()).sagemaker[KEY];
  const configs = async () => (await standins.state()).sagemakerConfigs;
  const operations = async () => (await standins.calls('aws')).map((c) => c.argv[1]);
  /** The configs model-gate deleted, in order. */
  const deleted = async () =>
    (await standins.calls('aws'))
      .filter((c) => c.argv[1] === 'delete-endpoint-config')
      .map(({ argv }) => argv[argv.indexOf('--endpoint-config-name') + 1]);
  /** The name of the first config model-gate made (for the shadow, in these tests). */
  const shadowConfig = async () => {
    const call = (await standins.calls('aws')).find((c) => c.argv[1] === 'create-endpoint-config');
    return call?.argv[call.argv.indexOf('--endpoint-config-name') + 1];
  };
  /** The variant lists of each create-endpoint-config sent. */
  const created = async () =>
    (await standins.calls('aws'))
      .filter((c) => c.argv[1] === 'create-endpoint-config')
      .map(({ argv }) => {
        const json = (flag: string) =>
          argv.includes(flag) ? JSON.parse(argv[argv.indexOf(flag) + 1] ?? '') : undefined;
        return { production: json('--production-variants'), shadow: json('--shadow-production-variants') };
      });

  it('shadows through a new endpoint config, reads the shadow back, restores the variant when it ends, and promotes it keeping the old one for a rollback', async () => {
    const seen = await passingShadow(sagemakerTarget(config, 'fraud', anHourLater), 'v1', 'v2', 20);
    expect(seen).toEqual([
      mirrorOf('v1', 'v2', 20),
      { stable: { version: 'v1' } },
      { stable: { version: 'v2' } },
    ]);
    // The endpoint is read again right before update-endpoint: the config is deployed only while
    // the endpoint is as read (sagemaker-change-meanwhile.test.ts).
    const cycle = [
      'describe-endpoint',
      'describe-endpoint-config',
      'create-endpoint-config',
      'describe-endpoint',
      'update-endpoint',
    ];
    // Shadow on, shadow off (both a new config; leaving the shadow deletes the config model-gate
    // made for it, never the user's), then the promotion moves weights only: v1 stays a variant at
    // weight 0, as after every other strategy. Once InService on a config model-gate made, each
    // change lists the configs model-gate made for the endpoint.
    expect(await operations()).toEqual([
      ...cycle,
      'describe-endpoint',
      'list-endpoint-configs',
      'describe-endpoint',
      ...cycle,
      'describe-endpoint',
      'list-endpoint-configs',
      'delete-endpoint-config',
      'describe-endpoint',
      'describe-endpoint',
      'update-endpoint-weights-and-capacities',
      'describe-endpoint',
      'list-endpoint-configs',
      'describe-endpoint',
    ]);
    expect(await created()).toEqual([
      {
        production: [definition('fraud-v1', 1)],
        shadow: [definition('fraud-v2', 0.2)],
      },
      { production: [definition('fraud-v1', 100), definition('fraud-v2', 0)], shadow: undefined },
    ]);
    const state = await endpoint();
    expect(state.EndpointConfigName).toMatch(/^fraud-endpoint-mg-[0-9a-f]{8}-[0-9a-f]{10}$/);
    expect(state.ShadowProductionVariants).toBeUndefined();
    // Left behind: the user's own config and the one in use, nothing else.
    expect(Object.keys(await configs()).sort()).toEqual(
      ['us-east-1/fraud-config-3', `us-east-1/${state.EndpointConfigName}`].sort(),
    );
    expect(await deleted()).toEqual([await shadowConfig()]);
    expect(await weights()).toEqual({ 'fraud-v1': 0, 'fraud-v2': 100 });
    // The endpoint's other settings are carried into every config model-gate makes.
    for (const made of Object.values(await configs()) as Record<string, unknown>[]) {
      expect(made).toMatchObject({
        DataCaptureConfig: SEED_CONFIG.DataCaptureConfig,
        KmsKeyId: 'alias/fraud',
      });
    }

    // A workflow_dispatch rollback right after (a new run, as in CI) is a weights call: v1's
    // instances never went, so it serves again in seconds, without a new config or fleet.
    const before = (await operations()).length;
    const rollback = sagemakerTarget(config, 'fraud', anHourLater);
    await expect(reconcile(rollback, withdrawTraffic('v1'))).resolves.toEqual({ stable: { version: 'v1' } });
    expect((await operations()).slice(before)).toEqual([
      'describe-endpoint',
      'update-endpoint-weights-and-capacities',
      'describe-endpoint',
      'list-endpoint-configs',
      'describe-endpoint',
    ]);
    expect(await weights()).toEqual({ 'fraud-v1': 100, 'fraud-v2': 0 });
  });

  it('rolls a failing shadow back to production variants only, and a later release finds the candidate', async () => {
    await standins.seed({ ...(await standins.state()), settleGets: 1 });
    const target = sagemakerTarget(config, 'fraud', anHourLater);
    expect(await failingShadow(target, 'v1', 'v2')).toEqual([
      mirrorOf('v1', 'v2', 10),
      { stable: { version: 'v1' } },
    ]);
    expect(await weights()).toEqual({ 'fraud-v1': 100, 'fraud-v2': 0 });
    expect(await endpoint()).not.toHaveProperty('ShadowProductionVariants');
    // The same shadow again gets the name it had the first time (the config, deleted when the
    // endpoint left it, is made again), and leaves the user's config and the one in use only.
    const first = await shadowConfig();
    await expect(reconcile(target, mirrorOf('v1', 'v2', 10))).resolves.toEqual(mirrorOf('v1', 'v2', 10));
    expect((await endpoint()).EndpointConfigName).toBe(first);
    expect(Object.keys(await configs()).sort()).toEqual(
      ['us-east-1/fraud-config-3', `us-east-1/${first}`].sort(),
    );
    await expect(reconcile(target, step('v1', 'v2', 10))).resolves.toEqual(step('v1', 'v2', 10));
  });

  it('catches an update that deployed the config without its shadow variant, and still rolls back', async () => {
    await standins.fault({ cli: 'aws', op: 'update-endpoint', kind: 'drop-mirror', times: 1 });
    const { error, rolledBack } = await unreachedShadow(
      sagemakerTarget(config, 'fraud', anHourLater),
      'v1',
      'v2',
    );
    expect(error).toEqual(
      new TargetError(
        'SageMaker endpoint fraud-endpoint (us-east-1) serves v1 100% after being asked for v1 100% (+ mirror 10% to v2)',
      ),
    );
    expect(rolledBack).toEqual({ stable: { version: 'v1' } });
  });

  it('keeps the autoscaled size of each fleet when it enters and leaves a shadow', async () => {
    const aws = (...args: string[]) =>
      runCli(['aws', 'sagemaker', ...args, '--region', 'us-east-1'], { timeoutMs: 10_000 });
    /** Resizes a variant as Application Auto Scaling does, and lets the update finish. */
    const autoscale = async (variantName: string, count: number) => {
      const desired = JSON.stringify([{ VariantName: variantName, DesiredInstanceCount: count }]);
      const flags = ['--endpoint-name', 'fraud-endpoint'];
      expect(
        (
          await aws(
            'update-endpoint-weights-and-capacities',
            ...flags,
            '--desired-weights-and-capacities',
            desired,
          )
        ).exitCode,
      ).toBe(0);
      expect((await aws('describe-endpoint', ...flags)).exitCode).toBe(0);
    };
    const counts = async () => {
      const state = await endpoint();
      return Object.fromEntries(
        [...state.ProductionVariants, ...(state.ShadowProductionVariants ?? [])].map(
          (v: { VariantName: string; CurrentInstanceCount: number }) => [
            v.VariantName,
            v.CurrentInstanceCount,
          ],
        ),
      );
    };
    // The config says 2 instances for the stable variant; autoscaling has grown it to 10.
    const state = await standins.state();
    state.sagemakerConfigs['us-east-1/fraud-config-3'].ProductionVariants[0].InitialInstanceCount = 2;
    state.sagemaker[KEY].ProductionVariants[0] = { ...variant('fraud-v1', 1), CurrentInstanceCount: 2 };
    await standins.seed(state);
    await autoscale('fraud-v1', 10);
    expect(await counts()).toEqual({ 'fraud-v1': 10, 'fraud-v2': 1 });

    const target = sagemakerTarget(config, 'fraud', anHourLater);
    await expect(reconcile(target, mirrorOf('v1', 'v2', 20))).resolves.toEqual(mirrorOf('v1', 'v2', 20));
    expect(await counts()).toEqual({ 'fraud-v1': 10, 'fraud-v2': 1 });
    expect((await created())[0]?.production).toEqual([
      { ...definition('fraud-v1', 1), InitialInstanceCount: 10 },
    ]);
    // A rollback leaves the shadow on a fleet of the same size.
    await expect(reconcile(target, withdrawTraffic('v1'))).resolves.toEqual({ stable: { version: 'v1' } });
    expect(await counts()).toEqual({ 'fraud-v1': 10, 'fraud-v2': 1 });
    // The same shadow at the same size again is the same config (by name: made again).
    const shadowed = await shadowConfig();
    const restored = (await endpoint()).EndpointConfigName;
    await reconcile(target, mirrorOf('v1', 'v2', 20));
    expect((await endpoint()).EndpointConfigName).toBe(shadowed);
    // Grown further during the shadow, it keeps that size when the shadow ends (in a new config).
    await autoscale('fraud-v1', 12);
    await expect(reconcile(target, withdrawTraffic('v1'))).resolves.toEqual({ stable: { version: 'v1' } });
    expect(await counts()).toEqual({ 'fraud-v1': 12, 'fraud-v2': 1 });
    const resized = (await endpoint()).EndpointConfigName;
    expect(resized).not.toBe(restored);
    expect(Object.keys(await configs()).sort()).toEqual(
      ['us-east-1/fraud-config-3', `us-east-1/${resized}`].sort(),
    );
  });

  it('changes nothing when asked again for the shadow the endpoint serves', async () => {
    const target = sagemakerTarget(config, 'fraud', anHourLater);
    await reconcile(target, mirrorOf('v1', 'v2', 25));
    const before = (await operations()).length;
    await expect(reconcile(target, mirrorOf('v1', 'v2', 25))).resolves.toEqual(mirrorOf('v1', 'v2', 25));
    expect((await operations()).slice(before)).toEqual([
      'describe-endpoint',
      'describe-endpoint-config',
      'describe-endpoint',
      'list-endpoint-configs',
      'describe-endpoint',
    ]);
  });

  it('catches an endpoint that silently stayed on its old config', async () => {
    await standins.fault({ cli: 'aws', op: 'update-endpoint', kind: 'silent-revert', times: 1 });
    await expect(
      reconcile(sagemakerTarget(config, 'fraud', anHourLater), mirrorOf('v1', 'v2', 30)),
    ).rejects.toThrow(/serves v1 100% after being asked for v1 100% \(\+ mirror 30% to v2\)$/);
    expect((await endpoint()).EndpointConfigName).toBe('fraud-config-3');
  });

  it('never deletes a config of the user, even one named much like the ones it makes', async () => {
    const base = await standins.state();
    // Not as model-gate names configs for this endpoint: its name, `-mg-`, 8 hex digits of a hash
    // of its name, `-` and 10 hex digits. Those with the prefix are what the cleanup lists.
    const prefix = configNamePrefix('fraud-endpoint');
    const lookalikes = [
      'fraud-endpoint-mg-config',
      'fraud-prod-mg-0123456789',
      'fraud-endpoint-mg-0A1B2C3D4E',
      `${prefix}0A1B2C3D4E`,
      `${prefix}01234567890`,
      `${prefix}config`,
      `x${prefix}0123456789`,
      'fraud-endpoint-mg-00000000-0123456789',
    ];
    // Each of the first four in turn is the config the endpoint runs, and so the one it leaves.
    for (const own of lookalikes.slice(0, 4)) {
      const state = structuredClone(base);
      for (const name of lookalikes)
        state.sagemakerConfigs[`us-east-1/${name}`] = { ...SEED_CONFIG, EndpointConfigName: name };
      state.sagemaker[KEY].EndpointConfigName = own;
      await standins.seed(state);
      await passingShadow(sagemakerTarget(config, 'fraud', anHourLater), 'v1', 'v2', 20);
      expect(await configs(), own).toHaveProperty([`us-east-1/${own}`]);
      // Only the shadow's config, made by model-gate, was deleted when the endpoint left it; the
      // one its end made is in use (the promotion moved weights only).
      expect(await deleted()).toEqual([await shadowConfig()]);
      expect(Object.keys(await configs())).toHaveLength(lookalikes.length + 2);
    }
  });

  it('keeps the config it left when the endpoint does not serve as asked from the new one', async () => {
    const target = sagemakerTarget(config, 'fraud', anHourLater);
    await reconcile(target, mirrorOf('v1', 'v2', 20));
    const shadowed = await shadowConfig();
    // The rollback's update silently keeps the shadow config: still in use, it is not deleted.
    await standins.fault({ cli: 'aws', op: 'update-endpoint', kind: 'silent-revert', times: 1 });
    await expect(reconcile(target, withdrawTraffic('v1'))).rejects.toThrow(
      /serves v1 100% \(\+ mirror 20% to v2\)/,
    );
    expect((await endpoint()).EndpointConfigName).toBe(shadowed);
    expect(await configs()).toHaveProperty([`us-east-1/${shadowed}`]);
    await expect(reconcile(target, withdrawTraffic('v1'))).resolves.toEqual({ stable: { version: 'v1' } });
    const restored = (await endpoint()).EndpointConfigName;
    // A shadow deployed without its shadow variant: the config it came from stays, for the rollback.
    await standins.fault({ cli: 'aws', op: 'update-endpoint', kind: 'drop-mirror', times: 1 });
    await expect(reconcile(target, mirrorOf('v1', 'v2', 20))).rejects.toThrow(/serves v1 100% after/);
    expect(await configs()).toHaveProperty([`us-east-1/${restored}`]);
    expect(await deleted()).toEqual([shadowed]);
  });

  it('does not fail a phase whose cleanup fails: the config just stays', async () => {
    const target = sagemakerTarget(config, 'fraud', anHourLater);
    await reconcile(target, mirrorOf('v1', 'v2', 20));
    const shadowed = await shadowConfig();
    await standins.fault({
      cli: 'aws',
      op: 'delete-endpoint-config',
      kind: 'fail',
      code: 'AccessDeniedException',
      message: 'User is not authorized to perform: sagemaker:DeleteEndpointConfig',
      times: 1,
    });
    await expect(reconcile(target, withdrawTraffic('v1'))).resolves.toEqual({ stable: { version: 'v1' } });
    expect(await deleted()).toEqual([shadowed]);
    expect(await configs()).toHaveProperty([`us-east-1/${shadowed}`]);
    expect(Object.keys(await configs())).toHaveLength(3);
  });

  it('deletes a config whose delete failed later: on a re-run of the phase, or at the next change', async () => {
    const target = sagemakerTarget(config, 'fraud', anHourLater);
    await reconcile(target, mirrorOf('v1', 'v2', 20));
    const shadowed = await shadowConfig();
    // Leaving the shadow, the delete is throttled until the change's settle-timeout: the config
    // stays for now. Then the throttling ends (seeding the state as it is ends every fault).
    await standins.fault({ cli: 'aws', op: 'delete-endpoint-config', kind: 'throttle', times: -1 });
    await expect(reconcile(target, withdrawTraffic('v1'))).resolves.toEqual({ stable: { version: 'v1' } });
    expect(await configs()).toHaveProperty([`us-east-1/${shadowed}`]);
    await standins.seed(await standins.state());
    const restored = (await endpoint()).EndpointConfigName;
    const left = ['us-east-1/fraud-config-3', `us-east-1/${restored}`].sort();
    // A re-run of the same phase deploys nothing, and deletes it.
    const before = (await operations()).length;
    await expect(reconcile(target, withdrawTraffic('v1'))).resolves.toEqual({ stable: { version: 'v1' } });
    const rerun = (await operations()).slice(before);
    expect(rerun).not.toContain('create-endpoint-config');
    expect(rerun).not.toContain('update-endpoint');
    expect(Object.keys(await configs()).sort()).toEqual(left);
    // The same with SageMaker unavailable until the settle-timeout: the next change (a canary
    // step, weights only) deletes it.
    await reconcile(target, mirrorOf('v1', 'v2', 20));
    await standins.fault({
      cli: 'aws',
      op: 'delete-endpoint-config',
      kind: 'fail',
      code: 'ServiceUnavailable',
      message: 'Service Unavailable',
      times: -1,
    });
    await expect(reconcile(target, withdrawTraffic('v1'))).resolves.toEqual({ stable: { version: 'v1' } });
    expect(await configs()).toHaveProperty([`us-east-1/${shadowed}`]);
    await standins.seed(await standins.state());
    await expect(reconcile(target, step('v1', 'v2', 10))).resolves.toEqual(step('v1', 'v2', 10));
    expect(Object.keys(await configs()).sort()).toEqual(left);
  });

  it('keeps apart the configs of endpoints whose names share their first 49 characters', async () => {
    const common = 'fraud-detector-production-serving-endpoint-europe';
    const [a, b] = [`${common}-west-1`, `${common}-west-2`];
    const state = await standins.state();
    for (const name of [a, b]) {
      state.sagemaker[`us-east-1/${name}`] = {
        ...structuredClone(state.sagemaker[KEY]),
        EndpointName: name,
        EndpointArn: `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${name}`,
      };
    }
    await standins.seed(state);
    const inUse = async (name: string) =>
      (await standins.state()).sagemaker[`us-east-1/${name}`].EndpointConfigName as string;
    const [targetA, targetB] = [a, b].map((endpoint) =>
      sagemakerTarget({ ...config, endpoint }, 'fraud', anHourLater),
    );
    if (!targetA || !targetB) throw new Error('two targets expected');
    // The same shadow on both: the same content, yet a config of its own for each.
    await reconcile(targetA, mirrorOf('v1', 'v2', 20));
    await reconcile(targetB, mirrorOf('v1', 'v2', 20));
    const shadowB = await inUse(b);
    expect(await inUse(a)).not.toBe(shadowB);
    // A leaving its shadow deletes its own shadow config only: B goes on reading its shadow.
    await reconcile(targetA, withdrawTraffic('v1'));
    expect(await configs()).toHaveProperty([`us-east-1/${shadowB}`]);
    expect(await targetB.read()).toEqual(mirrorOf('v1', 'v2', 20));
    await reconcile(targetB, withdrawTraffic('v1'));
    const [restoredA, restoredB] = [await inUse(a), await inUse(b)];
    expect(restoredA).not.toBe(restoredB);
    expect(Object.keys(await configs()).sort()).toEqual(
      ['us-east-1/fraud-config-3', `us-east-1/${restoredA}`, `us-east-1/${restoredB}`].sort(),
    );
  });

  it('repeats a phase idempotently, also when the config it left is already gone', async () => {
    const target = sagemakerTarget(config, 'fraud', anHourLater);
    await reconcile(target, mirrorOf('v1', 'v2', 20));
    const shadowed = await shadowConfig();
    // While the endpoint leaves the shadow (Updating for one more look), another run deletes the
    // shadow's config: the cleanup, which deletes only what it lists, does not try it again.
    await standins.seed({ ...(await standins.state()), settleGets: 1 });
    let raced = 0;
    const racer = racing(anHourLater, async () => {
      raced++;
      await deleteElsewhere(shadowed);
    });
    const racedTarget = sagemakerTarget(config, 'fraud', racer);
    await expect(reconcile(racedTarget, withdrawTraffic('v1'))).resolves.toEqual({
      stable: { version: 'v1' },
    });
    expect(raced).toBe(1);
    expect(await deleted()).toEqual([shadowed]);
    const restored = (await endpoint()).EndpointConfigName;
    const left = Object.keys(await configs()).sort();
    expect(left).toEqual(['us-east-1/fraud-config-3', `us-east-1/${restored}`].sort());
    // The same phase again: no config made, none deleted (the weights are set again, as always).
    const before = (await operations()).length;
    await expect(reconcile(target, withdrawTraffic('v1'))).resolves.toEqual({ stable: { version: 'v1' } });
    const again = (await operations()).slice(before);
    expect(again).not.toContain('create-endpoint-config');
    expect(again).not.toContain('delete-endpoint-config');
    expect(Object.keys(await configs()).sort()).toEqual(left);
    // The whole shadow again (a re-run of the PR): the same names, and the same configs left.
    await reconcile(target, mirrorOf('v1', 'v2', 20));
    expect((await endpoint()).EndpointConfigName).toBe(shadowed);
    await reconcile(target, withdrawTraffic('v1'));
    expect((await endpoint()).EndpointConfigName).toBe(restored);
    expect(Object.keys(await configs()).sort()).toEqual(left);
    expect(await deleted()).toEqual([shadowed, restored, shadowed]);
  });

  it('makes its config again when another run deletes the old one it reused before the update', async () => {
    // A first shadow and its end leave the shadow's config behind (young on the runner's clock);
    // make it old, as if left by a run long ago, so another run's cleanup may delete it.
    const target = sagemakerTarget(config, 'fraud');
    await reconcile(target, mirrorOf('v1', 'v2', 20));
    await reconcile(target, withdrawTraffic('v1'));
    const shadowed = await shadowConfig();
    const restored = (await endpoint()).EndpointConfigName;
    const old = new Date(Date.now() - 60 * 60_000).toISOString();
    const state = await standins.state();
    state.sagemakerConfigs[`us-east-1/${shadowed}`].CreationTime = old;
    await standins.seed(state);
    // The same shadow again: create-endpoint-config finds the old config, and update-endpoint is
    // throttled; another run's cleanup deletes the old config before it is retried.
    await standins.fault({ cli: 'aws', op: 'update-endpoint', kind: 'throttle', times: 1 });
    const before = (await operations()).length;
    await expect(
      reconcile(
        sagemakerTarget(
          config,
          'fraud',
          racing(systemClock, () => deleteElsewhere(shadowed)),
        ),
        mirrorOf('v1', 'v2', 20),
      ),
    ).resolves.toEqual(mirrorOf('v1', 'v2', 20));
    expect((await operations()).slice(before, before + 10)).toEqual([
      'describe-endpoint',
      'describe-endpoint-config',
      'create-endpoint-config',
      'describe-endpoint',
      'update-endpoint',
      'delete-endpoint-config',
      'update-endpoint',
      'create-endpoint-config',
      'describe-endpoint',
      'update-endpoint',
    ]);
    expect((await endpoint()).EndpointConfigName).toBe(shadowed);
    // Made again now, so cleanups keep it while this run deploys it.
    expect((await configs())[`us-east-1/${shadowed}`].CreationTime).not.toBe(old);
    // Only once: a config deleted again before the second update fails the phase as before.
    await reconcile(target, withdrawTraffic('v1'));
    expect((await endpoint()).EndpointConfigName).toBe(restored);
    // The second deletion lands while the read right before the second update is throttled.
    await standins.fault({ cli: 'aws', op: 'update-endpoint', kind: 'throttle', times: 1 });
    let deletions = 0;
    const deleteAgain = async () => {
      await deleteElsewhere(shadowed);
      if (deletions++ === 0)
        await standins.fault({ cli: 'aws', op: 'describe-endpoint', kind: 'throttle', times: 1 });
    };
    await expect(
      reconcile(
        sagemakerTarget(config, 'fraud', racing(systemClock, deleteAgain, 2)),
        mirrorOf('v1', 'v2', 20),
      ),
    ).rejects.toThrow(
      /\(ValidationException\) when calling the UpdateEndpoint operation: Could not find endpoint configuration "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config\//,
    );
    expect((await endpoint()).EndpointConfigName).toBe(restored);
  });

  it('keeps a config another run made moments ago for its own update, and deletes one long unused', async () => {
    const aws = (...args: string[]) =>
      runCli(['aws', 'sagemaker', ...args, '--region', 'us-east-1'], { timeoutMs: 10_000 });
    const prefix = configNamePrefix('fraud-endpoint');
    const [running, stale, rollback] = ['0000000001', '0000000002', '0000000003'].map((h) => `${prefix}${h}`);
    if (!running || !stale || !rollback) throw new Error('three names expected');
    // The endpoint runs a config model-gate made an hour ago; another one made then is unused since.
    const state = await standins.state();
    for (const name of [running, stale]) {
      state.sagemakerConfigs[`us-east-1/${name}`] = {
        ...SEED_CONFIG,
        EndpointConfigName: name,
        EndpointConfigArn: `arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/${name}`,
        CreationTime: new Date(Date.now() - 60 * 60_000).toISOString(),
      };
    }
    state.sagemaker[KEY].EndpointConfigName = running;
    await standins.seed(state);
    // Another run (a rollback, a re-run) has just made its config and is about to deploy it.
    const variants = JSON.stringify([definition('fraud-v1', 1), definition('fraud-v2', 0)]);
    const made = await aws(
      'create-endpoint-config',
      '--endpoint-config-name',
      rollback,
      '--production-variants',
      variants,
    );
    expect(made.exitCode).toBe(0);
    // This run's canary step (on the runner's own clock) cleans up after it settles.
    await expect(reconcile(sagemakerTarget(config, 'fraud'), step('v1', 'v2', 10))).resolves.toEqual(
      step('v1', 'v2', 10),
    );
    expect(await deleted()).toEqual([stale]);
    expect(Object.keys(await configs()).sort()).toEqual(
      ['us-east-1/fraud-config-3', `us-east-1/${running}`, `us-east-1/${rollback}`].sort(),
    );
    // So the other run's update finds its config.
    const update = ['--endpoint-name', 'fraud-endpoint', '--endpoint-config-name', rollback];
    expect((await aws('update-endpoint', ...update)).exitCode).toBe(0);
  });

  it('reads a shadow it did not set, and a canary step turns it back into a production variant', async () => {
    const state = await standins.state();
    state.sagemakerConfigs['us-east-1/fraud-shadow'] = {
      ...SEED_CONFIG,
      EndpointConfigName: 'fraud-shadow',
      ProductionVariants: [definition('fraud-v1', 1)],
      ShadowProductionVariants: [definition('fraud-v2', 0.05)],
    };
    state.sagemaker[KEY].EndpointConfigName = 'fraud-shadow';
    state.sagemaker[KEY].ProductionVariants = [variant('fraud-v1', 1)];
    state.sagemaker[KEY].ShadowProductionVariants = [variant('fraud-v2', 0.05)];
    await standins.seed(state);
    const target = sagemakerTarget(config, 'fraud', anHourLater);
    expect(await target.read()).toEqual({ stable: { version: 'v1' }, mirror: { version: 'v2', share: 5 } });
    await expect(reconcile(target, step('v1', 'v2', 10))).resolves.toEqual(step('v1', 'v2', 10));
    expect(await operations()).not.toContain('update-endpoint-weights-and-capacities');
    expect((await created()).at(-1)?.production).toEqual([
      definition('fraud-v1', 90),
      definition('fraud-v2', 10),
    ]);
    // The shadow config was the user's: it stays.
    expect(await configs()).toHaveProperty(['us-east-1/fraud-shadow']);
    expect(await operations()).not.toContain('delete-endpoint-config');
  });

  it('refuses a shadow SageMaker cannot run, saying why, before changing anything', async () => {
    const target = sagemakerTarget(config, 'fraud', anHourLater);
    const withCanary = { ...step('v1', 'v2', 10), mirror: { version: 'v2', share: 10 } };
    await expect(reconcile(target, withCanary)).rejects.toThrow(
      'SageMaker cannot shadow v2 while v2 takes 10% of live traffic: an endpoint with a shadow variant has exactly one production variant',
    );
    await expect(reconcile(target, mirrorOf('v1', 'v2', 150))).rejects.toThrow(
      'SageMaker copies at most 100% of requests to a shadow variant, asked for 150%',
    );
    expect(await operations()).toEqual([]);
    await expect(reconcile(target, mirrorOf('v1', 'v3', 10))).rejects.toThrow(
      'SageMaker endpoint fraud-endpoint (us-east-1) has no variant fraud-v3 (version v3); it has fraud-v1, fraud-v2. Deploy the version to the endpoint (with 0% traffic) before the release, e.g. create an endpoint config with its variants as',
    );
    // A variant no step names is left out of a shadow's config, but never one that serves: the
    // user sends 10% to v0 by hand (sagemaker-leftover-variants.test.ts: those without traffic).
    const state = await standins.state();
    state.sagemakerConfigs['us-east-1/fraud-config-3'].ProductionVariants.push(definition('fraud-v0', 0.1));
    state.sagemaker[KEY].ProductionVariants.push(variant('fraud-v0', 0.1));
    await standins.seed(state);
    await expect(reconcile(target, mirrorOf('v1', 'v2', 10))).rejects.toThrow(
      'SageMaker endpoint fraud-endpoint (us-east-1) also sends live traffic to the variant fraud-v0 (weight 0.1); SageMaker allows one production variant beside a shadow variant, and model-gate removes no variant that serves: take its traffic off first',
    );
    expect(await operations()).not.toContain('create-endpoint-config');
    expect(await weights()).toEqual({ 'fraud-v1': 1, 'fraud-v2': 0, 'fraud-v0': 0.1 });
  });

  // The endpoint lists fraud-v3, but the config it runs has no definition of it to copy into the
  // shadow's config: refused as not deployed, with the calls that add it, so a rollback says its own words.
  it('refuses a shadow of a variant its endpoint config does not define as not deployed, naming the calls', async () => {
    const state = await standins.state();
    state.sagemaker[KEY].ProductionVariants.push(variant('fraud-v3', 0));
    await standins.seed(state);
    const target = sagemakerTarget(config, 'fraud', anHourLater);

    const error = await reconcile(target, mirrorOf('v1', 'v3', 10)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(NotDeployedError);
    expect((error as NotDeployedError).versions).toEqual(['v3']);
    expect((error as Error).message).toBe(
      "SageMaker endpoint fraud-endpoint (us-east-1) has no variant fraud-v3 (version v3); it has fraud-v1, fraud-v2. Deploy the version to the endpoint (with 0% traffic) before the release, e.g. create an endpoint config with its variants as `aws sagemaker describe-endpoint-config --endpoint-config-name fraud-config-3 --region us-east-1` shows them plus fraud-v3 at InitialVariantWeight 0 (`aws sagemaker create-endpoint-config --endpoint-config-name NEW_CONFIG --production-variants '[...]' --region us-east-1`) and deploy it (`aws sagemaker update-endpoint --endpoint-name fraud-endpoint --endpoint-config-name NEW_CONFIG --region us-east-1`)",
    );
    expect((await operations()).filter((op) => !op?.startsWith('describe-'))).toEqual([]);
  });

  it('names configs within SageMaker rules, the same for the same content', () => {
    const long = `e${'-x'.repeat(31)}`;
    const name = endpointConfigName(long, ['--production-variants', '[]']);
    expect(name).toHaveLength(63);
    expect(name).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
    expect(endpointConfigName(long, ['--production-variants', '[]'])).toBe(name);
    expect(endpointConfigName(long, ['--production-variants', '[{}]'])).not.toBe(name);
    expect(endpointConfigName('fraud', [])).toMatch(/^fraud-mg-[0-9a-f]{8}-[0-9a-f]{10}$/);
    // Only the names it makes count as model-gate's (the only configs it ever deletes).
    const prefix = configNamePrefix('fraud');
    expect(madeByModelGate(long, name)).toBe(true);
    expect(madeByModelGate('fraud', endpointConfigName('fraud', []))).toBe(true);
    expect(madeByModelGate('fraud', `${prefix}0123456789`)).toBe(true);
    for (const other of [
      'fraud-config-3',
      `${prefix}012345678`,
      `${prefix}01234567890`,
      `${prefix}ABCDEF0123`,
      'fraud-mg-prod-12345',
      `x${prefix}0123456789`,
      'fraud-x-mg-0123456789',
      // As model-gate named them before the hash of the endpoint's name.
      'fraud-mg-0123456789',
    ]) {
      expect(madeByModelGate('fraud', other), other).toBe(false);
    }
    expect(madeByModelGate('fraud-x', endpointConfigName('fraud', []))).toBe(false);
  });

  it('names the configs of endpoints whose names share their first 49 characters apart', () => {
    const common = 'fraud-detector-production-serving-endpoint-europe';
    expect(common).toHaveLength(49);
    const [a, b] = [`${common}-west-1`, `${common}-west-2`];
    const args = ['--production-variants', '[]'];
    const [forA, forB] = [endpointConfigName(a, args), endpointConfigName(b, args)];
    expect(forA).not.toBe(forB);
    for (const name of [forA, forB]) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
    }
    expect(madeByModelGate(a, forA)).toBe(true);
    expect(madeByModelGate(a, forB)).toBe(false);
    expect(madeByModelGate(b, forA)).toBe(false);
  });

  it('has a stand-in aws that keeps the endpoint config contract', async () => {
    const aws = (...args: string[]) =>
      runCli(['aws', 'sagemaker', ...args, '--region', 'us-east-1'], { timeoutMs: 10_000 });
    const create = (name: string, production: unknown[], shadow?: unknown[]) =>
      aws(
        'create-endpoint-config',
        '--endpoint-config-name',
        name,
        '--production-variants',
        JSON.stringify(production),
        ...(shadow ? ['--shadow-production-variants', JSON.stringify(shadow)] : []),
      );
    const two = [definition('fraud-v1', 1), definition('fraud-v0', 1)];
    const refused = await create('fraud-two', two, [definition('fraud-v2', 1)]);
    expect(refused.exitCode).toBe(254);
    expect(refused.stderr).toContain(
      'An error occurred (ValidationException) when calling the CreateEndpointConfig operation: With ShadowProductionVariants you can only specify one variant for ProductionVariants and one variant for ShadowProductionVariants; got 2 and 1.',
    );
    expect((await create('fraud-config-3', [definition('fraud-v1', 1)])).stderr).toContain(
      'Cannot create already existing endpoint configuration "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/fraud-config-3".',
    );
    expect((await create('fraud_config', [definition('fraud-v1', 1)])).stderr).toContain(
      "Value 'fraud_config' at 'endpointConfigName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
    );
    const unknown = await create('fraud-x', [{ VariantName: 'fraud-v1', Weight: 1 }]);
    expect(unknown.exitCode).toBe(252);
    expect(unknown.stderr).toContain(
      'Unknown parameter in ProductionVariants[0]: "Weight", must be one of: VariantName, ModelName',
    );
    const missing = await aws('create-endpoint-config', '--endpoint-config-name', 'fraud-x');
    expect(missing).toMatchObject({ exitCode: 252 });
    expect(missing.stderr).toContain(
      'aws: error: the following arguments are required: --production-variants',
    );
    const nowhere = await aws(
      'update-endpoint',
      '--endpoint-name',
      'fraud-endpoint',
      '--endpoint-config-name',
      'nope',
    );
    expect(nowhere.stderr).toContain(
      'An error occurred (ValidationException) when calling the UpdateEndpoint operation: Could not find endpoint configuration "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/nope".',
    );
    expect(await configs()).toEqual({ 'us-east-1/fraud-config-3': SEED_CONFIG });
    // A good config: the endpoint goes Updating (with the pending config), then InService on it.
    await standins.seed({ ...(await standins.state()), settleGets: 1 });
    expect(
      (await create('fraud-shadow', [definition('fraud-v1', 1)], [definition('fraud-v2', 0.5)])).exitCode,
    ).toBe(0);
    expect(
      (
        await aws(
          'update-endpoint',
          '--endpoint-name',
          'fraud-endpoint',
          '--endpoint-config-name',
          'fraud-shadow',
        )
      ).exitCode,
    ).toBe(0);
    const describe = async () =>
      JSON.parse((await aws('describe-endpoint', '--endpoint-name', 'fraud-endpoint')).stdout);
    expect(await describe()).toMatchObject({
      EndpointStatus: 'Updating',
      PendingDeploymentSummary: { EndpointConfigName: 'fraud-shadow' },
    });
    expect(await describe()).toMatchObject({
      EndpointStatus: 'InService',
      EndpointConfigName: 'fraud-shadow',
      ProductionVariants: [{ VariantName: 'fraud-v1', CurrentWeight: 1 }],
      ShadowProductionVariants: [{ VariantName: 'fraud-v2', CurrentWeight: 0.5 }],
    });
  });

  it('has a stand-in aws delete-endpoint-config as the CLI and the API reference describe it', async () => {
    const aws = (...args: string[]) =>
      runCli(['aws', 'sagemaker', ...args, '--region', 'us-east-1'], { timeoutMs: 10_000 });
    const remove = (...args: string[]) => aws('delete-endpoint-config', ...args);
    const unknown = await remove('--endpoint-config-name', 'fraud-config-3', '--force');
    expect(unknown.exitCode).toBe(252);
    expect(unknown.stderr).toContain('Unknown options: --force');
    const unnamed = await remove();
    expect(unnamed.exitCode).toBe(252);
    expect(unnamed.stderr).toContain(
      'aws: error: the following arguments are required: --endpoint-config-name',
    );
    expect((await remove('--endpoint-config-name', 'fraud_config')).stderr).toContain(
      "An error occurred (ValidationException) when calling the DeleteEndpointConfig operation: 1 validation error detected: Value 'fraud_config' at 'endpointConfigName' failed to satisfy constraint: Member must satisfy regular expression pattern",
    );
    const absent = await remove('--endpoint-config-name', 'nope');
    expect(absent.exitCode).toBe(254);
    expect(absent.stderr).toContain(
      'An error occurred (ValidationException) when calling the DeleteEndpointConfig operation: Could not find endpoint configuration "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/nope".',
    );
    // A config no endpoint uses: deleted, and the CLI prints nothing (the API answers an empty body).
    const state = await standins.state();
    state.sagemakerConfigs['us-east-1/fraud-old'] = { ...SEED_CONFIG, EndpointConfigName: 'fraud-old' };
    await standins.seed(state);
    expect(await remove('--endpoint-config-name', 'fraud-old')).toMatchObject({ exitCode: 0, stdout: '' });
    expect(Object.keys(await configs())).toEqual(['us-east-1/fraud-config-3']);
    expect((await remove('--endpoint-config-name', 'fraud-old')).exitCode).toBe(254);
    // The config an endpoint uses: SageMaker says it must not be deleted, but does not refuse; the
    // endpoint goes on serving, and its config can no longer be described.
    expect((await remove('--endpoint-config-name', 'fraud-config-3')).exitCode).toBe(0);
    const described = JSON.parse(
      (await aws('describe-endpoint', '--endpoint-name', 'fraud-endpoint')).stdout,
    );
    expect(described).toMatchObject({
      EndpointStatus: 'InService',
      EndpointConfigName: 'fraud-config-3',
      ProductionVariants: [{ VariantName: 'fraud-v1' }, { VariantName: 'fraud-v2' }],
    });
    expect(
      (await aws('describe-endpoint-config', '--endpoint-config-name', 'fraud-config-3')).stderr,
    ).toContain('when calling the DescribeEndpointConfig operation: Could not find endpoint configuration');
  });

  it('has a stand-in aws list-endpoint-configs as the CLI and the API reference describe it', async () => {
    const list = async (...args: string[]) =>
      runCli(['aws', 'sagemaker', 'list-endpoint-configs', ...args, '--region', 'us-east-1'], {
        timeoutMs: 10_000,
      });
    const state = await standins.state();
    state.sagemakerConfigs['us-east-1/fraud-config-1'] = {
      ...SEED_CONFIG,
      EndpointConfigName: 'fraud-config-1',
      EndpointConfigArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/fraud-config-1',
      CreationTime: '2025-06-01T00:00:00Z',
    };
    state.sagemakerConfigs['eu-west-1/fraud-config-9'] = {
      ...SEED_CONFIG,
      EndpointConfigName: 'fraud-config-9',
    };
    await standins.seed(state);
    const summary = (name: string, created: string) => ({
      EndpointConfigName: name,
      EndpointConfigArn: `arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/${name}`,
      CreationTime: created,
    });
    // Every page at once, newest first by default; the name filter matches anywhere in the name.
    expect(JSON.parse((await list()).stdout)).toEqual({
      EndpointConfigs: [
        summary('fraud-config-3', '2026-01-01T00:00:00Z'),
        summary('fraud-config-1', '2025-06-01T00:00:00Z'),
      ],
    });
    expect(JSON.parse((await list('--name-contains', 'config-1')).stdout)).toEqual({
      EndpointConfigs: [summary('fraud-config-1', '2025-06-01T00:00:00Z')],
    });
    expect(JSON.parse((await list('--name-contains', 'nothing')).stdout)).toEqual({ EndpointConfigs: [] });
    const byName = JSON.parse((await list('--sort-by', 'Name', '--sort-order', 'Ascending')).stdout);
    expect(byName.EndpointConfigs.map((c: { EndpointConfigName: string }) => c.EndpointConfigName)).toEqual([
      'fraud-config-1',
      'fraud-config-3',
    ]);
    const badFilter = await list('--name-contains', 'fraud_config');
    expect(badFilter.exitCode).toBe(254);
    expect(badFilter.stderr).toContain(
      "An error occurred (ValidationException) when calling the ListEndpointConfigs operation: 1 validation error detected: Value 'fraud_config' at 'nameContains' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-]+",
    );
    expect((await list('--sort-by', 'Size')).stderr).toContain(
      "Value 'Size' at 'sortBy' failed to satisfy constraint: Member must satisfy enum value set: [Name, CreationTime]",
    );
    const unknown = await list('--endpoint-config-name', 'fraud-config-3');
    expect(unknown.exitCode).toBe(252);
    expect(unknown.stderr).toContain('Unknown options: --endpoint-config-name');
  });

  it('has a stand-in aws that records when a config was made and lists those made before a time', async () => {
    const aws = (...args: string[]) =>
      runCli(['aws', 'sagemaker', ...args, '--region', 'us-east-1'], { timeoutMs: 10_000 });
    const names = async (...args: string[]) => {
      const listed = await aws('list-endpoint-configs', ...args);
      expect(listed.exitCode, listed.stderr).toBe(0);
      return JSON.parse(listed.stdout).EndpointConfigs.map(
        (c: { EndpointConfigName: string }) => c.EndpointConfigName,
      );
    };
    const before = Date.now();
    const variants = JSON.stringify([definition('fraud-v1', 1)]);
    expect(
      (
        await aws(
          'create-endpoint-config',
          '--endpoint-config-name',
          'fraud-new',
          '--production-variants',
          variants,
        )
      ).exitCode,
    ).toBe(0);
    const after = Date.now();
    // Printed as CLI v2 prints times by default: ISO 8601 with the zone's offset (UTC on a runner).
    const listed = JSON.parse((await aws('list-endpoint-configs', '--name-contains', 'fraud-new')).stdout);
    const created: string = listed.EndpointConfigs[0].CreationTime;
    expect(created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
    expect(Date.parse(created)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(created)).toBeLessThanOrEqual(after);
    expect(await names()).toEqual(['fraud-new', 'fraud-config-3']);
    // Only those created before the time given, in any form the CLI takes; fraud-config-3 is from
    // 2026-01-01T00:00:00Z.
    expect(await names('--creation-time-before', new Date(before).toISOString())).toEqual(['fraud-config-3']);
    expect(await names('--creation-time-before', String(Date.UTC(2026, 0, 2) / 1000))).toEqual([
      'fraud-config-3',
    ]);
    expect(await names('--creation-time-before', '2026-01-01')).toEqual([]);
    expect(await names('--creation-time-before', '2026-01-01T01:00:00+02:00')).toEqual([]);
    expect(await names('--creation-time-before', '2026-01-01T00:00:00.001Z')).toEqual(['fraud-config-3']);
    expect(await names('--creation-time-before', '2026-01-01T00:00:00', '--name-contains', 'config')).toEqual(
      [],
    );
    // A time botocore cannot read is refused before any call.
    for (const bad of ['yesterday', '2026-13-01']) {
      const refused = await aws('list-endpoint-configs', '--creation-time-before', bad);
      expect(refused.exitCode).toBe(252);
      expect(refused.stderr).toContain(
        `Parameter validation failed:\nInvalid type for parameter CreationTimeBefore, value: ${bad}, type: <class 'str'>, valid types: <class 'datetime.datetime'>, timestamp-string`,
      );
    }
  });
});
