import { z } from 'zod';
import type { VertexTargetConfig } from '../config/types.js';
import { type Clock, systemClock } from '../core/clock.js';
import { TargetError } from '../core/errors.js';
import type { TrafficState } from '../core/traffic.js';
import { targetCapabilities } from './capabilities.js';
import { type ChangeDeadline, changesWithin } from './change-deadline.js';
import { TargetRefusedError } from './errors.js';
import { identityOf } from './identity.js';
import { platformNames } from './names.js';
import { NotDeployedError } from './not-deployed.js';
import { callCli, type FailureKind, type PlatformCli, parsePlatformJson } from './platform-cli.js';
import type { RemovesIdleVersions } from './retire-idle.js';
import { sharesFor, trafficFromShares } from './split.js';
import type { KnownVersions, Target } from './target.js';

// Driven with gcloud, per
// https://cloud.google.com/sdk/gcloud/reference/ai/endpoints/update
//   (`--traffic-split=[DEPLOYED_MODEL_ID=VALUE,...]`, at most one of it and --clear-traffic-split)
// https://cloud.google.com/sdk/gcloud/reference/ai/endpoints/describe
// https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.endpoints
//   (deployedModels[].id / displayName; trafficSplit: deployed model ID -> whole percent, sum 100)
// https://cloud.google.com/sdk/gcloud/reference/ai/endpoints/undeploy-model and
// https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.endpoints/undeployModel
//   (`--deployed-model-id=ID`; removes the deployed model and frees its resources; succeeds only
//   while it has no traffic; gcloud waits for the operation)
// Each version is a model deployed to the endpoint whose display name comes from the
// `deployed-model` template; model-gate changes the split between deployed models and never
// deploys one. It undeploys a version's (every deployed model with its display name) only to retire
// blue-green's blue after its rollback-window, or a closed PR's candidate (removeIdle), while each
// has 0%. An endpoint with an operation in progress (FAILED_PRECONDITION saying so, or ABORTED) is
// waited for, then TargetBusyError; any other FAILED_PRECONDITION is permanent (IN_PROGRESS).
// UNAVAILABLE ("a transient condition, which can be corrected by retrying with a backoff",
// google.rpc.Code), DEADLINE_EXCEEDED and INTERNAL, and gcloud finding no network (GCLOUD_UNREACHED),
// are retried with a growing pause until the settle-timeout on the calls safe to repeat, as that
// code's note asks: describe, and update (an absolute split, the same however often it lands); not
// undeploy-model. With no `project` in the config, gcloud's own
// (core/project) is used.

const endpointSchema = z.object({
  name: z.string(),
  deployedModels: z.array(z.object({ id: z.string(), displayName: z.string().optional() })).default([]),
  trafficSplit: z.record(z.string(), z.number()).nullish(),
});
type Endpoint = z.output<typeof endpointSchema>;

/**
 * The API's answer for an endpoint the config names and the project (in that region) does not
 * have: `NOT_FOUND: Endpoint \`projects/P/locations/R/endpoints/ID\` not found.` Not a deployed
 * model's (`NOT_FOUND: Deployed model …`): which deployed models there are is read from `describe`.
 */
