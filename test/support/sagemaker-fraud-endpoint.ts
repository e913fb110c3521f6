import { definition, variant } from '../targets/sagemaker-variants.js';
import type { PlatformState } from './standin-cli.js';

// The SageMaker endpoint fraud-endpoint (us-east-1) as the aws stand-in keeps it, for the tests
// that release fraud on it through the engine.

/** The aws stand-in's key of the endpoint. */
export const FRAUD_ENDPOINT_KEY = 'us-east-1/fraud-endpoint';

/** The model's target on the endpoint (a YAML flow mapping), a variant per version, on short timings. */
export const FRAUD_ENDPOINT_TARGET =
  '{ type: sagemaker, endpoint: fraud-endpoint, region: us-east-1, variant: "fraud-{{version}}", timeout: 10s, settle-timeout: 2s, poll-interval: 10ms }';

/**
 * The aws stand-in's state: the endpoint in service with the production variants `weights` (by
 * name, in order), deployed from the endpoint config `configName` that defines them;
 * `configSettings` (a KMS key) are added to that config.
 */
export function fraudEndpointState(
  weights: Record<string, number>,
  configName = 'fraud-config-3',
  configSettings: Record<string, unknown> = {},
): PlatformState {
  return {
    sagemaker: {
      [FRAUD_ENDPOINT_KEY]: {
        EndpointName: 'fraud-endpoint',
        EndpointArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/fraud-endpoint',
        EndpointConfigName: configName,
        EndpointStatus: 'InService',
        ProductionVariants: Object.entries(weights).map(([name, weight]) => variant(name, weight)),
        CreationTime: '2026-01-01T00:00:00Z',
        LastModifiedTime: '2026-01-01T00:00:00Z',
      },
    },
    sagemakerConfigs: {
      [`us-east-1/${configName}`]: {
        EndpointConfigName: configName,
        EndpointConfigArn: `arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/${configName}`,
        ProductionVariants: Object.entries(weights).map(([name, weight]) => definition(name, weight)),
        ...configSettings,
        CreationTime: '2026-01-01T00:00:00Z',
      },
    },
  };
}

/**
 * `state` with the endpoint's variant `name` registered with Application Auto Scaling (1 to 4
 * instances): AWS then refuses to remove that variant until it is deregistered.
 */
export const withAutoscaledVariant = (state: PlatformState, name: string): PlatformState => ({
  ...state,
  scalableTargets: {
    'us-east-1': [
      {
        ServiceNamespace: 'sagemaker',
        ResourceId: `endpoint/fraud-endpoint/variant/${name}`,
        ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        MinCapacity: 1,
        MaxCapacity: 4,
      },
    ],
  },
});

/** The endpoint's production variants in `state`, in order, as `name=current weight`. */
export const fraudEndpointWeights = (state: PlatformState): string[] =>
  (
    state.sagemaker[FRAUD_ENDPOINT_KEY].ProductionVariants as { VariantName: string; CurrentWeight: number }[]
  ).map((v) => `${v.VariantName}=${v.CurrentWeight}`);
