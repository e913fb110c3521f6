import type { SageMakerTargetConfig } from '../../src/config/types.js';
import { FAST } from './drive.js';

// Production variants as the SageMaker API describes them, for seeding the aws stand-in.

/** A variant as describe-endpoint shows it: its weight, one instance, its image. */
export const variant = (name: string, weight: number) => ({
  VariantName: name,
  CurrentWeight: weight,
  DesiredWeight: weight,
  CurrentInstanceCount: 1,
  DesiredInstanceCount: 1,
  DeployedImages: [{ SpecifiedImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud:latest' }],
});

/** A variant as the endpoint config defines it (what create-endpoint-config takes). */
export const definition = (name: string, weight: number) => ({
  VariantName: name,
  ModelName: `${name}-model`,
  InitialInstanceCount: 1,
  InstanceType: 'ml.m5.large',
  InitialVariantWeight: weight,
});

/** The target config of the fraud endpoint these variants belong to, on the fast test timings. */
export const FRAUD_ENDPOINT_CONFIG: SageMakerTargetConfig = {
  type: 'sagemaker',
  endpoint: 'fraud-endpoint',
  region: 'us-east-1',
  variant: 'fraud-{{version}}',
  ...FAST,
};
