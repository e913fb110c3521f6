import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { TrafficState } from '../core/traffic.js';
import { TargetRefusedError } from './errors.js';
import type { PlatformNames } from './names.js';
import type { NotDeployedError } from './not-deployed.js';
import { mirrorFor, sharesFor } from './split.js';

// A SageMaker shadow variant is set only by an endpoint config: model-gate copies the endpoint's
// current config with the variants placed for the desired state, then points the endpoint at it.
// Contract, per
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html
//   (ShadowProductionVariants: "If you use this field, you can only specify one variant for
//   ProductionVariants and one variant for ShadowProductionVariants"; EndpointConfigName: at most
//   63 characters, pattern ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}; ProductionVariants: 1 to 10)
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariant.html
//   (InitialVariantWeight: a float >= 0, default 1.0; traffic is weight / sum of weights)
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpointConfig.html
//   (returns ProductionVariants and ShadowProductionVariants in the shape CreateEndpointConfig takes)
// https://docs.aws.amazon.com/sagemaker/latest/dg/model-shadow-deployment.html (the example: a
//   production and a shadow variant with InitialVariantWeight 1 each) and
// https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests-create.html (the shadow receives a
//   "traffic sampling percentage" of the production variant's requests, up to 100%; at most one
//   shadow variant, and then one production variant, per endpoint).
// The shadow's weight relative to the production variant's is taken as the share copied (1 and 1:
// every request; the AWS pages do not spell the ratio out), so the production variant gets weight
// 1 and the shadow share / 100.
// Instance counts: UpdateEndpoint deploys the new config "to a new fleet of instances"
// (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html), sized by
// its InitialInstanceCount unless RetainAllVariantProperties is set. Retaining is documented only
// for "production variants with the same name"
// (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html) and, per
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_VariantProperty.html, applies to
// the ProductionVariants of the config, so what it does to a variant moving into or out of
// ShadowProductionVariants is not said. model-gate instead writes each variant's size as the
// endpoint runs it now (DesiredInstanceCount, else CurrentInstanceCount, of DescribeEndpoint's
// ProductionVariantSummary: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantSummary.html)
// into the new config's InitialInstanceCount, so a switch never shrinks an autoscaled fleet.

const variantDefinition = z.looseObject({
  VariantName: z.string(),
  InitialVariantWeight: z.number().optional(),
  InitialInstanceCount: z.number().optional(),
});
export type VariantDefinition = z.output<typeof variantDefinition>;

/** What `aws sagemaker describe-endpoint-config` prints (fields model-gate copies or replaces). */
export const endpointConfigSchema = z.object({
  EndpointConfigName: z.string(),
  ProductionVariants: z.array(variantDefinition).min(1),
  ShadowProductionVariants: z.array(variantDefinition).optional(),
  DataCaptureConfig: z.unknown().optional(),
  KmsKeyId: z.string().optional(),
  AsyncInferenceConfig: z.unknown().optional(),
  ExplainerConfig: z.unknown().optional(),
  ExecutionRoleArn: z.string().optional(),
  VpcConfig: z.unknown().optional(),
  EnableNetworkIsolation: z.boolean().optional(),
  MetricsConfig: z.unknown().optional(),
});
export type EndpointConfig = z.output<typeof endpointConfigSchema>;

/** Settings of the current config carried into the new one, by their `create-endpoint-config` flag. */
const CARRIED_JSON = {
  DataCaptureConfig: '--data-capture-config',
  AsyncInferenceConfig: '--async-inference-config',
  ExplainerConfig: '--explainer-config',
  VpcConfig: '--vpc-config',
  MetricsConfig: '--metrics-config',
} as const;
const CARRIED_TEXT = { KmsKeyId: '--kms-key-id', ExecutionRoleArn: '--execution-role-arn' } as const;

/** Where each variant goes in the new config. */
export interface VariantPlacement {
  production: VariantDefinition[];
  shadow: VariantDefinition[];
  /** The idle variants of the current config a shadow's config has no room for, by name. */
  leftOut: string[];
}

/** At most every request is copied (SamplingPercentage <= 100 in API_ShadowModelVariantConfig.html). */
const MAX_SHADOW_SHARE = 100;

/**
 * Refuses, before any call, a shadow SageMaker cannot run: next to a live split (a shadow leaves
 * one production variant), of the stable version itself, or of more than every request. Each is
 * the request's refusal (TargetRefusedError): nothing changed, and a retry gets the same answer.
 */
