import { z } from 'zod';
import { formatDuration } from '../config/duration.js';
import type { SageMakerTargetConfig } from '../config/types.js';
import { type Clock, systemClock } from '../core/clock.js';
import { TargetError } from '../core/errors.js';
import { describeTraffic, sameTraffic, type TrafficState } from '../core/traffic.js';
import { targetCapabilities } from './capabilities.js';
import {
  type ChangeDeadline,
  changesWithin,
  passingReadFailures,
  settleAccepted,
  withoutGrace,
} from './change-deadline.js';
import { TargetBusyError, TargetRefusedError } from './errors.js';
import { identityOf } from './identity.js';
import { platformNames } from './names.js';
import { NotDeployedError } from './not-deployed.js';
import {
  callCli,
  type FailureKind,
  type PlatformCli,
  parseCliJson,
  parsePlatformJson,
  waitUntilSettled,
} from './platform-cli.js';
import { withdrawTraffic } from './reconcile.js';
import type { RemovesIdleVersions } from './retire-idle.js';
import {
  CONFIG_EXISTS,
  CONFIG_GONE,
  checkShadow,
  configNamePrefix,
  type EndpointConfig,
  endpointConfigArgs,
  endpointConfigName,
  endpointConfigSchema,
  fleetSize,
  liveWeight,
  madeByModelGate,
  placeVariants,
  withFleetSizes,
} from './sagemaker-shadow.js';
import { mirrorFor, sharesFor, trafficFromShares } from './split.js';
import { type KnownVersions, knownOf, type Target, type TargetLog } from './target.js';

// Driven with the AWS CLI v2, per its reference pages:
// https://docs.aws.amazon.com/cli/latest/reference/sagemaker/update-endpoint-weights-and-capacities.html
//   (`--desired-weights-and-capacities` takes a JSON list of {VariantName, DesiredWeight}; the
//   endpoint goes `Updating`, then `InService`)
// https://docs.aws.amazon.com/cli/latest/reference/sagemaker/describe-endpoint.html
//   (EndpointStatus, EndpointConfigName, ProductionVariants[] and ShadowProductionVariants[] with
//   CurrentWeight / DesiredWeight and CurrentInstanceCount / DesiredInstanceCount)
// https://docs.aws.amazon.com/cli/latest/reference/sagemaker/describe-endpoint-config.html,
// https://docs.aws.amazon.com/cli/latest/reference/sagemaker/create-endpoint-config.html and
// https://docs.aws.amazon.com/cli/latest/reference/sagemaker/update-endpoint.html
//   (a shadow variant needs a new endpoint config; `update-endpoint --endpoint-name E
//   --endpoint-config-name C` deploys it, the endpoint goes `Updating`, then `InService`; without
//   `--retain-all-variant-properties` the new config's weights apply)
// https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-returncodes.html (254: the service refused)
// Each version is served by a variant named by the `variant` template, created before the
// release. Live splits move weights between existing production variants (the cheap call); a
// shadow, or leaving one, switches the endpoint to a copy of its config with the variants placed
// (sagemaker-shadow.ts). Either is built from the endpoint as read and sent once: when another
// change holds the endpoint by then, or changed it meanwhile, it is built again from the endpoint
// as read after that change (changeTo), never sent as built before. One settle-timeout bounds the
// whole traffic change, read-back included (changeWithin, change-deadline.ts). model-gate creates no
// variant. It removes idle variants a shadow's config has no room for (sagemaker-shadow.ts:
// placeVariants; one with traffic is refused), saying so in the run's log (`log`: sayLeftOut),
// and retires blue-green's blue after its rollback-window, or a closed PR's candidate (removeIdle). A promotion keeps the
// replaced version at weight 0, so a workflow_dispatch rollback to it is a weights call, as for
// every strategy. A variant leaves an endpoint only by a new config without it, deployed the same way
// (UpdateEndpoint: "deploys the EndpointConfig ... to a new fleet of instances", the old
// instances are deleted), while the variant has weight 0, and only if the endpoint is still as
// read right before the update (never after waiting on another change, which the config built
// earlier would undo). A variant registered with Application Auto Scaling
// is not removed by SageMaker
// (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html): the error names
// the `aws application-autoscaling deregister-scalable-target` command that lets it go.
// Once the endpoint serves as asked from a config model-gate made, every other config model-gate
// made for this endpoint is deleted (`delete-endpoint-config`): the one it just left, and any an
// earlier run left behind (a delete that failed, a run cut short), found by their name prefix with
// https://docs.aws.amazon.com/cli/latest/reference/sagemaker/list-endpoint-configs.html
// (`--name-contains`; the CLI pages through ListEndpointConfigs itself and prints
// {"EndpointConfigs": [{EndpointConfigName, EndpointConfigArn, CreationTime}]}), so shadows do not
// pile configs up against the account's quota. Only those made before settle-timeout plus
// CLEANUP_MARGIN_MS ago, by ListEndpointConfigs' CreationTimeBefore (`--creation-time-before`, a
// timestamp the CLI takes in ISO 8601, per
// https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-parameters-types.html): another run (a
// re-run, a rollback) may have made a config moments ago and be about to deploy it. The filter is
// the service's rather than a reading of the CreationTime printed, whose format the user's
// cli_timestamp_format decides. Per
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteEndpointConfig.html a config
// must not be deleted while an endpoint uses it or an UpdateEndpoint is under way, hence only
// after the endpoint is InService on another one; a config already gone is
// `(ValidationException) ... Could not find endpoint configuration`.