const NO_ENDPOINT = /NOT_FOUND: Endpoint `?[^`\s]+`? (was )?not found/;

const DISPLAY_NAME = {
  what: 'deployed model display name',
  pattern: /^.{1,128}$/s,
  allowed: /./,
  maxLength: 128,
  rule: 'at most 128 characters',
};

export function vertexTarget(
  config: VertexTargetConfig,
  modelName: string,
  clock: Clock = systemClock,
): Target & RemovesIdleVersions {
  const description = `Vertex AI endpoint ${config.endpoint} (${config.region})`;
  const identity = identityOf('vertex', {
    endpoint: config.endpoint,
    region: config.region,
    project: config.project,
  });
  const names = platformNames(config.deployedModel, modelName, DISPLAY_NAME);
  const scope = [
    `--region=${config.region}`,
    ...(config.project ? [`--project=${config.project}`] : []),
    '--format=json',
    '--quiet',
  ];
  const cli: PlatformCli = {
    program: 'gcloud',
    description,
    classify,
    outageAdvice:
      "Google's API did not answer (an outage, or the runner's network to Google): check https://status.cloud.google.com and the runner's network, then try again",
  };
  // undeploy-model waits for its operation: one that ended DEADLINE_EXCEEDED or INTERNAL may have
  // removed the deployed model all the same, and a second try would answer NOT_FOUND. Its failure
  // is said, and the next run (a re-run, the next tick) looks again.
  const undeploying: PlatformCli = {
    ...cli,
    classify: (result) => {
      const kind = classify(result);
      return kind === 'transient' ? 'failed' : kind;
    },
  };
  let expected: TrafficState | undefined;

  // `change`: the traffic change a call belongs to, whose deadline it keeps.
  async function describe(change?: ChangeDeadline): Promise<Endpoint> {
    const args = ['ai', 'endpoints', 'describe', config.endpoint, ...scope];
    const out = await callCli(cli, args, config, clock, { deadline: change });
    return parsePlatformJson(endpointSchema, out, '`gcloud ai endpoints describe`');
  }

  /**
   * Deployed model IDs by display name (one without a display name goes by its ID). Vertex AI lets
   * two deployed models share a display name (a re-run deploy step deploys fraud-v2 again), so a
   * name may stand for several IDs; only a change that gives that name traffic is ambiguous.
   */
  function idsByName(endpoint: Endpoint): Map<string, string[]> {
    const byName = new Map<string, string[]>();
    for (const m of endpoint.deployedModels) {
      const name = m.displayName ?? m.id;
      byName.set(name, [...(byName.get(name) ?? []), m.id]);
    }
    return byName;
  }

  /** `gcloud ai endpoints COMMAND` on this endpoint, for messages that tell the user what to run. */
  const gcloud = (command: string, ...flags: string[]) =>
    [
      'gcloud ai endpoints',
      command,
      config.endpoint,
      ...scope.filter((a) => a !== '--format=json'),
      ...flags,
    ].join(' ');

  /**
   * The deployed models of `version`, by its display name (two when its deploy step ran twice);
   * undefined when it has none.
   */
  function deployedModelsOf(endpoint: Endpoint, version: string) {
    const name = names.nameOf(version);
    const ids = idsByName(endpoint).get(name) ?? [];
    if (ids.length === 0) return undefined;
    const what = `deployed model ${name} with ${ids.length === 1 ? 'ID' : 'IDs'} ${ids.join(', ')}`;
    return { ids, name, what };
  }

  /**
   * Why `version` cannot be given traffic: deployed models `ids` all have its name, and which one
   * should serve it is the user's call. The one to remove is suggested: the last with the least
   * traffic (a deployed model with traffic is not undeployed).
   */
  function ambiguous(endpoint: Endpoint, name: string, version: string, ids: string[]) {
    const percent = (id: string) => endpoint.trafficSplit?.[id] ?? 0;
    const extra = ids.reduce((least, id) => (percent(id) <= percent(least) ? id : least));
    const each = ids.map((id) => `${id} with ${percent(id)}%`).join(', ');
    return new TargetRefusedError(
      `${description} has ${ids.length} deployed models named ${JSON.stringify(name)} (IDs ${each}), so which one serves version ${version} is ambiguous; model-gate changed nothing. Undeploy the extra one, e.g. \`${gcloud('undeploy-model', `--deployed-model-id=${extra}`)}\`, then run again`,
    );
  }

  /**
   * What the endpoint serves; `change`: the traffic change this is the read-back of. Deployed
   * models sharing a display name are one version's: their traffic is summed under it, which is
   * what that version serves (and 0% when a withdrawal took it all away).
   */
  async function readWithin(known: KnownVersions | undefined, change?: ChangeDeadline) {
    const endpoint = await describe(change);
    const split = endpoint.trafficSplit ?? {};
    const entries = [...idsByName(endpoint)].map(([name, ids]) => ({
      name,
      percent: ids.reduce((sum, id) => sum + (split[id] ?? 0), 0),
    }));
    return trafficFromShares(names.sharesOf(entries, known, description), { expected, known }, description);
  }

  /**
   * One traffic change, all of it within `change`'s deadline: the read before and the update
   * (retried while an operation in progress holds the endpoint; gcloud waits for it to end).
   */
  async function changeTo(desired: TrafficState, change: ChangeDeadline): Promise<void> {
    const wanted = sharesFor(desired).map((s) => ({ ...s, displayName: names.nameOf(s.version) }));
    expected = desired;
    const fractional = wanted.find((w) => !Number.isInteger(w.percent));
    if (fractional) {
      throw new TargetError(
        `Vertex AI takes whole percentages of traffic, got ${fractional.percent}% for ${fractional.version}`,
      );
    }
    const endpoint = await describe(change);
    const byName = idsByName(endpoint);
    const absent = wanted.filter((w) => !byName.has(w.displayName));
    if (absent.length > 0) throw notDeployed(endpoint, absent, [...byName.keys()]);
    const live = wanted.filter((w) => w.percent > 0);
    for (const w of live) {
      const ids = byName.get(w.displayName) ?? [];
      if (ids.length > 1) throw ambiguous(endpoint, w.displayName, w.version, ids);
    }
    // Deployed models left out of the split get 0%.
    const split = live.map((w) => `${byName.get(w.displayName)?.[0]}=${w.percent}`).join(',');
    await callCli(
      cli,
      ['ai', 'endpoints', 'update', config.endpoint, ...scope, `--traffic-split=${split}`],
      config,
      clock,
      { waitWhileBusy: true, deadline: change },
    ).catch(refusedAsRequest);
  }

  /**
   * Versions without a deployed model: a refusal of the request (the PR's version, or the deploy
   * step, must change; a retry gets the same answer), before any write, with the command that
   * deploys one at 0% beside the current split.
   */
  function notDeployed(
    endpoint: Endpoint,
    absent: { version: string; displayName: string }[],
    present: string[],
  ) {
    const current = Object.entries(endpoint.trafficSplit ?? {}).filter(([, percent]) => percent > 0);
    const keep =
      current.length > 0
        ? [`--traffic-split=${['0=0', ...current.map(([id, p]) => `${id}=${p}`)].join(',')}`]
        : [];
    const deploy = gcloud(
      'deploy-model',
      '--model=MODEL',
      `--display-name=${absent[0]?.displayName}`,
      ...keep,
    );
    return new NotDeployedError(
      absent.map((a) => a.version),
      description,
      `it has ${present.join(', ') || 'none'}`,
      `\`${deploy}\` with MODEL its model in the Model Registry (and its machine type)`,
      `${description} has no deployed model named ${absent.map((a) => `${a.displayName} (version ${a.version})`).join(' or ')}`,
    );
  }

  return {
    description,
    identity,
    platformName: names.nameFor,
    stickySplit: targetCapabilities('vertex').sticky,
    ...changesWithin(config.settleTimeoutMs, clock, changeTo, readWithin),
    async deployedAs(version) {
      return deployedModelsOf(await describe(), version)?.what;
    },
    // Every deployed model of the version goes: each keeps its nodes (and their bill) at 0%.
    async removeIdle(version) {
      const endpoint = await describe();
      const model = deployedModelsOf(endpoint, version);
      if (!model) return;
      const percent = (id: string) => endpoint.trafficSplit?.[id] ?? 0;
      const live = model.ids.filter((id) => percent(id) > 0);
      if (live.length > 0) {
        const total = live.reduce((sum, id) => sum + percent(id), 0);
        const each =
          model.ids.length > 1 ? ` (${model.ids.map((id) => `${id} ${percent(id)}%`).join(', ')})` : '';
        throw new TargetError(
          `${description} sends ${total}% of live traffic to the ${model.what}${each}: it is not undeployed`,
        );
      }
      // gcloud waits for the undeploy operation: it may take as long as the platform settles.
      const timing = { ...config, timeoutMs: Math.max(config.timeoutMs, config.settleTimeoutMs) };
      for (const id of model.ids) {
        await callCli(
          undeploying,
          ['ai', 'endpoints', 'undeploy-model', config.endpoint, ...scope, `--deployed-model-id=${id}`],
          timing,
          clock,
          { waitWhileBusy: true },
        );
      }
      const left = deployedModelsOf(await describe(), version);
      if (left) throw new TargetError(`${description} still has the ${left.what} after undeploying it`);
    },
  };
}