export function checkShadow(desired: TrafficState): void {
  const mirror = mirrorFor(desired);
  if (!mirror) return;
  const stable = desired.stable.version;
  const splitting = sharesFor(desired).find((s) => s.version !== stable && s.percent > 0);
  if (splitting) {
    throw new TargetRefusedError(
      `SageMaker cannot shadow ${mirror.version} while ${splitting.version} takes ${splitting.percent}% of live traffic: an endpoint with a shadow variant has exactly one production variant`,
    );
  }
  if (mirror.version === stable) {
    throw new TargetRefusedError(
      `SageMaker cannot shadow ${stable} with itself: it is the production variant`,
    );
  }
  if (mirror.percent > MAX_SHADOW_SHARE) {
    throw new TargetRefusedError(
      `SageMaker copies at most ${MAX_SHADOW_SHARE}% of requests to a shadow variant, asked for ${mirror.percent}%`,
    );
  }
}

/** A variant's fleet as `describe-endpoint` reports it (ProductionVariantSummary). */
export interface VariantFleet {
  VariantName: string;
  CurrentInstanceCount?: number | undefined;
  DesiredInstanceCount?: number | undefined;
}

/** The size the endpoint runs a variant at: the instances asked for, else those running. */
export const fleetSize = (fleet: VariantFleet | undefined): number | undefined =>
  fleet?.DesiredInstanceCount ?? fleet?.CurrentInstanceCount;

/**
 * The config with each instance-based variant sized as the endpoint runs it now (autoscaling may
 * have grown it past the config's count), so the fleet a new config deploys is no smaller.
 * Serverless variants (no InitialInstanceCount) and variants reported with no instances (a count
 * of 0 is not a valid InitialInstanceCount) keep their definition.
 */
export function withFleetSizes(config: EndpointConfig, fleets: readonly VariantFleet[]): EndpointConfig {
  const size = (variant: VariantDefinition): VariantDefinition => {
    if (variant.InitialInstanceCount === undefined) return variant;
    const count = fleetSize(fleets.find((f) => f.VariantName === variant.VariantName));
    return count !== undefined && count >= 1 ? { ...variant, InitialInstanceCount: count } : variant;
  };
  return {
    ...config,
    ProductionVariants: config.ProductionVariants.map(size),
    ...(config.ShadowProductionVariants
      ? { ShadowProductionVariants: config.ShadowProductionVariants.map(size) }
      : {}),
  };
}

/** A variant's weights as `describe-endpoint` reports them (ProductionVariantSummary). */
export interface VariantWeights {
  VariantName: string;
  CurrentWeight?: number | undefined;
  DesiredWeight?: number | undefined;
}

/** What the endpoint runs now: its production and shadow variants, with their weights. */
export interface RunningVariants {
  ProductionVariants: readonly VariantWeights[];
  ShadowProductionVariants: readonly VariantWeights[];
}

/** A production variant's live weight, now or as an update under way leaves it. */
export const liveWeight = (v: VariantWeights) => Math.max(v.CurrentWeight ?? 0, v.DesiredWeight ?? 0);

/** What placeVariants' refusals name: the endpoint, and a version without a variant (with those there). */
export interface PlacementRefusals {
  description: string;
  undeployed: (version: string, known: string[]) => NotDeployedError;
}

/**
 * The variants of the config that serves `desired`, from the definitions in the current config
 * (production and shadow alike, so a variant moves between them unchanged). With a mirror, the
 * stable version is the one production variant and the mirrored one the shadow variant; the
 * others, which no step of the release names, are left out (SageMaker allows no more beside a
 * shadow; `leftOut` names them, for the run to say so), unless one takes traffic on the endpoint
 * (`running`): that is refused (TargetRefusedError), as is a version without a variant
 * (NotDeployedError), before any write. Without a mirror, every variant is a production variant again,
 * those not asked for at weight 0, so a withdrawn candidate is still there for the same
 * candidate's next analysis and a replaced stable for a rollback in seconds.
 */
