import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AzureMlTargetConfig } from '../../src/config/types.js';
import { TargetError } from '../../src/core/errors.js';
import { azuremlTarget, azureTraffic, trafficArgument } from '../../src/targets/azureml-target.js';
import { TargetBusyError } from '../../src/targets/errors.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { installStandins, type Standins } from '../support/standin-cli.js';
import { FAST, failingCanary, passingCanary, step } from './drive.js';

const KEY = 'default/ml-prod/fraud-ws/fraud-endpoint';
const config: AzureMlTargetConfig = {
  type: 'azureml',
  endpoint: 'fraud-endpoint',
  resourceGroup: 'ml-prod',
  workspace: 'fraud-ws',
  deployment: 'fraud-{{version}}',
  ...FAST,
};

let standins: Standins;
const endpoint = async () => (await standins.state()).azureml[KEY];

beforeAll(async () => {
  standins = await installStandins();
});
afterAll(async () => {
  await standins?.remove();
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

  it('rolls a failing canary back to the stable deployment only', async () => {
    await failingCanary(azuremlTarget(config, 'fraud'), 'v1', 'v2');
    expect((await endpoint()).traffic).toEqual({ 'fraud-v1': 100, 'fraud-v2': 0 });
  });

  it('catches an update that reported success while the traffic stayed as it was', async () => {
    await standins.fault({ cli: 'az', op: 'update', kind: 'silent-revert', times: 1 });
    await expect(reconcile(azuremlTarget(config, 'fraud'), step('v1', 'v2', 10))).rejects.toThrow(
      new TargetError(
        'Azure ML endpoint fraud-endpoint (workspace fraud-ws) serves v1 100% after being asked for v1 90% / v2 10%',
      ),
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

  it('reports a command that failed after the traffic changed, and a missing deployment', async () => {
    await standins.fault({ cli: 'az', op: 'update', kind: 'partial', times: 1 });
    const target = azuremlTarget(config, 'fraud');
    await expect(reconcile(target, step('v1', 'v2', 10))).rejects.toThrow(
      /failed \(exit 1\) on Azure ML endpoint fraud-endpoint .*InternalServerError/,
    );
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