const variantSchema = z.object({
  VariantName: z.string(),
  CurrentWeight: z.number().optional(),
  DesiredWeight: z.number().optional(),
  CurrentInstanceCount: z.number().optional(),
  DesiredInstanceCount: z.number().optional(),
});
const endpointSchema = z.object({
  EndpointName: z.string(),
  EndpointStatus: z.string(),
  EndpointConfigName: z.string().optional(),
  FailureReason: z.string().optional(),
  ProductionVariants: z.array(variantSchema).default([]),
  ShadowProductionVariants: z.array(variantSchema).default([]),
  // Only while an update deploys another endpoint config (DescribeEndpoint).
  PendingDeploymentSummary: z.object({ EndpointConfigName: z.string().optional() }).optional(),
});
type Endpoint = z.output<typeof endpointSchema>;
const configListSchema = z.object({
  EndpointConfigs: z.array(z.object({ EndpointConfigName: z.string() })),
});

/**
 * Added to settle-timeout, the age a config must reach before a cleanup deletes it. Another run
 * deploys the config it makes right away, but waits up to its settle-timeout while the endpoint is
 * busy (with this run's update, say) before SageMaker takes it; the margin covers its create call,
 * throttled retries and the difference between the runner's clock and AWS's.
 */
const CLEANUP_MARGIN_MS = 15 * 60_000;

/** SageMaker variant names: letters, digits and '-', at most 63. */
const VARIANT_NAME = {
  what: 'production variant name',
  pattern: /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/,
  allowed: /[a-zA-Z0-9-]/,
  maxLength: 63,
  rule: "letters, digits and '-', at most 63, starting and ending with a letter or digit",
  field: 'variant',
};

const BUSY_STATES = ['Creating', 'Updating', 'SystemUpdating', 'RollingBack', 'Deleting'];

