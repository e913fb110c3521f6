import type { PlatformState } from '../support/standin-cli.js';

export const ISVC = 'inferenceservices.serving.kserve.io';
export const REV = 'revisions.serving.knative.dev';

/**
 * A Serverless InferenceService `ml/fraud` serving v1 (revision 00001) alone, as KServe reports it,
 * deployed before model-gate (`annotations` on it); `settleGets`: KServe acts on a change only after
 * that many reads (the stand-in's simulated controller). `framework`: its predictor in KServe's
 * older per-framework form (`sklearn: {storageUri}`) rather than `model: {modelFormat, storageUri}`.
 */
export function servingV1(
  annotations: Record<string, string> = {},
  settleGets?: number,
  framework?: 'sklearn',
): PlatformState {
  const uri = 'gs://models/fraud/v1';
  const implementation = framework
    ? { [framework]: { storageUri: uri } }
    : { model: { modelFormat: { name: 'sklearn' }, storageUri: uri } };
  return {
    ...(settleGets === undefined ? {} : { settleGets }),
    k8s: {
      [ISVC]: {
        'ml/fraud': {
          apiVersion: 'serving.kserve.io/v1beta1',
          kind: 'InferenceService',
          metadata: { name: 'fraud', namespace: 'ml', generation: 1, annotations },
          spec: { predictor: implementation },
          status: {
            observedGeneration: 1,
            conditions: [
              { type: 'PredictorReady', status: 'True' },
              { type: 'Ready', status: 'True' },
            ],
            components: {
              predictor: {
                latestCreatedRevision: 'fraud-predictor-00001',
                latestReadyRevision: 'fraud-predictor-00001',
                latestRolledoutRevision: 'fraud-predictor-00001',
                traffic: [
                  {
                    tag: 'latest',
                    revisionName: 'fraud-predictor-00001',
                    percent: 100,
                    latestRevision: true,
                  },
                ],
              },
            },
          },
          _sim: { revisions: 1 },
        },
      },
      [REV]: {
        'ml/fraud-predictor-00001': {
          apiVersion: 'serving.knative.dev/v1',
          kind: 'Revision',
          metadata: {
            name: 'fraud-predictor-00001',
            namespace: 'ml',
            annotations: { 'internal.serving.kserve.io/storage-initializer-sourceuri': uri },
          },
          _template: JSON.stringify({ ...implementation, annotations: {} }),
        },
      },
    },
  };
}
