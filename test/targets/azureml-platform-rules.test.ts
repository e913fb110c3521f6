import { beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { AzureMlTargetConfig } from '../../src/config/types.js';
import { ConfigError } from '../../src/core/errors.js';
import { stableOnly } from '../../src/core/traffic.js';
import { azuremlTarget, azureTraffic } from '../../src/targets/azureml-target.js';
import { runCli } from '../../src/targets/cli.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { platformNameOf } from '../../src/targets/target.js';
import { azuremlUpdateLeftFailed } from '../support/fraud-endpoints.js';
import { useStandins } from '../support/standin-server.js';
import { FAST, mirrorOf, step } from './drive.js';

// Three rules of the real platform the target once missed: Azure lowercases deployment names
// (Azure/azure-sdk-for-python#28715), an endpoint mirrors to one deployment only
// (reference-yaml-endpoint-online: "a dictionary with a single key-value pair"), and an endpoint
// can be left Failed or Canceled (EndpointProvisioningState), which is neither locked nor settled.

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
const seedEndpoint = (fields: Record<string, unknown>) =>
  standins.seed({
    azureml: {
      [KEY]: {
        name: 'fraud-endpoint',
        provisioning_state: 'Succeeded',
        traffic: { 'fraud-v1': 100 },
        mirror_traffic: {},
        _deployments: ['fraud-v1', 'fraud-v2', 'fraud-old'],
        ...fields,
      },
    },
  });
/** The `--traffic` and `--mirror-traffic` values of each update sent. */
const updates = async () =>
  (await standins.calls('az'))
    .filter((c) => c.argv[2] === 'update')
    .map(({ argv }) => {
      const value = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
      return { traffic: value('--traffic'), mirror: value('--mirror-traffic') };
    });

beforeEach(() => seedEndpoint({}));

describe('azureml deployment names are the lowercase names Azure uses', () => {
  const problems = (deployment: string) => {
    const text = `version: 1
models:
  fraud:
    source: { file: model.yaml, key: version }
    target: { type: azureml, endpoint: ep1, resource-group: rg, workspace: ws, deployment: "${deployment}" }
    metrics: { type: sandbox, url: http://127.0.0.1:1 }
    strategy: { type: canary, steps: [10, 50] }
    gates: []
`;
    try {
      parseConfig(text, {});
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
  };

  it('refuses a template with capitals when the configuration is validated, saying why', () => {
    expect(problems('Fraud-{{model}}-{{version}}')).toEqual([
      '.github/model-gate.yml:5:92: models.fraud.target.deployment: expected a lowercase name template, as Azure ML lowercases deployment names (it creates "Fraud-{{model}}-{{version}}" as "fraud-{{model}}-{{version}}", which model-gate would not find): write "fraud-{{model}}-{{version}}", got "Fraud-{{model}}-{{version}}"',
    ]);
    expect(problems('fraud-{{version}}')).toEqual([]);
  });

  it('names a version with capitals by its lowercase deployment, and reads that back', async () => {
    const target = azuremlTarget(config, 'Fraud');
    expect(platformNameOf(target, 'V2.1')).toBe('fraud-v2-1');
    await seedEndpoint({ _deployments: ['fraud-v1', 'fraud-v2'] });
    await expect(reconcile(azuremlTarget(config, 'fraud'), step('v1', 'V2', 10))).resolves.toEqual(
      step('v1', 'V2', 10),
    );
    expect(await updates()).toEqual([{ traffic: 'fraud-v1=90 fraud-v2=10', mirror: undefined }]);
  });

  it('has a stand-in az that lowercases deployment names as Azure does', async () => {
    const az = (...argv: string[]) =>
      runCli(['az', 'ml', ...argv, '-g', 'ml-prod', '-w', 'fraud-ws'], { timeoutMs: 10_000 });
    expect(
      await az('online-endpoint', 'update', '-n', 'fraud-endpoint', '--traffic', 'Fraud-V1=90 fraud-v2=10'),
    ).toMatchObject({ exitCode: 0 });
    expect((await endpoint()).traffic).toEqual({ 'fraud-v1': 90, 'fraud-v2': 10, 'fraud-old': 0 });
    const shown = await az('online-deployment', 'show', '-n', 'Fraud-V2', '-e', 'fraud-endpoint');
    expect(JSON.parse(shown.stdout)).toMatchObject({ name: 'fraud-v2' });
  });
});

describe('azureml mirror traffic names one deployment', () => {
  it('replaces a mirror it did not set by sending the wanted deployment alone', async () => {
    await seedEndpoint({ mirror_traffic: { 'fraud-old': 5 } });
    const target = azuremlTarget(config, 'fraud');
    await expect(reconcile(target, mirrorOf('v1', 'v2', 10))).resolves.toEqual(mirrorOf('v1', 'v2', 10));
    expect(await updates()).toEqual([{ traffic: 'fraud-v1=100', mirror: 'fraud-v2=10' }]);
    expect((await endpoint()).mirror_traffic).toEqual({ 'fraud-v2': 10 });
    // Stopping it is that one deployment at 0, as Azure documents.
    await reconcile(target, stableOnly('v1'));
    expect((await updates()).at(-1)).toEqual({
      traffic: 'fraud-v1=100 fraud-v2=0 fraud-old=0',
      mirror: 'fraud-v2=0',
    });
  });

  it('refuses a mirror to two deployments before any call', () => {
    expect(() => azureTraffic({ blue: 100 }, { green: 5, old: 5 }, ['blue'])).toThrow(
      'Azure ML mirrors to one deployment only, asked for green and old',
    );
    expect(azureTraffic({ blue: 100 }, {}, ['blue'], ['old']).mirror).toEqual({ old: 0 });
  });

  it('has a stand-in az that refuses a mirror to two deployments', async () => {
    const result = await runCli(
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
      ].concat(['--mirror-traffic', 'fraud-old=0 fraud-v2=10']),
      { timeoutMs: 10_000 },
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('(BadRequest) Mirror traffic can be set for one deployment only');
    expect((await endpoint()).mirror_traffic).toEqual({});
  });
});

describe('azureml endpoint left Failed or Canceled', () => {
  it.each([
    ['Failed', 'failed'],
    ['Canceled', 'was canceled'],
  ])('sends no traffic to a candidate on a %s endpoint, saying what to do', async (state, what) => {
    await seedEndpoint({ provisioning_state: state });
    await expect(reconcile(azuremlTarget(config, 'fraud'), step('v1', 'v2', 10))).rejects.toThrow(
      `Azure ML endpoint fraud-endpoint (workspace fraud-ws) is ${state}: its last create or update ${what}, so model-gate sends no traffic to a candidate on it. See why with \`az ml online-endpoint show --name fraud-endpoint --resource-group ml-prod --workspace-name fraud-ws\` and the endpoint's activity log in the Azure portal, update it until it is Succeeded (\`az ml online-endpoint update --name fraud-endpoint --resource-group ml-prod --workspace-name fraud-ws --file <its YAML>\`), then run model-gate again`,
    );
    await expect(reconcile(azuremlTarget(config, 'fraud'), mirrorOf('v1', 'v2', 10))).rejects.toThrow(
      `is ${state}`,
    );
    expect(await updates()).toEqual([]);
    expect(await endpoint()).toMatchObject({ traffic: { 'fraud-v1': 100 }, mirror_traffic: {} });
  });

  it('still withdraws a candidate from a Failed endpoint, and reads the result back', async () => {
    await seedEndpoint({ provisioning_state: 'Failed', traffic: { 'fraud-v1': 90, 'fraud-v2': 10 } });
    await expect(reconcile(azuremlTarget(config, 'fraud'), stableOnly('v1'))).resolves.toEqual(
      stableOnly('v1'),
    );
    expect(await updates()).toEqual([{ traffic: 'fraud-v1=100 fraud-v2=0', mirror: undefined }]);
  });
  // A rollback moves all live traffic onto blue; during blue-green's bake, after a canary's step
  // of 100% or after a promotion, blue is at 0%. It used to be refused as a step onto a candidate,
  // leaving the candidate all live traffic.
  const failedPartway = azuremlUpdateLeftFailed;

  it('rolls back onto a blue at 0% when the step to 100% failed part-way and left the endpoint Failed', async () => {
    await standins.fault(failedPartway);
    const target = azuremlTarget(config, 'fraud');
    await expect(reconcile(target, step('v1', 'v2', 100))).rejects.toThrow(/UserError/);
    expect(await endpoint()).toMatchObject({
      provisioning_state: 'Failed',
      traffic: { 'fraud-v1': 0, 'fraud-v2': 100 },
    });

    await expect(reconcile(target, stableOnly('v1'))).resolves.toEqual(stableOnly('v1'));
    expect((await updates()).at(-1)).toEqual({
      traffic: 'fraud-v1=100 fraud-v2=0 fraud-old=0',
      mirror: undefined,
    });
    expect((await endpoint()).traffic).toEqual({ 'fraud-v1': 100, 'fraud-v2': 0, 'fraud-old': 0 });
  });

  it('still takes no rollback onto a Failed blue at 0% on a Failed endpoint: green keeps serving', async () => {
    await seedEndpoint({
      provisioning_state: 'Failed',
      traffic: { 'fraud-v1': 0, 'fraud-v2': 100 },
      _deploymentStates: { 'fraud-v1': 'Failed' },
    });
    await expect(reconcile(azuremlTarget(config, 'fraud'), stableOnly('v1'))).rejects.toThrow(
      'the deployment fraud-v1 (version v1) is Failed',
    );
    expect(await updates()).toEqual([]);
    expect((await endpoint()).traffic).toEqual({ 'fraud-v1': 0, 'fraud-v2': 100 });
  });

  it('still sends no blue-green promotion onto a green at 0% on a Failed endpoint', async () => {
    await seedEndpoint({ provisioning_state: 'Failed', traffic: { 'fraud-v1': 100, 'fraud-v2': 0 } });
    const promoted = { stable: { version: 'v2' }, canary: { version: 'v1', weight: 0 } };
    await expect(reconcile(azuremlTarget(config, 'fraud'), promoted)).rejects.toThrow(
      'is Failed: its last create or update failed, so model-gate sends no traffic to a candidate on it',
    );
    expect(await updates()).toEqual([]);
  });
});
