import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AzureMlTargetConfig, SeldonTargetConfig, VertexTargetConfig } from '../../src/config/types.js';
import { TargetError } from '../../src/core/errors.js';
import { withdrawIfLive } from '../../src/release/finish.js';
import { azuremlTarget } from '../../src/targets/azureml-target.js';
import { sagemakerTarget } from '../../src/targets/sagemaker-target.js';
import { seldonTarget } from '../../src/targets/seldon-target.js';
import { vertexTarget } from '../../src/targets/vertex-target.js';
import { installStandins, type Standins } from '../support/standin-cli.js';
import { type ServedStandin, serveStandin } from '../support/standin-server.js';
import { FAST } from './drive.js';
import { FRAUD_ENDPOINT_CONFIG } from './sagemaker-variants.js';

// Platforms that keep weights but no roles, and name versions by a template. Each target here is
// made afresh, as a new run makes it (the post step, a re-run, a schedule tick): the versions the
// caller knows are all that says which version is the candidate and what a name stands for.

let standins: Standins;
const served: ServedStandin[] = [];
beforeAll(async () => {
  standins = await installStandins();
  for (const cli of ['az', 'aws', 'gcloud', 'kubectl'] as const) served.push(await serveStandin(cli));
});
afterAll(async () => {
  for (const s of served) await s.stop();
  await standins?.remove();
});

const AZURE_KEY = 'default/ml-prod/fraud-ws/fraud-endpoint';
const azure: AzureMlTargetConfig = {
  type: 'azureml',
  endpoint: 'fraud-endpoint',
  resourceGroup: 'ml-prod',
  workspace: 'fraud-ws',
  deployment: 'fraud-{{version}}',
  ...FAST,
};
const seedAzure = (traffic: Record<string, number>) =>
  standins.seed({
    azureml: {
      [AZURE_KEY]: {
        name: 'fraud-endpoint',
        provisioning_state: 'Succeeded',
        traffic,
        mirror_traffic: {},
        _deployments: Object.keys(traffic),
      },
    },
  });
const azureTraffic = async () => (await standins.state()).azureml[AZURE_KEY].traffic;

describe('the post step withdrawing a candidate that holds the larger share', () => {
  it('withdraws a candidate at a 75% step on Azure ML', async () => {
    await seedAzure({ 'fraud-v1': 25, 'fraud-v2': 75 });
    await expect(withdrawIfLive(azuremlTarget(azure, 'fraud'), 'v1', 'v2')).resolves.toEqual({
      done: 'withdrawn',
    });
    expect(await azureTraffic()).toEqual({ 'fraud-v1': 100, 'fraud-v2': 0 });
  });

  it("withdraws blue-green's green at 100% on Azure ML", async () => {
    await seedAzure({ 'fraud-v1': 0, 'fraud-v2': 100 });
    await expect(withdrawIfLive(azuremlTarget(azure, 'fraud'), 'v1', 'v2')).resolves.toEqual({
      done: 'withdrawn',
    });
    expect(await azureTraffic()).toEqual({ 'fraud-v1': 100, 'fraud-v2': 0 });
  });

  it('withdraws a SageMaker candidate at 50% whose variant is listed first', async () => {
    const key = 'us-east-1/fraud-endpoint';
    const variant = (name: string, weight: number) => ({
      VariantName: name,
      CurrentWeight: weight,
      DesiredWeight: weight,
      CurrentInstanceCount: 1,
      DesiredInstanceCount: 1,
    });
    await standins.seed({
      sagemaker: {
        [key]: {
          EndpointName: 'fraud-endpoint',
          EndpointConfigName: 'fraud-config',
          EndpointStatus: 'InService',
          ProductionVariants: [variant('fraud-v2', 50), variant('fraud-v1', 50)],
        },
      },
    });
    const config = FRAUD_ENDPOINT_CONFIG;
    await expect(withdrawIfLive(sagemakerTarget(config, 'fraud'), 'v1', 'v2')).resolves.toEqual({
      done: 'withdrawn',
    });
    const variants: { VariantName: string; CurrentWeight: number }[] = (await standins.state()).sagemaker[key]
      .ProductionVariants;
    expect(Object.fromEntries(variants.map((v) => [v.VariantName, v.CurrentWeight]))).toEqual({
      'fraud-v1': 100,
      'fraud-v2': 0,
    });
  });
});