export function sagemakerTarget(
  config: SageMakerTargetConfig,
  modelName: string,
  clock: Clock = systemClock,
  log?: TargetLog,
): Target & RemovesIdleVersions {
  const description = `SageMaker endpoint ${config.endpoint}${config.region ? ` (${config.region})` : ''}`;
  // The profile picks the account (and, unset, the region): another one may be another endpoint.
  const identity = identityOf('sagemaker', {
    endpoint: config.endpoint,
    region: config.region,
    profile: config.profile,
  });
  const names = platformNames(config.variant, modelName, VARIANT_NAME);
  const scope = [
    ...(config.region ? ['--region', config.region] : []),
    ...(config.profile ? ['--profile', config.profile] : []),
    '--output',
    'json',
  ];
  // The whole stderr of the last failed call: an error message quotes an excerpt, which may cut
  // the words that tell an autoscaling refusal (refusedForAutoscaling).
  let failedWith = '';
  const cli: PlatformCli = {
    program: 'aws',
    description,
    classify: (result) => {
      failedWith = result.stderr;
      return classify(result);
    },
    outageAdvice:
      "SageMaker's API did not answer (an outage, or the runner's network to AWS): check the AWS Health Dashboard (https://health.aws.amazon.com) and the runner's network, then try again",
  };
  // A busy endpoint is never waited out by retrying the same call: changeTo builds it again.
  // `change`: the traffic change a call belongs to, whose deadline it keeps (change-deadline.ts).
  const aws = (args: string[], change?: ChangeDeadline) =>
    callCli(cli, ['sagemaker', ...args, ...scope], config, clock, { deadline: change });
  let expected: TrafficState | undefined;

  /** describe-endpoint calls that failed and may pass (throttled, a 5xx, no answer): no answer about the endpoint. */
  const failedReads = passingReadFailures();

  async function describe(change?: ChangeDeadline): Promise<Endpoint> {
    // Output that is not JSON is parsed within the catch: a read garbled once may pass too.
    return aws(['describe-endpoint', '--endpoint-name', config.endpoint], change)
      .then((out) => parsePlatformJson(endpointSchema, out, '`aws sagemaker describe-endpoint`'))
      .catch(failedReads.mark);
  }

  /**
   * An endpoint in a state no update of model-gate's leaves (Failed, UpdateRollbackFailed,
   * OutOfService): what it is, and what the user does about it. Per
   * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html,
   * UpdateRollbackFailed is "in service with a mix of the old and new endpoint configurations"
   * after an update and its rollback both failed; Failed takes only DeleteEndpoint.
   */
  function notInService(endpoint: Endpoint): TargetError {
    const status = endpoint.EndpointStatus;
    const why = endpoint.FailureReason ? ` (${endpoint.FailureReason.replace(/[.\s]+$/, '')})` : '';
    const recoverCommand = [
      `aws sagemaker update-endpoint --endpoint-name ${config.endpoint} --endpoint-config-name <config>`,
      ...(config.region ? [`--region ${config.region}`] : []),
      ...(config.profile ? [`--profile ${config.profile}`] : []),
    ].join(' ');
    const rerun = 'then run model-gate again: until then it changes no traffic on this endpoint';
    const todo =
      status === 'UpdateRollbackFailed'
        ? `an update and its rollback both failed, and it serves a mix of its old and new endpoint configs. Bring it back to InService by deploying an endpoint config that serves as it should (\`${recoverCommand}\`), ${rerun}`
        : status === 'Failed'
          ? `SageMaker takes no update on a Failed endpoint, only its deletion: create it again, ${rerun}`
          : `bring it back to InService, ${rerun}`;
    return new TargetError(`${description} is ${status}${why}: ${todo}`);
  }

  /**
   * Waits while another update holds the endpoint; a failed endpoint is an error. `passed` collects
   * the statuses read on the way.
   */
  const whenInService = (change?: ChangeDeadline, passed?: Set<string>) =>
    waitUntilSettled(
      async () => {
        const endpoint = await describe(change);
        passed?.add(endpoint.EndpointStatus);
        if (endpoint.EndpointStatus === 'InService') return { done: true, value: endpoint };
        if (!BUSY_STATES.includes(endpoint.EndpointStatus)) throw notInService(endpoint);
        return { done: false, why: `it is still ${endpoint.EndpointStatus}` };
      },
      config,
      clock,
      description,
      change,
    );

  /**
   * Moves live weights between the production variants there (no shadow before or after);
   * TargetBusyError, without retrying, when another change holds the endpoint (changeTo).
   */
  async function moveWeights(endpoint: Endpoint, desired: TrafficState, change: ChangeDeadline) {
    const wanted = sharesFor(desired).map((s) => ({ ...s, variant: names.nameOf(s.version) }));
    const present = endpoint.ProductionVariants.map((v) => v.VariantName);
    // Every other variant gets weight 0, so only the two versions asked for serve.
    const weights = present.map((variant) => ({
      VariantName: variant,
      DesiredWeight: wanted.find((w) => w.variant === variant)?.percent ?? 0,
    }));
    await aws(
      [
        'update-endpoint-weights-and-capacities',
        '--endpoint-name',
        config.endpoint,
        '--desired-weights-and-capacities',
        JSON.stringify(weights),
      ],
      change,
    );
  }

  /**
   * Refuses, before any write, a change naming a version without a variant on the endpoint (the
   * deploy step skipped, a typo in the version, a blue retired after its rollback-window): the
   * request's refusal (a retry gets the same answer), so a candidate never deployed is reported so,
   * not rolled back.
   */
  function refuseUndeployed(endpoint: Endpoint, desired: TrafficState) {
    const mirror = mirrorFor(desired);
    const asked = [...sharesFor(desired), ...(mirror ? [mirror] : [])].map((s) => s.version);
    const present = variantNames(endpoint);
    const absent = [...new Set(asked)].filter((v) => !present.includes(names.nameOf(v)));
    if (absent.length > 0)
      throw notDeployed(endpoint, absent, present, mirror ? 'variant' : 'production variant');
  }

  /**
   * `absent` has no variant on the endpoint (`present` are those it has), with the two calls that
   * add one at weight 0 (model-gate creates none). A NotDeployedError: a release says deploy it
   * before the release, a rollback to deploy it again, then run the rollback again (commands.ts).
   */
  function notDeployed(endpoint: Endpoint, absent: string[], present: string[], kind: string) {
    const where = [
      ...(config.region ? [`--region ${config.region}`] : []),
      ...(config.profile ? [`--profile ${config.profile}`] : []),
    ];
    const aws = (...args: string[]) => ['aws sagemaker', ...args, ...where].join(' ');
    const current = endpoint.EndpointConfigName;
    const copy = current
      ? `its variants as \`${aws('describe-endpoint-config', '--endpoint-config-name', current)}\` shows them`
      : 'its variants';
    const create = aws(
      'create-endpoint-config',
      '--endpoint-config-name',
      'NEW_CONFIG',
      "--production-variants '[...]'",
    );
    const update = aws(
      'update-endpoint',
      '--endpoint-name',
      config.endpoint,
      '--endpoint-config-name',
      'NEW_CONFIG',
    );
    return new NotDeployedError(
      absent,
      description,
      `it has ${present.join(', ') || 'none'}`,
      `create an endpoint config with ${copy} plus ${names.nameOf(absent[0] as string)} at InitialVariantWeight 0 (\`${create}\`) and deploy it (\`${update}\`)`,
      `${description} has no ${kind} ${absent.map((v) => `${names.nameOf(v)} (version ${v})`).join(' or ')}`,
    );
  }

  /**
   * Makes the one change that brings the endpoint to `desired`: weights moved between its
   * production variants or, with a shadow before or after, a config switched to (returns its name
   * when one was deployed). The change is built from the endpoint as read once InService (its
   * variants, their definitions and sizes), so it is never sent after another change has landed,
   * which it would undo (a variant the user took off named again, a grown fleet shrunk back, a
   * definition reverted). When another change holds the endpoint by the time the update is sent
   * (`Cannot update in-progress endpoint`), or has changed it right before (stillAsRead), the change
   * is built again from the endpoint as read once that one is done; until `change`'s deadline,
   * then TargetBusyError. `from`: the endpoint as read right before the change that was sent.
   */
  async function changeTo(
    desired: TrafficState,
    change: ChangeDeadline,
  ): Promise<{ deployed: string | undefined; from: Endpoint }> {
    for (;;) {
      const endpoint = await whenInService(change);
      refuseUndeployed(endpoint, desired);
      try {
        if (mirrorFor(desired) || endpoint.ShadowProductionVariants.length > 0) {
          return { deployed: await switchConfig(endpoint, desired, { change }), from: endpoint };
        }
        await moveWeights(endpoint, desired, change);
        return { deployed: undefined, from: endpoint };
      } catch (err) {
        if (!(err instanceof TargetBusyError) || clock.now() + config.pollIntervalMs > change.at) throw err;
      }
      await clock.sleep(config.pollIntervalMs);
    }
  }

  /** The definition of the config the endpoint runs (`describe-endpoint-config`). */
  async function configOf(endpoint: Endpoint, change?: ChangeDeadline): Promise<EndpointConfig> {
    const current = endpoint.EndpointConfigName;
    if (!current) throw new TargetError(`${description} reports no endpoint config`);
    const out = await aws(['describe-endpoint-config', '--endpoint-config-name', current], change);
    return parseCliJson(endpointConfigSchema, out, '`aws sagemaker describe-endpoint-config`');
  }

  /**
   * Points the endpoint at a copy of its config (configOf) with the variants placed for
   * `desired` (placeVariants), less the variant `dropped` (a retired blue's); every call within
   * `change`'s deadline, when it is part of a traffic change. Returns the new config's name, or
   * undefined when nothing was deployed.
   *
   * The config is built from the endpoint as read, and deploying it after another run's change
   * would undo that change. So update-endpoint is never retried as built: a busy endpoint fails
   * it (TargetBusyError: a traffic change is built again, changeTo; a removal is tried at a later
   * tick), and right before it the endpoint is read again (stillAsRead): only InService as read
   * is the config deployed. SageMaker has no conditional update, but another change started after
   * that read holds the endpoint (`Updating`) until it is done, which refuses this update.
   */
  async function switchConfig(
    endpoint: Endpoint,
    desired: TrafficState,
    { change, dropped }: { change?: ChangeDeadline; dropped?: string },
  ): Promise<string | undefined> {
    const existing = await configOf(endpoint, change);
    const current = endpoint.EndpointConfigName;
    const placedFor = (base: EndpointConfig) => {
      const placed = placeVariants(base, desired, names, endpoint, {
        description,
        undeployed: (version, known) => notDeployed(endpoint, [version], known, 'variant'),
      });
      return { ...placed, production: placed.production.filter((v) => v.VariantName !== dropped) };
    };
    const argsFor = (base: EndpointConfig) => endpointConfigArgs(base, placedFor(base));
    // Already on a config with the variants placed so: nothing to deploy (autoscaling may have
    // moved the counts since, which is no reason to replace the fleet).
    if (endpointConfigName(config.endpoint, argsFor(existing)) === current) return undefined;
    // The new config deploys a new fleet: size it as the endpoint runs now, not as the config
    // says, so the variant serving callers keeps its autoscaled capacity (sagemaker-shadow.ts).
    const sized = withFleetSizes(existing, variantsOf(endpoint));
    const placed = placedFor(sized);
    const args = endpointConfigArgs(sized, placed);
    const name = endpointConfigName(config.endpoint, args);
    if (name === current) return undefined;
    const create = () =>
      aws(['create-endpoint-config', '--endpoint-config-name', name, ...args], change).catch(
        (err: unknown) => {
          // The same content always gets the same name: a config left by an earlier try is this one.
          if (!(err instanceof TargetError && CONFIG_EXISTS.test(err.message))) throw err;
        },
      );
    const update = async () => {
      await stillAsRead(endpoint, dropped === undefined ? undefined : { desired, dropped }, change);
      await aws(
        ['update-endpoint', '--endpoint-name', config.endpoint, '--endpoint-config-name', name],
        change,
      ).catch((err: unknown) => {
        if (dropped && err instanceof TargetBusyError) {
          throw new TargetBusyError(
            `${err.message.replace(/; nothing was changed, try again later$/, '')}: the production variant ${dropped} is not removed this time, so as not to undo that change`,
          );
        }
        const kept = placedFor(existing).production.map((v) => v.VariantName);
        throw refusedForAutoscaling(err, existing, kept) ?? err;
      });
    };
    await create();
    await update().catch(async (err: unknown) => {
      // The config reused was an old one, and another run's cleanup deleted it in between: make it
      // again (now young, so cleanups keep it) and deploy it, once.
      if (!(err instanceof TargetError && CONFIG_GONE.test(err.message))) throw err;
      await create();
      await update();
    });
    sayLeftOut(placed.leftOut, desired);
    return name;
  }

  /**
   * Says, once a shadow's config is deployed, the idle variants it left out (placeVariants): their
   * instances stop, so a standby kept at weight 0 is gone and a rollback to its version is no
   * longer a weights call.
   */
  function sayLeftOut(leftOut: readonly string[], desired: TrafficState) {
    if (leftOut.length === 0) return;
    const one = leftOut.length === 1;
    const variants = `the idle variant${one ? '' : 's'} ${leftOut.join(', ')} (weight 0)`;
    const mirror = mirrorFor(desired)?.version;
    const shadow = mirror === undefined ? 'the shadow' : `${mirror}'s shadow`;
    // The template read backwards (names.versionOf), else the variant's own name.
    const rollbackTo = leftOut.map((v) => names.versionOf(v) ?? `the version of ${v}`).join(' or ');
    log?.warn(
      `${modelName}: left out ${variants} from the endpoint config of ${shadow} on ${description}, which has room for one production variant beside the shadow variant: ${one ? 'its' : 'their'} instances stop, and a rollback to ${rollbackTo} needs its variant deployed again first (your deploy step)`,
    );
  }

  /**
   * Right before update-endpoint, the endpoint read again: the config built from `read` is
   * deployed only while the endpoint is InService as read (changedSince). Otherwise
   * TargetBusyError, for changeTo to build the change again. A removal (of `dropped`, serving
   * `desired` once it is gone) gives up instead: TargetBusyError while another change holds the
   * endpoint, a TargetError for any change, also one that gives `dropped` weight or serves
   * other than `desired`.
   */
  async function stillAsRead(
    read: Endpoint,
    removal: { desired: TrafficState; dropped: string } | undefined,
    deadline: ChangeDeadline | undefined,
  ) {
    const now = await describe(deadline);
    if (!removal) {
      const again = 'nothing was changed, try again later';
      if (now.EndpointStatus !== 'InService') {
        throw new TargetBusyError(`${description} is ${now.EndpointStatus} with another change; ${again}`);
      }
      // The config leaves out variants by their traffic as read (placeVariants): a weight moved since counts.
      const change = changedSince(read, now) ?? reweighted(read, now);
      if (change) throw new TargetBusyError(`${description} ${change} since model-gate read it; ${again}`);
      return;
    }
    const { desired, dropped } = removal;
    const variant = variantsOf(now).find((v) => v.VariantName === dropped);
    const weight = variant ? liveWeight(variant) : 0;
    if (now.EndpointStatus !== 'InService') {
      throw new TargetBusyError(
        `${description} is ${now.EndpointStatus} with another change: the production variant ${dropped} is not removed this time, so as not to undo that change`,
      );
    }
    const change =
      changedSince(read, now) ??
      (weight > 0
        ? `gives the variant ${dropped} weight ${weight}`
        : !serves(now, desired)
          ? `no longer serves ${desired.stable.version} alone`
          : undefined);
    if (change) {
      throw new TargetError(`${description} ${change} since model-gate read it: the variant is not removed`);
    }
  }

  /**
   * How the endpoint `now` differs from `read` in what a config built from `read` takes from it:
   * the config in use (the variants and their definitions) and each variant's size
   * (withFleetSizes); undefined when it does not.
   */
  function changedSince(read: Endpoint, now: Endpoint): string | undefined {
    if (now.EndpointConfigName !== read.EndpointConfigName) {
      return `runs the endpoint config ${now.EndpointConfigName ?? '(none)'}, not ${read.EndpointConfigName}`;
    }
    const sizeRead = (name: string) => fleetSize(variantsOf(read).find((v) => v.VariantName === name));
    const resized = variantsOf(now).find((v) => fleetSize(v) !== sizeRead(v.VariantName));
    if (!resized) return undefined;
    return `runs the variant ${resized.VariantName} on ${fleetSize(resized) ?? 'no'} instances, not ${sizeRead(resized.VariantName) ?? 'none'}`;
  }

  /** The first variant whose weight differs between `read` and `now`, in words; undefined when none. */
  function reweighted(read: Endpoint, now: Endpoint): string | undefined {
    const weightRead = (name: string) =>
      variantsOf(read).find((v) => v.VariantName === name)?.CurrentWeight ?? 0;
    const moved = variantsOf(now).find((v) => (v.CurrentWeight ?? 0) !== weightRead(v.VariantName));
    if (!moved) return undefined;
    return `gives the variant ${moved.VariantName} weight ${moved.CurrentWeight ?? 0}, not ${weightRead(moved.VariantName)}`;
  }

  /**
   * SageMaker's refusal of an update-endpoint that removes a production variant registered with
   * Application Auto Scaling (or changes its instance type), as a TargetRefusedError naming the
   * command that deregisters each such variant (the endpoint is unchanged, and a retry gets the same
   * answer until the user deregisters it); undefined for any other failure. Per
   * https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html the call fails
   * until the variant is deregistered (DeregisterScalableTarget); the service's wording is not
   * published, so any refusal that speaks of auto scaling or a scalable target counts.
   * model-gate does not deregister it itself: that deletes the user's scaling policies with it
   * (API_DeregisterScalableTarget.html), needs a permission the release does not otherwise need,
   * and would leave the variant without autoscaling were the removal then refused.
   */
  function refusedForAutoscaling(err: unknown, from: EndpointConfig, kept: readonly string[]) {
    if (!(err instanceof TargetError) || !/scalable target|auto scaling/i.test(failedWith)) return undefined;
    const removed = from.ProductionVariants.filter((v) => !kept.includes(v.VariantName));
    if (removed.length === 0) return undefined;
    const commands = removed.map((v) =>
      [
        'aws application-autoscaling deregister-scalable-target --service-namespace sagemaker',
        `--scalable-dimension sagemaker:variant:${v.ServerlessConfig ? 'DesiredProvisionedConcurrency' : 'DesiredInstanceCount'}`,
        `--resource-id endpoint/${config.endpoint}/variant/${v.VariantName}`,
        ...(config.region ? [`--region ${config.region}`] : []),
        ...(config.profile ? [`--profile ${config.profile}`] : []),
      ].join(' '),
    );
    const [one] = removed;
    const listed = commands.map((c) => `\`${c}\``).join(', ');
    return new TargetRefusedError(
      one && removed.length === 1
        ? `${description} keeps the production variant ${one.VariantName}: it is registered with Application Auto Scaling, and SageMaker removes no such variant. Deregister it first (its scaling policies go with it): ${listed}`
        : `${description} keeps the production variants ${removed.map((v) => v.VariantName).join(', ')}: SageMaker removes no variant registered with Application Auto Scaling. Deregister those registered first (their scaling policies go with them): ${listed}`,
    );
  }

  /** What the endpoint serves, from its variants' current weights; `known` as Target.read's. */
  function trafficOf(endpoint: Endpoint, known?: KnownVersions): TrafficState {
    const weights = endpoint.ProductionVariants.map((v) => ({
      name: v.VariantName,
      percent: v.CurrentWeight ?? 0,
    }));
    // A shadow copies its weight relative to the production weight (sagemaker-shadow.ts).
    const live = weights.reduce((sum, s) => sum + s.percent, 0);
    const copied = endpoint.ShadowProductionVariants.map((v) => ({
      name: v.VariantName,
      percent: live > 0 ? ((v.CurrentWeight ?? 0) / live) * 100 : 0,
    }));
    return trafficFromShares(
      names.sharesOf(weights, known, description),
      { expected, known },
      description,
      names.sharesOf(copied, known, description, true),
    );
  }

  /**
   * What the endpoint serves, for a decision (Target.read and the read-back): trafficOf, once no
   * update is moving it. While one is, the current weights are about to change: per
   * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantSummary.html an
   * endpoint Updating after UpdateEndpointWeightsAndCapacities shows "different desired and current
   * values", and one deploying another config shows it in PendingDeploymentSummary. Read as
   * settled, a 10% step still landing read as its candidate withdrawn, and nothing withdrew it
   * once it landed. TargetBusyError instead, so the caller tries again once the update is done.
   */
  function settledTraffic(endpoint: Endpoint, known?: KnownVersions): TrafficState {
    const status = endpoint.EndpointStatus;
    if (status === 'InService') return trafficOf(endpoint, known);
    const moving = variantsOf(endpoint).some(
      (v) => v.DesiredWeight !== undefined && v.DesiredWeight !== (v.CurrentWeight ?? 0),
    );
    const pending = endpoint.PendingDeploymentSummary;
    if (!moving && !pending) return trafficOf(endpoint, known);
    if (!BUSY_STATES.includes(status)) throw notInService(endpoint);
    const what = moving
      ? `its weights are still changing, to ${weightsText(endpoint, 'DesiredWeight')} (now ${weightsText(endpoint, 'CurrentWeight')})`
      : `it is still deploying the endpoint config ${pending?.EndpointConfigName ?? '(unnamed)'}`;
    throw new TargetBusyError(
      `${description} is ${status}: ${what}, so what it serves is not known yet; try again once the update is done`,
    );
  }

  /** Whether the endpoint serves `desired`, as the read-back will judge it. */
  function serves(endpoint: Endpoint, desired: TrafficState): boolean {
    try {
      return sameTraffic(trafficOf(endpoint, knownOf(desired)), desired);
    } catch {
      return false; // what it serves cannot be read: the read-back reports that, not the cleanup
    }
  }

  /**
   * The configs model-gate made for this endpoint that are old enough to delete, by name; none when
   * they cannot be listed (or `within` has no time left).
   */
  async function oldConfigsMadeHere(within?: ChangeDeadline): Promise<string[]> {
    const createdBefore = new Date(clock.now() - config.settleTimeoutMs - CLEANUP_MARGIN_MS).toISOString();
    try {
      const out = await aws(
        [
          'list-endpoint-configs',
          '--name-contains',
          configNamePrefix(config.endpoint),
          '--creation-time-before',
          createdBefore,
        ],
        within,
      );
      const listed = parseCliJson(configListSchema, out, '`aws sagemaker list-endpoint-configs`');
      return listed.EndpointConfigs.map((c) => c.EndpointConfigName);
    } catch {
      return []; // a missing permission, say: the cleanup is best effort
    }
  }

  /**
   * Once the endpoint, InService on a config model-gate made (`deployed`, after a switch), serves
   * `desired`: deletes every other config model-gate made for this endpoint that is old enough
   * (CLEANUP_MARGIN_MS), never a user's own config, never the one in use and never one another run
   * may have just made. One younger, the one it just left included, stays until a later change.
   * Best effort: the traffic change has succeeded, so a failed list or delete (a config already
   * gone, a missing IAM permission, throttling that outlasts the retries) does not fail it; a
   * Target has no channel for warnings, so such a config just stays until a later change cleans up
   * again. Within a traffic change (`change`), only while its settle-timeout lasts, each call cut
   * to that: the grace after it is the read-back's (withoutGrace).
   */
  async function deleteUnusedConfigs(
    settled: Endpoint,
    desired: TrafficState,
    deployed: string | undefined,
    change?: ChangeDeadline,
  ) {
    const inUse = settled.EndpointConfigName;
    if (!inUse || !madeByModelGate(config.endpoint, inUse)) return;
    if (deployed && inUse !== deployed) return;
    if (!serves(settled, desired)) return;
    const within = change && withoutGrace(change);
    const unused = (await oldConfigsMadeHere(within)).filter(
      (n) => n !== inUse && madeByModelGate(config.endpoint, n),
    );
    for (const name of unused) {
      await aws(['delete-endpoint-config', '--endpoint-config-name', name], within).catch(() => undefined);
    }
  }

  /**
   * One traffic change, all of it within `change`'s deadline (change-deadline.ts): the waits for
   * the endpoint, every call, each rebuild after another change held it up, and the cleanup.
   */
  async function changeWithin(desired: TrafficState, change: ChangeDeadline): Promise<void> {
    for (const share of sharesFor(desired)) names.nameOf(share.version);
    checkShadow(desired);
    expected = desired;
    const { deployed, from } = await changeTo(desired, change).catch((err: unknown) => {
      throw ranOut(err, change);
    });
    // A describe that fails and may pass is no failure of the change SageMaker took: the read-back
    // waits again (settleAccepted).
    const sent = { desired, deployed, from, passed: new Set<string>() };
    await settleAccepted(() => settle(sent, change), failedReads.has);
  }

  /**
   * The rest of a change SageMaker took (`sent`): the wait for InService, SageMaker's own undoing
   * of it, the cleanup. A describe refused for good (credentials), an endpoint Failed and one still
   * Updating at the deadline fail it.
   */
  async function settle(sent: Sent, change: ChangeDeadline): Promise<void> {
    const settled = await whenInService(change, sent.passed).catch((err: unknown) => {
      throw failedReads.has(err) ? err : ranOut(err, change);
    });
    const undone = rolledBackBySageMaker(sent.from, settled, sent.passed, sent.desired, sent.deployed);
    if (undone) throw undone;
    await deleteUnusedConfigs(settled, sent.desired, sent.deployed, change);
  }

  /**
   * What the endpoint serves, after `change` (the read-back) or on its own. An update landing
   * (another run's step) is waited out, as a change waits for InService: a rollback started
   * meanwhile then reads what serves once it has landed.
   */
  async function served(known: KnownVersions | undefined, change?: ChangeDeadline): Promise<TrafficState> {
    return waitUntilSettled(
      async () => {
        try {
          return { done: true, value: settledTraffic(await describe(change), known) };
        } catch (err) {
          if (err instanceof TargetBusyError) return { done: false, why: err.message };
          throw err;
        }
      },
      config,
      clock,
      description,
      change,
    );
  }

  /**
   * SageMaker's own undoing of the change just sent, as a TargetError quoting its FailureReason;
   * undefined when the endpoint serves `desired`, or nothing says SageMaker rolled it back. Per
   * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html an endpoint
   * that "fails to scale up or down or change its variant weight" goes RollingBack and returns to
   * InService on its previous configuration; the read-back alone then says only that the endpoint
   * serves other than asked, not that SageMaker undid the change nor why. Known by the RollingBack
   * status passed while waiting (`passed`), or by a FailureReason the endpoint did not give before
   * the change (`from`): the rollback can begin and end between two reads.
   */
  function rolledBackBySageMaker(
    from: Endpoint,
    settled: Endpoint,
    passed: ReadonlySet<string>,
    desired: TrafficState,
    deployed: string | undefined,
  ): TargetError | undefined {
    if (serves(settled, desired)) return undefined;
    const reason = settled.FailureReason?.replace(/[.\s]+$/, '');
    const fresh = settled.FailureReason !== undefined && settled.FailureReason !== from.FailureReason;
    if (!passed.has('RollingBack') && !fresh) return undefined;
    const known = knownOf(desired);
    const servedText = (endpoint: Endpoint) => {
      try {
        return describeTraffic(trafficOf(endpoint, known));
      } catch {
        return weightsText(endpoint, 'CurrentWeight');
      }
    };
    const now = servedText(settled);
    const asBefore = now === servedText(from) ? ' as before' : '';
    const candidate = desired.canary?.version ?? mirrorFor(desired)?.version;
    const what = deployed ? `the update to the endpoint config ${deployed}` : 'the weights';
    const why = reason ? `giving as its reason "${reason}"` : 'giving no FailureReason';
    const untaken =
      candidate && candidate !== desired.stable.version ? `, so ${candidate} gets no new traffic` : '';
    const todo = reason ? 'Fix what that reason names' : "Find out why in the endpoint's CloudWatch logs";
    return new TargetError(
      `${description} did not take ${describeTraffic(desired)}: SageMaker rolled ${what} back, ${why}, and it serves ${now}${asBefore}${untaken}. ${todo}, then run model-gate again`,
    );
  }

  /**
   * A busy endpoint (another change, or this one still deploying) when `change`'s time is up: the
   * error names settle-timeout, which bounds the whole change, to raise when updates take longer.
   */
  function ranOut(err: unknown, change: ChangeDeadline): unknown {
    if (!(err instanceof TargetBusyError)) return err;
    return new TargetBusyError(
      `${err.message}, or raise the target's settle-timeout (${formatDuration(change.settleTimeoutMs)}, for the whole traffic change) if the endpoint's updates just take longer`,
    );
  }

  return {
    description,
    identity,
    platformName: names.nameFor,
    stickySplit: targetCapabilities('sagemaker').sticky,
    ...changesWithin(config.settleTimeoutMs, clock, changeWithin, served),
    async deployedAs(version) {
      const variant = names.nameOf(version);
      return variantNames(await describe()).includes(variant) ? `production variant ${variant}` : undefined;
    },
    async removeIdle(version, stable) {
      const variant = names.nameOf(version);
      const alone = withdrawTraffic(stable);
      expected = alone;
      const endpoint = await whenInService();
      if (!variantNames(endpoint).includes(variant)) return;
      // Weight 0 and no shadow: what serves is the stable version alone, as the new config has it.
      if (!serves(endpoint, alone)) {
        throw new TargetError(
          `${description} does not serve ${stable} alone (with the production variant ${variant} at weight 0): the variant is not removed`,
        );
      }
      // Deployed only while the endpoint is still as just read (switchConfig): never after waiting.
      const deployed = await switchConfig(endpoint, alone, { dropped: variant });
      const settled = await whenInService();
      await deleteUnusedConfigs(settled, alone, deployed);
      if (variantNames(settled).includes(variant)) {
        throw new TargetError(
          `${description} still has the production variant ${variant} after being switched to a config without it`,
        );
      }
    },
  };
}

