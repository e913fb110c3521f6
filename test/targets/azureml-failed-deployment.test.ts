import { beforeEach, describe, expect, it } from 'vitest';
import type { AzureMlTargetConfig } from '../../src/config/types.js';
import { stableOnly } from '../../src/core/traffic.js';
import { azuremlTarget } from '../../src/targets/azureml-target.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { AZUREML_KEY, azuremlFraudEndpoint } from '../support/fraud-endpoints.js';
import { useStandins } from '../support/standin-server.js';
import { FAST, mirrorOf, step } from './drive.js';

// A deployment has its own provisioning state (DeploymentProvisioningState: Creating, Deleting,
// Scaling, Updating, Succeeded, Failed, Canceled). One whose last create or update Failed (or was
// Canceled) stays listed in the endpoint's traffic, so the endpoint alone does not show it: the
// target used to send a canary step or a mirror to it all the same.

const config: AzureMlTargetConfig = {
  type: 'azureml',
  endpoint: 'fraud-endpoint',
  resourceGroup: 'ml-prod',
  workspace: 'fraud-ws',
  deployment: 'fraud-{{version}}',
  ...FAST,
};

const standins = useStandins('az');
const endpoint = async () => (await standins.state()).azureml[AZUREML_KEY];
/** The endpoint as azuremlFraudEndpoint has it (fraud-v1 100%, fraud-v2 deployed), with `fields`. */
const seedEndpoint = (fields: Record<string, unknown>) =>
  standins.seed({
    azureml: { [AZUREML_KEY]: { ...azuremlFraudEndpoint().azureml[AZUREML_KEY], ...fields } },
  });
const updates = async () => (await standins.calls('az')).filter((c) => c.argv[2] === 'update');

beforeEach(() => seedEndpoint({}));

describe('an Azure ML deployment left Failed or Canceled', () => {
  it.each([
    ['Failed', 'failed'],
    ['Canceled', 'was canceled'],
  ])('takes no canary step nor mirror when the candidate’s deployment is %s', async (state, what) => {
    await seedEndpoint({ _deploymentStates: { 'fraud-v2': state } });
    const target = azuremlTarget(config, 'fraud');
    await expect(reconcile(target, step('v1', 'v2', 10))).rejects.toThrow(
      `Azure ML endpoint fraud-endpoint (workspace fraud-ws): the deployment fraud-v2 (version v2) is ${state}: its last create or update ${what}, so model-gate sends it no traffic. See why with \`az ml online-deployment get-logs --name fraud-v2 --endpoint-name fraud-endpoint --resource-group ml-prod --workspace-name fraud-ws\`, create or update it until it is Succeeded (\`az ml online-deployment update --name fraud-v2 --endpoint-name fraud-endpoint --resource-group ml-prod --workspace-name fraud-ws --file <its YAML>\`), then run model-gate again`,
    );
    await expect(reconcile(target, mirrorOf('v1', 'v2', 10))).rejects.toThrow(
      `the deployment fraud-v2 (version v2) is ${state}`,
    );
    expect(await updates()).toEqual([]);
    expect(await endpoint()).toMatchObject({ traffic: { 'fraud-v1': 100 }, mirror_traffic: {} });
  });

  it('takes no larger step onto a candidate whose deployment failed mid-release', async () => {
    await seedEndpoint({
      traffic: { 'fraud-v1': 90, 'fraud-v2': 10 },
      _deploymentStates: { 'fraud-v2': 'Failed' },
    });
    await expect(reconcile(azuremlTarget(config, 'fraud'), step('v1', 'v2', 50))).rejects.toThrow(
      'the deployment fraud-v2 (version v2) is Failed',
    );
    expect((await endpoint()).traffic).toEqual({ 'fraud-v1': 90, 'fraud-v2': 10 });
  });

  it('still withdraws the candidate onto a stable deployment that is Failed: stable serving comes first', async () => {
    await seedEndpoint({
      traffic: { 'fraud-v1': 90, 'fraud-v2': 10 },
      _deploymentStates: { 'fraud-v1': 'Failed' },
    });
    await expect(reconcile(azuremlTarget(config, 'fraud'), stableOnly('v1'))).resolves.toEqual(
      stableOnly('v1'),
    );
    expect((await endpoint()).traffic).toEqual({ 'fraud-v1': 100, 'fraud-v2': 0 });
  });

  it('takes no rollback onto a Failed blue kept at 0%: green keeps serving, the error says why', async () => {
    await seedEndpoint({
      traffic: { 'fraud-v1': 0, 'fraud-v2': 100 },
      _deploymentStates: { 'fraud-v1': 'Failed' },
    });
    await expect(reconcile(azuremlTarget(config, 'fraud'), stableOnly('v1'))).rejects.toThrow(
      'the deployment fraud-v1 (version v1) is Failed',
    );
    expect((await endpoint()).traffic).toEqual({ 'fraud-v1': 0, 'fraud-v2': 100 });
  });

  it('is still reported deployed, with its state, so that retiring blue deletes it', async () => {
    await seedEndpoint({ _deploymentStates: { 'fraud-v2': 'Failed' } });
    const target = azuremlTarget(config, 'fraud');
    expect(await target.deployedAs('v2')).toBe('Failed deployment fraud-v2');
    expect(await target.deployedAs('v1')).toBe('deployment fraud-v1');
    await target.removeIdle('v2', 'v1');
    expect((await endpoint())._deployments).toEqual(['fraud-v1']);
  });
});

describe('an Azure ML endpoint named with capitals', () => {
  it('is driven by the lowercase name Azure reports', async () => {
    const target = azuremlTarget({ ...config, endpoint: 'Fraud-Endpoint' }, 'fraud');
    expect(target.description).toBe('Azure ML endpoint fraud-endpoint (workspace fraud-ws)');
    await expect(reconcile(target, step('v1', 'v2', 10))).resolves.toEqual(step('v1', 'v2', 10));
    expect(await target.deployedAs('v2')).toBe('deployment fraud-v2');
    expect((await endpoint()).traffic).toEqual({ 'fraud-v1': 90, 'fraud-v2': 10 });
  });
});
