import { beforeEach, describe, expect, it } from 'vitest';
import type { AzureMlTargetConfig } from '../../src/config/types.js';
import { TargetError } from '../../src/core/errors.js';
import { azuremlTarget, azureTraffic, trafficArgument } from '../../src/targets/azureml-target.js';
import { runCli } from '../../src/targets/cli.js';
import { TargetBusyError } from '../../src/targets/errors.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { useStandins } from '../support/standin-server.js';
import {
  FAST,
  failingCanary,
  failingShadow,
  mirrorOf,
  passingAb,
  passingBlueGreen,
  passingCanary,
  passingShadow,
  step,
  unreachedShadow,
} from './drive.js';

const KEY = 'default/ml-prod/fraud-ws/fraud-endpoint';
const config: AzureMlTargetConfig = {
  type: 'azureml',
  endpoint: 'fraud-endpoint',
  resourceGroup: 'ml-prod',
  workspace: 'fraud-ws',
  deployment: 'fraud-{{version}}',
  ...FAST,
};

const standins = useStandins('az');
const endpoint = async () => (await standins.state()).azureml[KEY];
/** The `--traffic` and `--mirror-traffic` values of each update sent. */
const updates = async () =>
  (await standins.calls('az'))
    .filter((c) => c.argv[2] === 'update')
    .map(({ argv }) => {
      const value = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
      return { traffic: value('--traffic'), mirror: value('--mirror-traffic') };
    });

beforeEach(async () => {
  await standins.seed({
    azureml: {
      [KEY]: {
        name: 'fraud-endpoint',
        auth_mode: 'key',
        kind: 'Managed',
        location: 'westeurope',
        provisioning_state: 'Succeeded',
        scoring_uri: 'https://fraud-endpoint.westeurope.inference.ml.azure.com/score',
        traffic: { 'fraud-v1': 100 },
        mirror_traffic: {},
        _deployments: ['fraud-v1', 'fraud-v2'],
      },
    },
  });
});