/** A change SageMaker took: what it was asked, the endpoint right before, what the wait saw of it. */
interface Sent {
  desired: TrafficState;
  /** The endpoint config deployed, when the change switched to one. */
  deployed: string | undefined;
  from: Endpoint;
  /** The statuses the wait for InService read (rolledBackBySageMaker). */
  passed: Set<string>;
}

/** Every variant the endpoint runs, production and shadow. */
const variantsOf = (endpoint: Endpoint) => [
  ...endpoint.ProductionVariants,
  ...endpoint.ShadowProductionVariants,
];
const variantNames = (endpoint: Endpoint) => variantsOf(endpoint).map((v) => v.VariantName);

/** `fraud-v1 90%, fraud-v2 10%`: each production variant's share of live traffic by `weight`. */
function weightsText(endpoint: Endpoint, weight: 'CurrentWeight' | 'DesiredWeight'): string {
  const of = (v: Endpoint['ProductionVariants'][number]) => v[weight] ?? v.CurrentWeight ?? 0;
  const total = endpoint.ProductionVariants.reduce((sum, v) => sum + of(v), 0);
  const percent = (v: Endpoint['ProductionVariants'][number]) =>
    total > 0 ? Math.round((of(v) / total) * 10_000) / 100 : 0;
  return endpoint.ProductionVariants.map((v) => `${v.VariantName} ${percent(v)}%`).join(', ');
}

