import { z } from 'zod';
import type { VertexTargetConfig } from '../config/types.js';
import { type Clock, systemClock } from '../core/clock.js';
import { TargetError } from '../core/errors.js';
import type { TrafficState } from '../core/traffic.js';
import { targetCapabilities } from './capabilities.js';
import { type ChangeDeadline, changesWithin } from './change-deadline.js';
import { identityOf } from './identity.js';
import { platformNames } from './names.js';
import { callCli, type FailureKind, type PlatformCli, parseCliJson } from './platform-cli.js';
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
// deploys one. It undeploys one only to retire blue-green's blue after its rollback-window
// (removeIdle), while it has 0%. An endpoint with an operation in progress (FAILED_PRECONDITION)
// is waited for, then TargetBusyError.

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
  const cli: PlatformCli = { program: 'gcloud', description, classify };
  let expected: TrafficState | undefined;

  // `change`: the traffic change a call belongs to, whose deadline it keeps.
  async function describe(change?: ChangeDeadline): Promise<Endpoint> {
    const args = ['ai', 'endpoints', 'describe', config.endpoint, ...scope];
    const out = await callCli(cli, args, config, clock, { deadline: change });
    return parseCliJson(endpointSchema, out, '`gcloud ai endpoints describe`');
  }

  /** Deployed model ID -> display name; a display name on two deployed models is ambiguous. */
  function displayNames(endpoint: Endpoint): Map<string, string> {
    const byId = new Map<string, string>();
    const seen = new Set<string>();
    for (const m of endpoint.deployedModels) {
      const name = m.displayName ?? m.id;
      if (seen.has(name)) {
        throw new TargetError(
          `${description} has two deployed models named ${JSON.stringify(name)}: give each version's deployment its own display name`,
        );
      }
      seen.add(name);
      byId.set(m.id, name);
    }
    return byId;
  }

  /** The deployed model that serves `version`, by its display name; undefined when none does. */
  function deployedModelOf(endpoint: Endpoint, version: string) {
    const name = names.nameOf(version);
    const id = [...displayNames(endpoint)].find(([, shown]) => shown === name)?.[0];
    return id === undefined ? undefined : { id, name, what: `deployed model ${name} with ID ${id}` };
  }

  /** What the endpoint serves; `change`: the traffic change this is the read-back of. */
  async function readWithin(known: KnownVersions | undefined, change?: ChangeDeadline) {
    const endpoint = await describe(change);
    const byId = displayNames(endpoint);
    const split = endpoint.trafficSplit ?? {};
    const entries = [...byId].map(([id, name]) => ({ name, percent: split[id] ?? 0 }));
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
    const byName = new Map([...displayNames(endpoint)].map(([id, name]) => [name, id]));
    const absent = wanted.filter((w) => !byName.has(w.displayName));
    if (absent.length > 0) {
      throw new TargetError(
        `${description} has no deployed model named ${absent.map((a) => `${a.displayName} (version ${a.version})`).join(' or ')}; it has ${[...byName.keys()].join(', ') || 'none'}. Deploy the version to the endpoint (with 0% traffic) before the release`,
      );
    }
    // Deployed models left out of the split get 0%.
    const split = wanted
      .filter((w) => w.percent > 0)
      .map((w) => `${byName.get(w.displayName)}=${w.percent}`)
      .join(',');
    await callCli(
      cli,
      ['ai', 'endpoints', 'update', config.endpoint, ...scope, `--traffic-split=${split}`],
      config,
      clock,
      { waitWhileBusy: true, deadline: change },
    );
  }

  return {
    description,
    identity,
    platformName: names.nameFor,
    stickySplit: targetCapabilities('vertex').sticky,
    ...changesWithin(config.settleTimeoutMs, clock, changeTo, readWithin),
    async deployedAs(version) {
      return deployedModelOf(await describe(), version)?.what;
    },
    async removeIdle(version) {
      const endpoint = await describe();
      const model = deployedModelOf(endpoint, version);
      if (!model) return;
      const percent = endpoint.trafficSplit?.[model.id] ?? 0;
      if (percent > 0) {
        throw new TargetError(
          `${description} sends ${percent}% of live traffic to the ${model.what}: it is not undeployed`,
        );
      }
      // gcloud waits for the undeploy operation: it may take as long as the platform settles.
      const timing = { ...config, timeoutMs: Math.max(config.timeoutMs, config.settleTimeoutMs) };
      await callCli(
        cli,
        ['ai', 'endpoints', 'undeploy-model', config.endpoint, ...scope, `--deployed-model-id=${model.id}`],
        timing,
        clock,
        { waitWhileBusy: true },
      );
      const left = deployedModelOf(await describe(), version);
      if (left) throw new TargetError(`${description} still has the ${left.what} after undeploying it`);
    },
  };
}

function classify(result: { stderr: string }): FailureKind {
  if (/RESOURCE_EXHAUSTED|Quota exceeded|rateLimitExceeded/.test(result.stderr)) return 'throttled';
  if (/FAILED_PRECONDITION|ABORTED/.test(result.stderr)) return 'busy';
  // A missing IAM permission, an expired or absent `gcloud auth login`.
  if (
    /PERMISSION_DENIED|UNAUTHENTICATED|do not currently have an active account|Reauthentication failed|problem refreshing your current auth tokens/.test(
      result.stderr,
    )
  )
    return 'denied';
  if (NO_ENDPOINT.test(result.stderr)) return 'missing';
  return 'failed';
}
