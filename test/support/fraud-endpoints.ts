// fraud's endpoint on a managed platform as its stand-in holds it: v1 takes all traffic and the
// deploy step has deployed v2 beside it. For seeding useStandins.

import type { TargetTiming, VertexTargetConfig } from '../../src/config/types.js';
import type { StandinFault } from './standin-cli.js';

/** Azure ML's key for endpoint fraud-endpoint in workspace fraud-ws (resource group ml-prod). */
export const AZUREML_KEY = 'default/ml-prod/fraud-ws/fraud-endpoint';
/** The model's target on it, polled every `pollInterval`. */
export const azuremlTargetYaml = (pollInterval = '10ms') =>
  `{ type: azureml, endpoint: fraud-endpoint, resource-group: ml-prod, workspace: fraud-ws, deployment: "fraud-{{version}}", timeout: 10s, settle-timeout: 2s, poll-interval: ${pollInterval} }`;
/** The az stand-in's state: the endpoint, deployments fraud-v1 (100%) and fraud-v2. */
export const azuremlFraudEndpoint = () => ({
  azureml: {
    [AZUREML_KEY]: {
      name: 'fraud-endpoint',
      auth_mode: 'key',
      kind: 'Managed',
      location: 'westeurope',
      provisioning_state: 'Succeeded',
      traffic: { 'fraud-v1': 100 },
      mirror_traffic: {},
      _deployments: ['fraud-v1', 'fraud-v2'],
    },
  },
});

/** Vertex AI endpoint 4321 of project ml-prod in us-central1. */
export const VERTEX_RESOURCE = 'projects/ml-prod/locations/us-central1/endpoints/4321';
/** The model's target on it. */
export const VERTEX_TARGET =
  '{ type: vertex, endpoint: "4321", region: us-central1, project: ml-prod, deployed-model: "fraud-{{version}}", timeout: 10s, settle-timeout: 2s, poll-interval: 10ms }';
/** The model's target on it as the target reads its config, waiting as `timing` says. */
export const vertexFraudTarget = (timing: TargetTiming): VertexTargetConfig => ({
  type: 'vertex',
  endpoint: '4321',
  region: 'us-central1',
  project: 'ml-prod',
  deployedModel: 'fraud-{{version}}',
  ...timing,
});
/** Model 777's version `version` (v1: 777@1) deployed as fraud-`version` with ID `id`. */
export const vertexDeployed = (id: string, version: string) => ({
  id,
  model: `projects/ml-prod/locations/us-central1/models/777@${version.slice(1)}`,
  displayName: `fraud-${version}`,
  dedicatedResources: { machineSpec: { machineType: 'n1-standard-2' }, minReplicaCount: 1 },
});
/** The gcloud stand-in's state: fraud-v1 (ID 1111, 100%) and fraud-v2 (ID 2222) deployed. */
export const vertexFraudEndpoint = () => ({
  vertex: {
    [VERTEX_RESOURCE]: {
      name: VERTEX_RESOURCE,
      displayName: 'fraud',
      deployedModels: [vertexDeployed('1111', 'v1'), vertexDeployed('2222', 'v2')],
      trafficSplit: { '1111': 100 },
    },
  },
});

/**
 * An Azure ML `update` applied part-way (the command fails) that leaves the endpoint Failed (az.mjs
 * `leaves`), with an error that is not a passing one (a passing one is tried again, and lands).
 */
export const azuremlUpdateLeftFailed: StandinFault = {
  cli: 'az',
  op: 'update',
  kind: 'partial',
  times: 1,
  leaves: 'Failed',
  code: 'UserError',
  message: 'The traffic update failed part-way: the endpoint is left Failed.',
};
