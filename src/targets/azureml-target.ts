import { z } from 'zod';
import { formatDuration, formatElapsed } from '../config/duration.js';
import type { AzureMlTargetConfig } from '../config/types.js';
import { type Clock, systemClock } from '../core/clock.js';
import { TargetError } from '../core/errors.js';
import { describeTraffic, sameTraffic, type TrafficState } from '../core/traffic.js';
import { targetCapabilities } from './capabilities.js';
import { type ChangeDeadline, changesWithin } from './change-deadline.js';
import { TargetAccessError } from './errors.js';
import { identityOf } from './identity.js';
import { platformNames } from './names.js';
import { NotDeployedError } from './not-deployed.js';
import {
  callCli,
  type FailureKind,
  type PlatformCli,
  parsePlatformJson,
  waitUntilSettled,
} from './platform-cli.js';
import type { RemovesIdleVersions } from './retire-idle.js';
import { mirrorFor, type Share, sharesFor, trafficFromShares } from './split.js';
import type { KnownVersions, Target } from './target.js';

// Driven with the Azure CLI `ml` extension (v2), per
// https://learn.microsoft.com/en-us/cli/azure/ml/online-endpoint (show; update --traffic
//   "blue=90 green=10" --mirror-traffic "green=10")
// https://learn.microsoft.com/en-us/azure/machine-learning/how-to-safely-rollout-online-endpoints
//   (mirroring: `--mirror-traffic "green=10"`; "set the mirror traffic to zero to disable
//   mirroring": `--mirror-traffic "green=0"`; a deployment with live traffic takes no mirror)
// https://learn.microsoft.com/en-us/javascript/api/@azure/arm-machinelearning/onlineendpointproperties
//   (traffic sums to 100; mirror traffic sums to at most 50; provisioningState)
// https://learn.microsoft.com/en-us/cli/azure/ml/online-deployment (show; delete --yes
//   --no-wait) and the safe-rollout page above ("Delete the now-unused v1 blue deployment")
// Each version is served by a deployment named by the `deployment` template; model-gate moves
// the endpoint's traffic between existing deployments and never creates one. It deletes one only
// to retire blue-green's blue after its rollback-window, or a closed PR's candidate (removeIdle),
// while it has no traffic.
// An endpoint `Updating` (or `Creating`, `Deleting`) is locked: model-gate waits for it, then
// gives up with TargetBusyError. One `Failed` or `Canceled` (the other EndpointProvisioningState
// values, https://learn.microsoft.com/en-us/javascript/api/@azure/arm-machinelearning/knownendpointprovisioningstate)
// takes no traffic to a candidate: see `refuseUnlessWithdrawing`. A deployment has a provisioning
// state of its own (DeploymentProvisioningState: Creating, Deleting, Scaling, Updating, Succeeded,
// Failed, Canceled, https://learn.microsoft.com/en-us/javascript/api/@azure/arm-machinelearning/knowndeploymentprovisioningstate;
// `provisioning_state` in `az ml online-deployment show`): one Failed or Canceled takes no more
// traffic than it has (see `refuseFailedDeployments`).

const endpointSchema = z.object({
  name: z.string(),
  provisioning_state: z.string().optional(),
  traffic: z.record(z.string(), z.number()).nullish(),
  mirror_traffic: z.record(z.string(), z.number()).nullish(),
});
type Endpoint = z.output<typeof endpointSchema>;
const deploymentSchema = z.object({ name: z.string(), provisioning_state: z.string().optional() });
/** What `az ml online-deployment show` answers for a deployment the endpoint does not have. */
const NO_DEPLOYMENT = /\(ResourceNotFound\)|Code: ResourceNotFound/;
/**
 * What the config names and Azure does not have, in ARM's words: the resource group (`Resource
 * group 'G' could not be found.`), the workspace or the endpoint itself (`The Resource
 * 'Microsoft.MachineLearningServices/workspaces/W/onlineEndpoints/E' under resource group 'G' was
 * not found.`). Never a deployment (`.../onlineEndpoints/E/deployments/D'`): one not created yet,
 * the green slot, is a state read as such (NO_DEPLOYMENT).
 */