describe('azureml target on a stand-in az CLI', () => {
  it('drives a passing blue-green and promotes green with blue kept deployed', async () => {
    const seen = await passingBlueGreen(azuremlTarget(config, 'fraud'), 'v1', 'v2');
    expect(seen.at(-1)).toEqual({ stable: { version: 'v2' }, canary: { version: 'v1', weight: 0 } });
    expect((await endpoint()).traffic).toEqual({ 'fraud-v1': 0, 'fraud-v2': 100 });
  });

  it('drives a passing canary through the endpoint traffic and promotes the candidate', async () => {
    const target = azuremlTarget(config, 'fraud');
    const seen = await passingCanary(target, 'v1', 'v2');
    expect(seen.at(-1)).toEqual({ stable: { version: 'v2' } });
    expect((await endpoint()).traffic).toEqual({ 'fraud-v1': 0, 'fraud-v2': 100 });
    const updates = (await standins.calls('az'))
      .filter((c) => c.argv[2] === 'update')
      .map((c) => c.argv.at(-1));
    expect(updates).toEqual([
      'fraud-v1=90 fraud-v2=10',
      'fraud-v1=50 fraud-v2=50',
      'fraud-v1=100 fraud-v2=0',
      'fraud-v1=0 fraud-v2=100',
    ]);
  });

  it('runs an A/B as a per-request split of the endpoint traffic; the sticky key is not read back', async () => {
    const seen = await passingAb(azuremlTarget(config, 'fraud'), 'v1', 'v2', 30);
    expect(seen).toEqual([step('v1', 'v2', 30), step('v1', 'v2', 0), { stable: { version: 'v2' } }]);
    expect((await updates()).map((u) => u.traffic)).toEqual([
      'fraud-v1=70 fraud-v2=30',
      'fraud-v1=100 fraud-v2=0',
      'fraud-v1=0 fraud-v2=100',
    ]);
  });

  it('rolls a failing canary back to the stable deployment only', async () => {
    await failingCanary(azuremlTarget(config, 'fraud'), 'v1', 'v2');
    expect((await endpoint()).traffic).toEqual({ 'fraud-v1': 100, 'fraud-v2': 0 });
  });

  it('catches an update that reported success while the traffic stayed as it was', async () => {
    await standins.fault({ cli: 'az', op: 'update', kind: 'silent-revert', times: 1 });
    // Read again until the settle-timeout (2s), as Azure's show may lag: still not what was sent.
    await expect(reconcile(azuremlTarget(config, 'fraud'), step('v1', 'v2', 10))).rejects.toThrow(
      /^Azure ML endpoint fraud-endpoint \(workspace fraud-ws\) serves v1 100% after being asked for v1 90% \/ v2 10% \(read back \d+ times over 2s after the update\)/,
    );
  });

  it('treats an Updating endpoint as locked: waits, then gives up with a busy error', async () => {
    const state = await standins.state();
    state.azureml[KEY].provisioning_state = 'Updating';
    state.azureml[KEY]._updatingShows = 2;
    await standins.seed(state);
    await expect(reconcile(azuremlTarget(config, 'fraud'), step('v1', 'v2', 10))).resolves.toEqual(
      step('v1', 'v2', 10),
    );

    state.azureml[KEY]._updatingShows = 1000;
    await standins.seed(state);
    const impatient = azuremlTarget({ ...config, settleTimeoutMs: 100, pollIntervalMs: 20 }, 'fraud');
    const err = await reconcile(impatient, step('v1', 'v2', 10)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetBusyError);
    expect((err as Error).message).toContain('its provisioning state is still Updating; try again later');
    // Nothing was sent while the endpoint was locked.
    expect((await standins.calls('az')).filter((c) => c.argv[2] === 'update')).toEqual([]);
  });

  it('retries an update refused with a conflict, and a throttled show', async () => {
    await standins.fault(
      { cli: 'az', op: 'update', kind: 'busy', times: 2 },
      { cli: 'az', op: 'show', kind: 'throttle', times: 1 },
    );
    await expect(reconcile(azuremlTarget(config, 'fraud'), step('v1', 'v2', 10))).resolves.toEqual(
      step('v1', 'v2', 10),
    );
  });

  it('repeats an update whose answer was lost (the traffic landed, az said InternalServerError), and reports a missing deployment', async () => {
    await standins.fault({ cli: 'az', op: 'update', kind: 'partial', times: 1 });
    const target = azuremlTarget(config, 'fraud');
    await expect(reconcile(target, step('v1', 'v2', 10))).resolves.toEqual(step('v1', 'v2', 10));
    const updates = (await standins.calls('az')).filter((c) => c.argv[2] === 'update');
    expect(updates.map((c) => c.argv[c.argv.indexOf('--traffic') + 1])).toEqual([
      'fraud-v1=90 fraud-v2=10',
      'fraud-v1=90 fraud-v2=10',
    ]);
    // The rollback still works from whatever state the platform was left in.
    await expect(reconcile(target, { stable: { version: 'v1' } })).resolves.toEqual({
      stable: { version: 'v1' },
    });
    await expect(reconcile(target, step('v1', 'v3', 10))).rejects.toThrow(
      /Deployment fraud-v3 does not exist in endpoint fraud-endpoint/,
    );
  });

  it('keeps to the 50% mirror limit and never mirrors to a deployment with live traffic', () => {
    expect(azureTraffic({ blue: 90, green: 10 }, {}, ['blue', 'green', 'old'])).toEqual({
      traffic: { blue: 90, green: 10, old: 0 },
      mirror: {},
    });
    expect(azureTraffic({ blue: 100 }, { green: 50 }, ['blue', 'green']).mirror).toEqual({ green: 50 });
    expect(() => azureTraffic({ blue: 100 }, { green: 60 }, [])).toThrow(
      'Azure ML mirrors at most 50% of live traffic, asked for 60%',
    );
    expect(() => azureTraffic({ blue: 90, green: 10 }, { green: 10 }, [])).toThrow(
      'Azure ML cannot mirror traffic to green, which also takes live traffic',
    );
    expect(() => azureTraffic({ blue: 87.5, green: 12.5 }, {}, [])).toThrow(
      'Azure ML takes whole percentages of traffic, got 87.5% for blue',
    );
    expect(trafficArgument({ blue: 90, green: 10 })).toBe('blue=90 green=10');
  });
});