export function placeVariants(
  config: EndpointConfig,
  desired: TrafficState,
  names: PlatformNames,
  running: RunningVariants,
  { description, undeployed }: PlacementRefusals,
): VariantPlacement {
  const known = [...config.ProductionVariants, ...(config.ShadowProductionVariants ?? [])];
  const find = (version: string) => {
    const found = known.find((v) => v.VariantName === names.nameOf(version));
    if (found) return found;
    throw undeployed(
      version,
      known.map((v) => v.VariantName),
    );
  };
  const live = sharesFor(desired);
  const mirror = mirrorFor(desired);
  if (!mirror) {
    for (const share of live) find(share.version);
    const weightOf = (name: string) => live.find((s) => names.nameOf(s.version) === name)?.percent ?? 0;
    return {
      production: known.map((v) => ({ ...v, InitialVariantWeight: weightOf(v.VariantName) })),
      shadow: [],
      leftOut: [],
    };
  }
  checkShadow(desired);
  const production = find(desired.stable.version);
  const shadow = find(mirror.version);
  const others = known.filter((v) => v !== production && v !== shadow);
  const serving = others.flatMap((v) => trafficOf(running, v.VariantName) ?? []);
  if (serving.length > 0) {
    throw new TargetRefusedError(
      `${description} also ${serving.join(' and ')}; SageMaker allows one production variant beside a shadow variant, and model-gate removes no variant that serves: take its traffic off first`,
    );
  }
  return {
    production: [{ ...production, InitialVariantWeight: 1 }],
    shadow: [{ ...shadow, InitialVariantWeight: mirror.percent / 100 }],
    leftOut: others.map((v) => v.VariantName),
  };
}

/** What traffic the endpoint sends the variant `name`, in words; undefined when none. */
function trafficOf(running: RunningVariants, name: string): string | undefined {
  if (running.ShadowProductionVariants.some((v) => v.VariantName === name)) {
    return `mirrors requests to the shadow variant ${name}`;
  }
  const variant = running.ProductionVariants.find((v) => v.VariantName === name);
  const weight = variant ? liveWeight(variant) : 0;
  return weight > 0 ? `sends live traffic to the variant ${name} (weight ${weight})` : undefined;
}

/** The `create-endpoint-config` arguments after the name: the placed variants and the copied settings. */
export function endpointConfigArgs(config: EndpointConfig, placement: VariantPlacement): string[] {
  const args = ['--production-variants', JSON.stringify(placement.production)];
  if (placement.shadow.length > 0)
    args.push('--shadow-production-variants', JSON.stringify(placement.shadow));
  for (const [key, flag] of Object.entries(CARRIED_JSON)) {
    const value = config[key as keyof typeof CARRIED_JSON];
    if (value !== undefined && value !== null) args.push(flag, JSON.stringify(value));
  }
  for (const [key, flag] of Object.entries(CARRIED_TEXT)) {
    const value = config[key as keyof typeof CARRIED_TEXT];
    if (value) args.push(flag, value);
  }
  if (config.EnableNetworkIsolation) args.push('--enable-network-isolation');
  return args;
}

const NAME_MAX = 63;
const CONTENT_HASH_LENGTH = 10;
const ENDPOINT_HASH_LENGTH = 8;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The start of every config name model-gate makes for `endpoint`: its name cut to fit, `-mg-`
 * and 8 hex digits of a hash of the whole name, so endpoints whose names share their first 40
 * characters still get names of their own (and a cleanup of one never matches the other's).
 */
export function configNamePrefix(endpoint: string): string {
  const tail = `-mg-${sha256(endpoint).slice(0, ENDPOINT_HASH_LENGTH)}-`;
  return `${endpoint.slice(0, NAME_MAX - tail.length - CONTENT_HASH_LENGTH)}${tail}`;
}

/**
 * The new config's name: configNamePrefix and a hash of the config's content, so the same
 * content always gets the same name (a retry reuses the config it created) and different content
 * a different one (SageMaker refuses to reuse a name). The content includes the instance counts,
 * so a retry after autoscaling changed them gets a new config of the new size. At most 63
 * characters of [a-zA-Z0-9-], as the endpoint's name (validated by the config schema) is.
 */
export function endpointConfigName(endpoint: string, args: readonly string[]): string {
  return `${configNamePrefix(endpoint)}${sha256(JSON.stringify(args)).slice(0, CONTENT_HASH_LENGTH)}`;
}

/**
 * Whether `name` is one endpointConfigName makes for `endpoint` (configNamePrefix and 10 hex
 * digits): the only configs model-gate may delete. A user's own config never is one.
 */
export function madeByModelGate(endpoint: string, name: string): boolean {
  const prefix = configNamePrefix(endpoint);
  const hash = name.slice(prefix.length);
  return name.startsWith(prefix) && hash.length === CONTENT_HASH_LENGTH && /^[0-9a-f]+$/.test(hash);
}

/** SageMaker's answer to a config name already taken (the config this content was given before). */
export const CONFIG_EXISTS =
  /\(ValidationException\) when calling the CreateEndpointConfig operation: Cannot create already existing endpoint configuration/;

/**
 * SageMaker's answer to an update-endpoint naming a config that no longer exists: an old config
 * the create above took as this content's was deleted since, by another run's cleanup.
 */
export const CONFIG_GONE =
  /\(ValidationException\) when calling the UpdateEndpoint operation: Could not find endpoint configuration/;