describe('reading with the versions the caller knows', () => {
  it('reads a Vertex AI candidate at 75% as the candidate', async () => {
    const resource = 'projects/ml-prod/locations/us-central1/endpoints/4321';
    const deployed = (id: string, version: string) => ({ id, displayName: `fraud-${version}` });
    await standins.seed({
      vertex: {
        [resource]: {
          name: resource,
          displayName: 'fraud',
          deployedModels: [deployed('1111', 'v1'), deployed('2222', 'v2')],
          trafficSplit: { '1111': 25, '2222': 75 },
        },
      },
    });
    const config: VertexTargetConfig = {
      type: 'vertex',
      endpoint: '4321',
      region: 'us-central1',
      project: 'ml-prod',
      deployedModel: 'fraud-{{version}}',
      ...FAST,
    };
    await expect(vertexTarget(config, 'fraud').read({ stable: 'v1', candidate: 'v2' })).resolves.toEqual({
      stable: { version: 'v1' },
      canary: { version: 'v2', weight: 75 },
    });
  });

  it('reads Seldon Models back as the upper-case versions they serve, in their roles', async () => {
    const EXP = 'experiments.mlops.seldon.io';
    const model = (name: string) => ({
      apiVersion: 'mlops.seldon.io/v1alpha1',
      kind: 'Model',
      metadata: { name, namespace: 'seldon-mesh' },
      spec: { storageUri: `gs://models/${name}`, requirements: ['sklearn'] },
      status: { ready: true },
    });
    await standins.seed({
      k8s: {
        'models.mlops.seldon.io': {
          'seldon-mesh/fraud-v1.0': model('fraud-v1.0'),
          'seldon-mesh/fraud-v2.0': model('fraud-v2.0'),
        },
        [EXP]: {
          'seldon-mesh/fraud': {
            apiVersion: 'mlops.seldon.io/v1alpha1',
            kind: 'Experiment',
            metadata: { name: 'fraud', namespace: 'seldon-mesh', generation: 1 },
            spec: {
              candidates: [
                { name: 'fraud-v2.0', weight: 75 },
                { name: 'fraud-v1.0', weight: 25 },
              ],
            },
            status: { conditions: [{ type: 'Ready', status: 'True' }] },
          },
        },
      },
    });
    const config: SeldonTargetConfig = {
      type: 'seldon',
      namespace: 'seldon-mesh',
      modelName: '{{model}}-{{version}}',
      ...FAST,
    };
    await expect(seldonTarget(config, 'fraud').read({ stable: 'V1.0', candidate: 'V2.0' })).resolves.toEqual({
      stable: { version: 'V1.0' },
      canary: { version: 'V2.0', weight: 75 },
    });
  });

  it('says so when a deployment the template gives no version takes live traffic', async () => {
    await seedAzure({ 'fraud-v1': 90, legacy: 10 });
    const read = azuremlTarget(azure, 'fraud').read({ stable: 'v1', candidate: 'v2' });
    await expect(read).rejects.toThrow(TargetError);
    await expect(read).rejects.toThrow(
      'Azure ML endpoint fraud-endpoint (workspace fraud-ws) sends 10% of live traffic to the deployment name "legacy", which the template "fraud-{{version}}" gives no version (nor any of v1, v2), so what serves is unknown',
    );
  });

  it('leaves out such a deployment while it has no traffic', async () => {
    await seedAzure({ 'fraud-v1': 100, legacy: 0 });
    await expect(azuremlTarget(azure, 'fraud').read({ stable: 'v1' })).resolves.toEqual({
      stable: { version: 'v1' },
    });
  });
});