/**
 * An operation in progress on the endpoint (a deploy, an undeploy, another update): the one
 * FAILED_PRECONDITION that ends by itself. Google's rule for the code is "do not retry until the
 * system state has been explicitly fixed" (google.rpc.Code), and Vertex AI uses it so ("Endpoint …
 * doesn't have traffic_split", undeploying a model that still has traffic): any other is permanent.
 */
const IN_PROGRESS =
  /FAILED_PRECONDITION:.*\b(ongoing|in progress|being (deployed|undeployed|updated|modified))\b/is;

/**
 * gcloud's words for nobody answering at Google's address, the API's or the sign-in's
 * (oauth2.googleapis.com): `There was a problem refreshing your current auth tokens:
 * HTTPSConnectionPool(...): Max retries exceeded ... NameResolutionError ... Try again` (with
 * `Please run: gcloud auth login` after it, which no login mends), google-auth's TransportError,
 * `gcloud crashed (ConnectionError)` or `(ConnectTimeout)`, and its "network connectivity issues".
 */
const GCLOUD_UNREACHED =
  /HTTPSConnectionPool|Max retries exceeded|NameResolutionError|Connection aborted|TransportError|network connectivity|ConnectionError|ConnectTimeout/;

/** The API's refusal of the request itself (HTTP 400): the same update gets the same answer. */
const REFUSED = /\b(FAILED_PRECONDITION|INVALID_ARGUMENT):/;