function classify(result: { stderr: string }): FailureKind {
  if (/\((ThrottlingException|TooManyRequestsException|RequestLimitExceeded)\)/.test(result.stderr))
    return 'throttled';
  if (/Cannot update in-progress endpoint/.test(result.stderr)) return 'busy';
  if (AWS_DENIED.test(result.stderr)) return 'denied';
  // The endpoint itself (never a config: `Could not find endpoint configuration`, which a cleanup meets).
  if (/Could not find endpoint "/.test(result.stderr)) return 'missing';
  // A repeat is safe: a read reads, and a write that landed the first time finds the endpoint
  // Updating (busy: changeTo builds the change again) or its config there (CONFIG_EXISTS).
  if (AWS_TRANSIENT.test(result.stderr)) return 'transient';
  return 'failed';
}

/**
 * The AWS CLI's words for SageMaker failing in passing (a 500 or 503, a request out of time) or
 * nobody answering at its address (botocore's EndpointConnectionError, ConnectTimeoutError,
 * ReadTimeoutError, ConnectionClosedError), once the CLI's own retries are spent.
 */
const AWS_TRANSIENT =
  /\((ServiceUnavailable(Exception)?|InternalFailure|RequestTimeout(Exception)?)\)|Could not connect to the endpoint URL|(Connect|Read) timeout on endpoint URL|Connection was closed before we received a valid response/;

/**
 * The AWS CLI's words for credentials refused: an expired or unknown key or token, a missing IAM
 * permission, no credentials or profile at all.
 */
const AWS_DENIED =
  /\((AccessDenied(Exception)?|ExpiredToken(Exception)?|UnrecognizedClientException|InvalidClientTokenId|InvalidSignatureException|SignatureDoesNotMatch)\)|Unable to locate credentials|The config profile \(.*\) could not be found|Token has expired and refresh failed|The SSO session associated with this profile has expired|Error loading SSO Token|Partial credentials found in/;