const NO_ENDPOINT =
  /\(ResourceGroupNotFound\)|The Resource 'Microsoft\.MachineLearningServices\/workspaces\/[^/']+(\/onlineEndpoints\/[^/']+)?' under resource group/i;

/**
 * Azure lowercases a deployment's name when it creates it and reports it so
 * (Azure/azure-sdk-for-python#28715: "if the given deployment name has uppercase letters, it is
 * converted to lowercase"), so names are made lowercase here too: `V2` is `fraud-v2`, the name
 * Azure uses. Length and characters per how-to-manage-quotas (deployment names "Begin with a
 * letter", "Be 3-32 characters", letters, numbers and dashes) and azure-ai-ml's
 * validate_endpoint_or_deployment_name (ends with a letter or digit).
 */
const DEPLOYMENT_NAME = {
  what: 'deployment name',
  pattern: /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/,
  allowed: /[a-zA-Z0-9-]/,
  lowercase: true,
  maxLength: 32,
  rule: "3-32 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit",
  field: 'deployment',
};
const LOCKED = ['Updating', 'Creating', 'Deleting'];
/** Provisioning states after a create or update that did not finish: not locked, not settled either. */
const UNSETTLED = ['Failed', 'Canceled'];

/** What one `az ml online-endpoint update` sets: live percent and mirrored percent per deployment. */
export interface AzureTraffic {
  traffic: Record<string, number>;
  mirror: Record<string, number>;
}

/**
 * The `--traffic` and `--mirror-traffic` values for a desired split. Deployments already on
 * the endpoint (`existing`) but not in `live` get 0, so only the versions asked for serve.
 * The endpoint's mirror_traffic holds one deployment ("a dictionary with a single key-value
 * pair", reference-yaml-endpoint-online; "You can only mirror traffic to one deployment",
 * how-to-safely-rollout-online-endpoints), and a new value replaces it: the mirror sent is the
 * wanted pair alone, or, to stop a mirror, the deployment mirrored now (`mirroring`) at 0, the
 * documented `--mirror-traffic "green=0"`. Azure ML takes whole percentages, mirrors at most 50%
 * to one deployment, and never to a deployment that takes live traffic: all are refused here,
 * before any call.
 */
export function azureTraffic(
  live: Record<string, number>,
  mirror: Record<string, number>,
  existing: readonly string[],
  mirroring: readonly string[] = [],
): AzureTraffic {
  const limit = targetCapabilities('azureml').maxMirrorPercent;
  for (const [name, percent] of [...Object.entries(live), ...Object.entries(mirror)]) {
    if (!Number.isInteger(percent)) {
      throw new TargetError(`Azure ML takes whole percentages of traffic, got ${percent}% for ${name}`);
    }
  }
  const targets = Object.keys(mirror);
  if (targets.length > 1) {
    throw new TargetError(`Azure ML mirrors to one deployment only, asked for ${targets.join(' and ')}`);
  }
  const mirrored = Object.values(mirror).reduce((a, b) => a + b, 0);
  if (mirrored > limit) {
    throw new TargetError(`Azure ML mirrors at most ${limit}% of live traffic, asked for ${mirrored}%`);
  }
  const both = Object.keys(mirror).find((name) => (mirror[name] ?? 0) > 0 && (live[name] ?? 0) > 0);
  if (both) throw new TargetError(`Azure ML cannot mirror traffic to ${both}, which also takes live traffic`);
  const stopped = mirroring.find((name) => !(name in mirror));
  const sent = targets.length > 0 ? mirror : stopped ? { [stopped]: 0 } : {};
  return { traffic: zeroedBut(existing, live), mirror: sent };
}

/** `names` at 0, then `split` on top. */
const zeroedBut = (names: readonly string[], split: Record<string, number>): Record<string, number> => ({
  ...Object.fromEntries(names.map((name) => [name, 0])),
  ...split,
});

/**
 * Whether `desired` is what the engine asks for to withdraw a candidate (withdrawTraffic): the
 * stable version alone, with no candidate slot at all (not even at 0%), no mirror, no rolling pool.
 * A blue-green promotion keeps blue as a 0% candidate, so it is told apart; a promotion that leaves
 * the candidate alone (canary, linear, shadow, A/B) has this same shape and passes for one.
 */
const isWithdrawal = (desired: TrafficState) => !desired.canary && !desired.mirror && !desired.rolling;

/** `{ blue: 90, green: 10 }` -> `"blue=90 green=10"`. */
export const trafficArgument = (split: Record<string, number>) =>
  Object.entries(split)
    .map(([name, percent]) => `${name}=${percent}`)
    .join(' ');

export function azuremlTarget(
  config: AzureMlTargetConfig,
  modelName: string,
  clock: Clock = systemClock,
): Target & RemovesIdleVersions {
  // Azure names the endpoint in lowercase (ARM names are case-insensitive), as it does a
  // deployment: `Fraud-Prod` is read and reported as `fraud-prod`. The identity keeps the config's
  // text, so a release recorded before this reads as the same platform.
  const endpointName = config.endpoint.toLowerCase();
  const description = `Azure ML endpoint ${endpointName} (workspace ${config.workspace})`;
  const identity = identityOf('azureml', {
    endpoint: config.endpoint,
    workspace: config.workspace,
    'resource-group': config.resourceGroup,
    subscription: config.subscription,
  });
  const names = platformNames(config.deployment, modelName, DEPLOYMENT_NAME);
  const scope = [
    '--name',
    endpointName,
    '--resource-group',
    config.resourceGroup,
    '--workspace-name',
    config.workspace,
    ...(config.subscription ? ['--subscription', config.subscription] : []),
    '--output',
    'json',
  ];
  const cli: PlatformCli = {
    program: 'az',
    description,
    classify,
    outageAdvice:
      "Azure's API did not answer (an outage, or the runner's network to Azure): check https://azure.status.microsoft and the runner's network, then try again",
  };
  let expected: TrafficState | undefined;
  /** What each traffic change's update sent, for its read-back to wait for (readWithin). */
  const sentIn = new WeakMap<ChangeDeadline, AzureTraffic & { desired: TrafficState }>();
  /** `az ml online-deployment` names the endpoint with --endpoint-name, the deployment with --name. */
  const deploymentScope = (name: string) => ['--name', name, '--endpoint-name', ...scope.slice(1)];

  /**
   * The deployment `name` of the endpoint as `show` reports it; undefined when there is none.
   * `change`: the traffic change it is read for, whose deadline it keeps.
   */
  async function deployment(name: string, change?: ChangeDeadline) {
    const args = ['ml', 'online-deployment', 'show', ...deploymentScope(name)];
    const out = await callCli(cli, args, config, clock, { deadline: change }).catch((err: unknown) => {
      // An endpoint that is not there has no deployment to read either: that is the config's to fix.
      if (err instanceof TargetAccessError) throw err;
      if (err instanceof TargetError && NO_DEPLOYMENT.test(err.message)) return undefined;
      throw err;
    });
    return out === undefined
      ? undefined
      : parsePlatformJson(deploymentSchema, out, '`az ml online-deployment show`');
  }

  // `change`: the traffic change a call belongs to, whose deadline it keeps.
  async function show(change?: ChangeDeadline): Promise<Endpoint> {
    const args = ['ml', 'online-endpoint', 'show', ...scope];
    const out = await callCli(cli, args, config, clock, { deadline: change });
    return parsePlatformJson(endpointSchema, out, '`az ml online-endpoint show`');
  }

  const whenUnlocked = (change?: ChangeDeadline) =>
    waitUntilSettled(
      async () => {
        const endpoint = await show(change);
        const state = endpoint.provisioning_state ?? 'Succeeded';
        if (LOCKED.includes(state)) return { done: false, why: `its provisioning state is still ${state}` };
        return { done: true, value: endpoint };
      },
      config,
      clock,
      description,
      change,
    );

  /**
   * A Failed or Canceled endpoint's last create or update did not finish, so what it serves and
   * whether it takes an update are Azure's to say. A change sending all live traffic to one
   * deployment with no mirror is still sent, as stable serving matters most, when that deployment
   * serves now (a promotion onto it looks the same) or the change is a withdrawal (isWithdrawal):
   * a rollback onto blue kept at 0% while green bakes, after a 100% step, or to a version a
   * promotion left at 0%. One Azure refuses fails as any call does, one it takes is read back; a
   * deployment coming up from 0% is still checked first (refuseFailedDeployments). Any other change
   * is refused before any call, saying what to do.
   */
  function refuseUnlessWithdrawing(
    endpoint: Endpoint,
    desired: TrafficState,
    live: Record<string, number>,
    mirror: Share | undefined,
  ) {
    const state = endpoint.provisioning_state ?? 'Succeeded';
    if (!UNSETTLED.includes(state)) return;
    const serving = Object.keys(live).filter((name) => (live[name] ?? 0) > 0);
    const onto = serving.length === 1 ? serving[0] : undefined;
    const servingNow = onto !== undefined && (endpoint.traffic?.[onto] ?? 0) > 0;
    if (!mirror && onto !== undefined && (servingNow || isWithdrawal(desired))) return;
    const where = scope.slice(0, scope.indexOf('--output')).join(' ');
    throw new TargetError(
      `${description} is ${state}: its last create or update ${state === 'Failed' ? 'failed' : 'was canceled'}, so model-gate sends no traffic to a candidate on it. See why with \`az ml online-endpoint show ${where}\` and the endpoint's activity log in the Azure portal, update it until it is Succeeded (\`az ml online-endpoint update ${where} --file <its YAML>\`), then run model-gate again`,
    );
  }

  /**
   * A deployment whose last create or update Failed or was Canceled may not be serving: Azure's
   * word on it is its `show`, not the endpoint's traffic, which still lists it. No deployment
   * is sent more live or mirrored traffic than it has while it is so; model-gate never creates
   * nor updates a deployment (the user's deploy step does), so it refuses before any call, naming
   * the deployment and what to do. All live traffic sent to one deployment serving now, with no
   * mirror (a withdrawal), is sent whatever that deployment's state, as stable serving matters
   * most; one onto a deployment at 0% (a rollback onto blue) only once its `show` says it is
   * neither Failed nor Canceled: a Failed blue may serve nothing, so green keeps its traffic. One
   * `show` per deployment that gains traffic; one not there is refused too (notDeployed).
   */
  async function refuseFailedDeployments(
    endpoint: Endpoint,
    live: Record<string, number>,
    mirror: Record<string, number>,
    change: ChangeDeadline,
  ) {
    const servingNow = (name: string) => (endpoint.traffic?.[name] ?? 0) > 0;
    const onto = Object.keys(live).filter((name) => (live[name] ?? 0) > 0);
    const withdrawing = Object.keys(mirror).length === 0 && onto.length === 1 && servingNow(onto[0] ?? '');
    if (withdrawing) return;
    const gaining = [
      ...Object.keys(live).filter((name) => (live[name] ?? 0) > (endpoint.traffic?.[name] ?? 0)),
      ...Object.keys(mirror).filter((name) => (mirror[name] ?? 0) > (endpoint.mirror_traffic?.[name] ?? 0)),
    ];
    for (const name of new Set(gaining)) {
      const found = await deployment(name, change);
      const where = deploymentScope(name).slice(0, deploymentScope(name).indexOf('--output')).join(' ');
      const version = names.versionOf(name);
      if (!found) throw notDeployed(endpoint, name, version, where);
      const state = found.provisioning_state;
      if (state === undefined || !UNSETTLED.includes(state)) continue;
      throw new TargetError(
        `${description}: the deployment ${name}${version ? ` (version ${version})` : ''} is ${state}: its last create or update ${state === 'Failed' ? 'failed' : 'was canceled'}, so model-gate sends it no traffic. See why with \`az ml online-deployment get-logs ${where}\`, create or update it until it is Succeeded (\`az ml online-deployment update ${where} --file <its YAML>\`), then run model-gate again`,
      );
    }
  }

  /**
   * A deployment that is not there to take traffic (the deploy step skipped, a typo in the
   * version): the request's refusal, before any update (Azure's own answer to it is a BadRequest a
   * retry gets again), so a candidate never deployed is reported so, not rolled back. With what the
   * endpoint's traffic lists and the command that creates it without traffic (no --all-traffic).
   */
  function notDeployed(endpoint: Endpoint, name: string, version: string | undefined, where: string) {
    const listed = Object.entries(endpoint.traffic ?? {}).map(([d, percent]) => `${d} ${percent}%`);
    return new NotDeployedError(
      [version ?? name],
      description,
      `its traffic lists ${listed.join(', ') || 'none'}`,
      `\`az ml online-deployment create ${where} --file <its YAML>\` (without --all-traffic, it takes no traffic)`,
      `Deployment ${name} does not exist in endpoint ${endpointName} (workspace ${config.workspace})${version ? `, so version ${version} cannot take traffic` : ''}`,
    );
  }

  /**
   * What the endpoint serves; `change`: the traffic change this is the read-back of. Azure's `show`
   * may lag an update that has finished (Microsoft's azd reads again for this, Azure/azure-dev#3881),
   * so the read-back of an update reads again every poll-interval until `traffic` and
   * `mirror_traffic` are what it sent, or the change's deadline; only then is it a mismatch.
   */
  async function readWithin(known: KnownVersions | undefined, change?: ChangeDeadline) {
    const update = change && sentIn.get(change);
    const began = clock.now();
    let reads = 1;
    let endpoint = await show(change);
    while (update && change && !shows(endpoint, update)) {
      const left = change.at - clock.now();
      if (left <= 0) break;
      // The last read falls on the deadline, as waitUntilSettled's last look does.
      await clock.sleep(Math.min(config.pollIntervalMs, left));
      endpoint = await show(change);
      reads += 1;
    }
    const sharesOf = (split: Record<string, number> | null | undefined, mirrored = false) =>
      names.sharesOf(
        Object.entries(split ?? {}).map(([name, percent]) => ({ name, percent })),
        known,
        description,
        mirrored,
      );
    const observed = trafficFromShares(
      sharesOf(endpoint.traffic),
      { expected, known },
      description,
      sharesOf(endpoint.mirror_traffic, true),
    );
    if (update && change && !sameTraffic(observed, update.desired)) {
      const over = reads === 1 ? 'once' : `${reads} times over ${formatElapsed(clock.now() - began)}`;
      throw new TargetError(
        `${description} serves ${describeTraffic(observed)} after being asked for ${describeTraffic(update.desired)} (read back ${over} after the update); if Azure is only slow to show its updates, raise the target's settle-timeout (${formatDuration(change.settleTimeoutMs)}, for the whole traffic change)`,
      );
    }
    return observed;
  }

  /** Whether `endpoint` shows what `update` sent; a deployment either leaves out is at 0. */
  function shows(endpoint: Endpoint, update: AzureTraffic) {
    const same = (shown: Record<string, number> | null | undefined, sent: Record<string, number>) =>
      [...Object.keys(shown ?? {}), ...Object.keys(sent)].every(
        (name) => (shown?.[name] ?? 0) === (sent[name] ?? 0),
      );
    return same(endpoint.traffic, update.traffic) && same(endpoint.mirror_traffic, update.mirror);
  }

  /**
   * One traffic change, all of it within `change`'s deadline: the wait for another change holding
   * the endpoint, then the update (retried while it is refused as busy; `az` waits for it to end).
   */
  async function changeTo(desired: TrafficState, change: ChangeDeadline): Promise<void> {
    const splitOf = (shares: Share[]) =>
      Object.fromEntries(shares.map((s) => [names.nameOf(s.version), s.percent]));
    const live = splitOf(sharesFor(desired));
    const shadow = mirrorFor(desired);
    const wanted = splitOf(shadow ? [shadow] : []);
    expected = desired;
    const endpoint = await whenUnlocked(change);
    refuseUnlessWithdrawing(endpoint, desired, live, shadow);
    await refuseFailedDeployments(endpoint, live, wanted, change);
    const existing = Object.keys(endpoint.traffic ?? {});
    const mirroring = Object.entries(endpoint.mirror_traffic ?? {})
      .filter(([, percent]) => percent > 0)
      .map(([name]) => name);
    const { traffic, mirror } = azureTraffic(live, wanted, existing, mirroring);
    // One update sets both, so a deployment can leave the mirror for live traffic (a
    // promotion after a shadow) in the same call. With nothing mirrored before or after,
    // the endpoint's mirror is not mentioned at all; else it names one deployment (azureTraffic).
    const mirrorArgs = Object.keys(mirror).length > 0 ? ['--mirror-traffic', trafficArgument(mirror)] : [];
    await callCli(
      cli,
      ['ml', 'online-endpoint', 'update', ...scope, '--traffic', trafficArgument(traffic), ...mirrorArgs],
      config,
      clock,
      { waitWhileBusy: true, deadline: change },
    );
    sentIn.set(change, { traffic, mirror, desired });
  }

  return {
    description,
    identity,
    platformName: names.nameFor,
    stickySplit: targetCapabilities('azureml').sticky,
    ...changesWithin(config.settleTimeoutMs, clock, changeTo, readWithin),
    async deployedAs(version) {
      const name = names.nameOf(version);
      const found = await deployment(name);
      if (!found || found.provisioning_state === 'Deleting') return undefined;
      // A Failed or Canceled one is still there (and may hold instances): retiring blue deletes
      // it, and says so; a rollback onto it is refused (refuseFailedDeployments).
      const state = found.provisioning_state ?? 'Succeeded';
      return UNSETTLED.includes(state) ? `${state} deployment ${name}` : `deployment ${name}`;
    },
    async removeIdle(version) {
      const name = names.nameOf(version);
      const found = await deployment(name);
      if (!found) return;
      // One a cut-short run asked to delete is waited for, not asked again.
      if (found.provisioning_state !== 'Deleting') {
        const endpoint = await whenUnlocked();
        const live = endpoint.traffic?.[name] ?? 0;
        const mirrored = endpoint.mirror_traffic?.[name] ?? 0;
        if (live > 0 || mirrored > 0) {
          throw new TargetError(
            `${description} sends ${live > 0 ? `${live}% of live traffic` : `a ${mirrored}% mirror`} to the deployment ${name}: it is not deleted`,
          );
        }
        const args = ['ml', 'online-deployment', 'delete', ...deploymentScope(name), '--yes', '--no-wait'];
        await callCli(cli, args, config, clock, { waitWhileBusy: true });
      }
      // The delete runs on after --no-wait: gone once `show` no longer finds it.
      await waitUntilSettled(
        async () => {
          const left = await deployment(name);
          if (!left) return { done: true, value: undefined };
          return {
            done: false,
            why: `its deployment ${name} is still ${left.provisioning_state ?? 'there'}`,
          };
        },
        config,
        clock,
        description,
      );
    },
  };
}

function classify(result: { stderr: string }): FailureKind {
  if (/\((TooManyRequests|Throttled)\)|throttl/i.test(result.stderr)) return 'throttled';
  if (/\(Conflict\)|in (Updating|Creating|Deleting) provisioning state/.test(result.stderr)) return 'busy';
  // A missing role assignment, an expired or absent `az login` (an OIDC assertion past its time: AADSTS).
  if (
    /\((AuthorizationFailed|AuthenticationFailed|InvalidAuthenticationToken\w*|ExpiredAuthenticationToken)\)|\bAADSTS\d+|Please run 'az login'|[Pp]lease run:\s+az login/.test(
      result.stderr,
    )
  )
    return 'denied';
  if (NO_ENDPOINT.test(result.stderr)) return 'missing';
  // ARM failing for a moment, or nobody answering: the update sets an absolute split, a show reads.
  if (AZ_TRANSIENT.test(result.stderr)) return 'transient';
  return 'failed';
}

/**
 * az's words for Azure failing in passing: ARM's 500, 503 and 504 (`(InternalServerError)`,
 * `(ServiceUnavailable)`, `(GatewayTimeout)`), or azure-core finding nobody to answer at its address
 * (a ServiceRequestError or ServiceResponseError: `HTTPSConnectionPool(...): Max retries exceeded`,
 * `Connection aborted`, `Read timed out`, requests' ConnectionError and ReadTimeout). Checked after
 * the denials: an expired `az login` comes with a sign-in's words (AADSTS), whatever else it says.
 */
const AZ_TRANSIENT =
  /\((InternalServerError|ServiceUnavailable|GatewayTimeout)\)|HTTPSConnectionPool\(|Max retries exceeded|Connection aborted|Read timed out|\b(ConnectionError|ReadTimeout|ServiceRequestError|ServiceResponseError)\b/;