/** A plain failure of `update` that is the API's refusal, as one (an outage or a busy endpoint stays as it is). */
function refusedAsRequest(err: unknown): never {
  if (err instanceof TargetError && err.constructor === TargetError && REFUSED.test(err.message)) {
    throw new TargetRefusedError(err.message);
  }
  throw err;
}

function classify(result: { stderr: string }): FailureKind {
  if (/RESOURCE_EXHAUSTED|Quota exceeded|rateLimitExceeded/.test(result.stderr)) return 'throttled';
  // ABORTED: a concurrent change won; Google's rule for it is to retry the read-modify-write.
  if (IN_PROGRESS.test(result.stderr) || /\bABORTED\b/.test(result.stderr)) return 'busy';
  // Before the denials: gcloud words a token refresh that found no network as an auth problem.
  if (GCLOUD_UNREACHED.test(result.stderr)) return 'transient';
  // A missing IAM permission, an expired or absent `gcloud auth login`.
  if (
    /PERMISSION_DENIED|UNAUTHENTICATED|do not currently have an active account|Reauthentication failed|problem refreshing your current auth tokens/.test(
      result.stderr,
    )
  )
    return 'denied';
  if (NO_ENDPOINT.test(result.stderr)) return 'missing';
  // An outage, a call out of time, a server error: they pass, so a call safe to repeat is retried.
  if (/\b(UNAVAILABLE|DEADLINE_EXCEEDED|INTERNAL):/.test(result.stderr)) return 'transient';
  return 'failed';
}
