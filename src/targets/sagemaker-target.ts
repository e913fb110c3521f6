import { z } from 'zod';
import type { SageMakerTargetConfig } from '../config/types.js';
import { type Clock, systemClock } from '../core/clock.js';
import { TargetError } from '../core/errors.js';
import type { TrafficState } from '../core/traffic.js';
import { platformNames } from './names.js';
import {
  callCli,
  type FailureKind,
  type PlatformCli,
  parseCliJson,
  waitUntilSettled,
} from './platform-cli.js';
import { sharesFor, trafficFromShares } from './split.js';
import type { Target } from './target.js';

// Driven with the AWS CLI v2, per its reference pages:
// https://docs.aws.amazon.com/cli/latest/reference/sagemaker/update-endpoint-weights-and-capacities.html
//   (`--desired-weights-and-capacities` takes a JSON list of {VariantName, DesiredWeight}; the
//   endpoint goes `Updating`, then `InService`)
// https://docs.aws.amazon.com/cli/latest/reference/sagemaker/describe-endpoint.html
//   (EndpointStatus, ProductionVariants[].CurrentWeight / DesiredWeight)
// https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-returncodes.html (254: the service refused)
// Each version is served by a production variant named by the `variant` template; model-gate
// moves weights between existing variants and never creates or deletes one.

const variantSchema = z.object({
  VariantName: z.string(),
  CurrentWeight: z.number().optional(),
  DesiredWeight: z.number().optional(),
});
const endpointSchema = z.object({
  EndpointName: z.string(),
  EndpointStatus: z.string(),
  FailureReason: z.string().optional(),
  ProductionVariants: z.array(variantSchema).default([]),
});
type Endpoint = z.output<typeof endpointSchema>;

/** SageMaker variant names: letters, digits and '-', at most 63. */
const VARIANT_NAME = {
  what: 'production variant name',
  pattern: /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/,
  allowed: /[a-zA-Z0-9-]/,
  maxLength: 63,
  rule: "letters, digits and '-', at most 63, starting and ending with a letter or digit",
};

const BUSY_STATES = ['Creating', 'Updating', 'SystemUpdating', 'RollingBack', 'Deleting'];

export function sagemakerTarget(
  config: SageMakerTargetConfig,
  modelName: string,
  clock: Clock = systemClock,
): Target {
  const description = `SageMaker endpoint ${config.endpoint}${config.region ? ` (${config.region})` : ''}`;
  const names = platformNames(config.variant, modelName, VARIANT_NAME);
  const scope = [
    ...(config.region ? ['--region', config.region] : []),
    ...(config.profile ? ['--profile', config.profile] : []),
    '--output',
    'json',
  ];
  const cli: PlatformCli = { program: 'aws', description, classify };
  let expected: TrafficState | undefined;

  async function describe(): Promise<Endpoint> {
    const out = await callCli(
      cli,
      ['sagemaker', 'describe-endpoint', '--endpoint-name', config.endpoint, ...scope],
      config,
      clock,
    );
    return parseCliJson(endpointSchema, out, '`aws sagemaker describe-endpoint`');
  }

  /** Waits while another update holds the endpoint; a failed endpoint is an error. */
  const whenInService = () =>
    waitUntilSettled(
      async () => {
        const endpoint = await describe();
        if (endpoint.EndpointStatus === 'InService') return { done: true, value: endpoint };
        if (!BUSY_STATES.includes(endpoint.EndpointStatus)) {
          throw new TargetError(
            `${description} is ${endpoint.EndpointStatus}${endpoint.FailureReason ? `: ${endpoint.FailureReason}` : ''}`,
          );
        }
        return { done: false, why: `it is still ${endpoint.EndpointStatus}` };
      },
      config,
      clock,
      description,
    );

  return {
    description,
    async read() {
      const endpoint = await describe();
      const shares = endpoint.ProductionVariants.map((v) => ({
        version: names.versionOf(v.VariantName),
        percent: v.CurrentWeight ?? 0,
      }));
      return trafficFromShares(shares, expected, description);
    },
    async write(desired) {
      const wanted = sharesFor(desired).map((s) => ({ ...s, variant: names.nameOf(s.version) }));
      expected = desired;
      const endpoint = await whenInService();
      const present = endpoint.ProductionVariants.map((v) => v.VariantName);
      const absent = wanted.filter((w) => !present.includes(w.variant));
      if (absent.length > 0) {
        throw new TargetError(
          `${description} has no production variant ${absent.map((a) => `${a.variant} (version ${a.version})`).join(' or ')}; it has ${present.join(', ') || 'none'}. Deploy the version as a variant (with weight 0) before the release`,
        );
      }
      // Every other variant gets weight 0, so only the two versions asked for serve.
      const weights = present.map((variant) => ({
        VariantName: variant,
        DesiredWeight: wanted.find((w) => w.variant === variant)?.percent ?? 0,
      }));
      await callCli(
        cli,
        [
          'sagemaker',
          'update-endpoint-weights-and-capacities',
          '--endpoint-name',
          config.endpoint,
          '--desired-weights-and-capacities',
          JSON.stringify(weights),
          ...scope,
        ],
        config,
        clock,
        { waitWhileBusy: true },
      );
      await whenInService();
    },
  };
}

function classify(result: { stderr: string }): FailureKind {
  if (/\((ThrottlingException|TooManyRequestsException|RequestLimitExceeded)\)/.test(result.stderr))
    return 'throttled';
  if (/Cannot update in-progress endpoint/.test(result.stderr)) return 'busy';
  return 'failed';
}