describe('azureml target: shadow through the endpoint mirror traffic', () => {
  it('mirrors the shadow phase, reads the mirror back, and stops it when the phase ends', async () => {
    const seen = await passingShadow(azuremlTarget(config, 'fraud'), 'v1', 'v2', 20);
    expect(seen).toEqual([
      mirrorOf('v1', 'v2', 20),
      { stable: { version: 'v1' } },
      { stable: { version: 'v2' } },
    ]);
    // Stopping a mirror is setting it to 0, as Azure documents it.
    expect(await updates()).toEqual([
      { traffic: 'fraud-v1=100', mirror: 'fraud-v2=20' },
      { traffic: 'fraud-v1=100 fraud-v2=0', mirror: 'fraud-v2=0' },
      { traffic: 'fraud-v1=0 fraud-v2=100' },
    ]);
    expect(await endpoint()).toMatchObject({
      traffic: { 'fraud-v1': 0, 'fraud-v2': 100 },
      mirror_traffic: { 'fraud-v2': 0 },
    });
  });

  it('stops the mirror in the same update that promotes the shadow or rolls it back', async () => {
    const target = azuremlTarget(config, 'fraud');
    await reconcile(target, mirrorOf('v1', 'v2', 50));
    await expect(reconcile(target, { stable: { version: 'v2' } })).resolves.toEqual({
      stable: { version: 'v2' },
    });
    expect((await updates()).at(-1)).toEqual({ traffic: 'fraud-v1=0 fraud-v2=100', mirror: 'fraud-v2=0' });

    await standins.seed({
      azureml: { [KEY]: { name: 'fraud-endpoint', traffic: { 'fraud-v1': 100, 'fraud-v2': 0 } } },
    });
    const seen = await failingShadow(azuremlTarget(config, 'fraud'), 'v1', 'v2');
    expect(seen).toEqual([mirrorOf('v1', 'v2', 10), { stable: { version: 'v1' } }]);
    expect((await updates()).at(-1)).toEqual({ traffic: 'fraud-v1=100 fraud-v2=0', mirror: 'fraud-v2=0' });
  });

  it('catches an update that applied the traffic but lost the mirror, and still rolls back', async () => {
    await standins.fault({ cli: 'az', op: 'update', kind: 'drop-mirror', times: 1 });
    const { error, rolledBack } = await unreachedShadow(azuremlTarget(config, 'fraud'), 'v1', 'v2');
    expect(error).toBeInstanceOf(TargetError);
    expect((error as Error).message).toMatch(
      /^Azure ML endpoint fraud-endpoint \(workspace fraud-ws\) serves v1 100% after being asked for v1 100% \(\+ mirror 10% to v2\) \(read back \d+ times over 2s after the update\)/,
    );
    expect(rolledBack).toEqual({ stable: { version: 'v1' } });
    expect(await endpoint()).toMatchObject({
      traffic: { 'fraud-v1': 100, 'fraud-v2': 0 },
      mirror_traffic: {},
    });
  });

  it('takes over a mirror it did not set: a canary step stops it, a read reports it', async () => {
    const state = await standins.state();
    state.azureml[KEY].mirror_traffic = { 'fraud-old': 5 };
    state.azureml[KEY]._deployments.push('fraud-old');
    await standins.seed(state);
    const target = azuremlTarget(config, 'fraud');
    expect(await target.read()).toEqual({ stable: { version: 'v1' }, mirror: { version: 'old', share: 5 } });
    await expect(reconcile(target, step('v1', 'v2', 10))).resolves.toEqual(step('v1', 'v2', 10));
    expect(await updates()).toEqual([{ traffic: 'fraud-v1=90 fraud-v2=10', mirror: 'fraud-old=0' }]);
  });

  it('refuses a mirror Azure ML cannot take before any call, and reports one to a missing deployment', async () => {
    const target = azuremlTarget(config, 'fraud');
    await expect(reconcile(target, mirrorOf('v1', 'v2', 60))).rejects.toThrow(
      'Azure ML mirrors at most 50% of live traffic, asked for 60%',
    );
    await expect(reconcile(target, mirrorOf('v1', 'v2', 12.5))).rejects.toThrow(
      'Azure ML takes whole percentages of traffic, got 12.5% for fraud-v2',
    );
    expect(await updates()).toEqual([]);
    await expect(reconcile(target, mirrorOf('v1', 'v3', 10))).rejects.toThrow(
      /Deployment fraud-v3 does not exist in endpoint fraud-endpoint/,
    );
  });

  it("has a stand-in az that keeps Azure ML's mirror limits", async () => {
    const update = (...flags: string[]) =>
      runCli(
        [
          'az',
          'ml',
          'online-endpoint',
          'update',
          '-n',
          'fraud-endpoint',
          '-g',
          'ml-prod',
          '-w',
          'fraud-ws',
          ...flags,
        ],
        { timeoutMs: 10_000 },
      );
    expect((await update('--mirror-traffic', 'fraud-v2=60')).stderr).toContain(
      'Mirror traffic values need to sum to utmost 50; they sum to 60',
    );
    expect(
      (await update('--traffic', 'fraud-v1=90 fraud-v2=10', '--mirror-traffic', 'fraud-v2=10')).stderr,
    ).toContain('Deployment fraud-v2 cannot receive both live and mirrored traffic');
    expect((await update('--mirror-traffic', 'fraud-v3=10')).stderr).toContain(
      'Deployment fraud-v3 does not exist in endpoint fraud-endpoint',
    );
    expect(await update('--mirror-traffic', '')).toMatchObject({ exitCode: 2 });
    expect(await endpoint()).toMatchObject({ traffic: { 'fraud-v1': 100 }, mirror_traffic: {} });
    expect(await update('--mirror-traffic', 'fraud-v2=50')).toMatchObject({ exitCode: 0 });
    expect((await endpoint()).mirror_traffic).toEqual({ 'fraud-v2': 50 });
  });
});
