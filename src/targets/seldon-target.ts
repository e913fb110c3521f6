import { z } from 'zod';
import type { SeldonTargetConfig } from '../config/types.js';
import { type Clock, systemClock } from '../core/clock.js';
import { TargetError } from '../core/errors.js';
import type { TrafficState } from '../core/traffic.js';
import { targetCapabilities } from './capabilities.js';
import { type ChangeDeadline, changesWithin } from './change-deadline.js';
import { TargetAccessError } from './errors.js';
import { identityOf } from './identity.js';
import { conditionSchema } from './k8s-condition.js';
import { KUBECTL_DENIED, kubectlScope } from './kubectl-scope.js';
import { KUBERNETES_NAME, platformNames } from './names.js';
import {
  callCli,
  type FailureKind,
  type PlatformCli,
  parseCliJson,
  waitUntilSettled,
} from './platform-cli.js';
import {
  appliedCheck,
  beforeApply,
  isReady,
  managedFieldsSchema,
  notActedReason,
  notReadyReason,
  readyVersusSpec,
} from './seldon-status.js';
import { mirrorFor, sharesFor, trafficFromShares } from './split.js';
import type { KnownVersions, Target } from './target.js';

// Driven with kubectl on a Seldon Core v2 Experiment, per
// https://docs.seldon.ai/seldon-core-2/kubernetes/resources/experiment
//   (spec.candidates[] {name, weight}: traffic share = weight / sum of weights; spec.mirror
//   {name, percent}; clients call the experiment with the header `seldon-model: <name>.experiment`)
// and the CRD's types (SeldonIO/seldon-core operator/apis/mlops/v1alpha1/experiment_types.go:
//   weights are uint32; status conditions ExperimentReady, CandidatesReady, MirrorReady, Ready).
// A write is settled once the scheduler has reported the applied spec (seldon-status.ts).
// The manifest goes to `kubectl apply -f -` on standard input, never through a shell. Each
// version is served by a Seldon Model named by the `model-name` template; model-gate writes the
// Experiment only and never creates Models, nor the Experiment the clients call (see missing).
// A weight of 0 is valid: the CRD's uint32 has no minimum, the scheduler checks only that there is
// a candidate (scheduler/pkg/store/experiment/validate.go) and routes by Envoy weighted clusters,
// where a cluster may weigh 0 as long as the sum does not.

const EXPERIMENT = 'experiments.mlops.seldon.io';
/**
 * kubectl's words for what the config names and the cluster does not have: the Experiment (a
 * `get` without --ignore-not-found, after the apply), its namespace, or Seldon's CRDs on the
 * cluster of the context. Never a Model's: the Experiment's status tells of those (seldon-status.ts).
 */
const NO_EXPERIMENT =
  /\(NotFound\): (error when \w+ "STDIN": )?(experiments\.mlops\.seldon\.io|namespaces) "[^"]*" not found|doesn't have a resource type "experiments|no matches for kind "Experiment"/;

const experimentSchema = z.object({
  metadata: z.object({
    name: z.string(),
    generation: z.number().optional(),
    managedFields: managedFieldsSchema.optional(),
  }),
  // Loose: the fields model-gate does not own (default, resourceType) go back in each apply.
  spec: z.looseObject({
    default: z.string().optional(),
    candidates: z.array(z.object({ name: z.string(), weight: z.number() })).default([]),
    mirror: z.object({ name: z.string(), percent: z.number() }).optional(),
  }),
  status: z.object({ conditions: z.array(conditionSchema).default([]) }).default({ conditions: [] }),
});
type Experiment = z.output<typeof experimentSchema>;

/**
 * The Experiment manifest for a split: `candidates` as given, the mirror when it has a percent, and
 * the rest of the spec model-gate does not own as `kept` has it (the Experiment there). `kubectl
 * apply` removes a field the previous apply had and this one lacks, so these must be sent again:
 * `default` (the Model whose own endpoint the Experiment splits: without it the clients calling
 * that Model bypass the Experiment) and `resourceType` (`pipeline`: the candidates are Pipelines;
 * without it Seldon takes them for Models), per
 * https://docs.seldon.ai/seldon-core-2/kubernetes/resources/experiment. The scheduler refuses a
 * `default` that is not a candidate (scheduler/pkg/store/experiment/validate.go
 * validateDefaultModelIsCandidate, at any weight), so one the split leaves out stays at weight 0:
 * its endpoint keeps splitting, all of it to the others.
 */
export function experimentManifest(
  name: string,
  namespace: string,
  candidates: { name: string; weight: number }[],
  mirror?: { name: string; percent: number },
  kept: Record<string, unknown> & { default?: string | undefined } = {},
) {
  const { candidates: _owned, mirror: _alsoOwned, ...rest } = kept;
  const listed = rest.default === undefined || candidates.some((c) => c.name === rest.default);
  return {
    apiVersion: 'mlops.seldon.io/v1alpha1',
    kind: 'Experiment',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'model-gate' } },
    spec: {
      ...rest,
      candidates: listed ? candidates : [...candidates, { name: rest.default as string, weight: 0 }],
      ...(mirror && mirror.percent > 0 ? { mirror } : {}),
    },
  };
}

/**
 * The candidates for `desired`: a candidate version at 0% is left out (a withdrawal takes it out
 * of the Experiment), the stable one is kept at 0% while the candidate has all the traffic (a step
 * of 100%): listed, it reads back as the stable version still, not as one a promotion replaced.
 */
function candidatesFor(desired: TrafficState, nameOf: (version: string) => string) {
  return sharesFor(desired)
    .filter((s) => s.percent > 0 || s.version === desired.stable.version)
    .map((s) => ({ name: nameOf(s.version), weight: s.percent }));
}

export function seldonTarget(
  config: SeldonTargetConfig,
  modelName: string,
  clock: Clock = systemClock,
): Target {
  const name = config.experiment ?? modelName;
  const description = `Seldon Experiment ${name} (namespace ${config.namespace})`;
  const identity = identityOf('seldon', {
    namespace: config.namespace,
    experiment: name,
    context: config.context,
  });
  const names = platformNames(config.modelName, modelName, KUBERNETES_NAME);
  const scope = kubectlScope(config);
  const cli: PlatformCli = { program: 'kubectl', description, classify };
  let expected: TrafficState | undefined;

  // managedFields say when the spec was written (seldon-status.ts); kubectl hides them by default.
  // `change`: the traffic change a call belongs to, whose deadline it keeps.
  async function get(change?: ChangeDeadline): Promise<Experiment> {
    const args = ['get', EXPERIMENT, name, ...scope, '--show-managed-fields', '-o', 'json'];
    const out = await callCli(cli, args, config, clock, { deadline: change });
    return parseCliJson(experimentSchema, out, `\`kubectl get ${EXPERIMENT}\``);
  }

  /** The Experiment, or undefined when there is none yet (kubectl prints nothing then). */
  async function getIfAny(change?: ChangeDeadline): Promise<Experiment | undefined> {
    const args = [
      'get',
      EXPERIMENT,
      name,
      ...scope,
      '--ignore-not-found',
      '--show-managed-fields',
      '-o',
      'json',
    ];
    const out = await callCli(cli, args, config, clock, { deadline: change });
    return out.trim() ? parseCliJson(experimentSchema, out, `\`kubectl get ${EXPERIMENT}\``) : undefined;
  }

  /** What the Experiment serves; `change`: the traffic change this is the read-back of. */
  async function readWithin(known: KnownVersions | undefined, change?: ChangeDeadline) {
    const experiment = await getIfAny(change);
    // No wait brings it back (a read-back stops at once): the user names or creates it.
    if (!experiment) throw new TargetAccessError(missing(known));
    if (!isReady(experiment)) {
      throw new TargetError(
        `${description} is not active, so what it serves is unknown: ${notReadyReason(experiment, config.namespace)}`,
      );
    }
    // Ready from before the spec was written is an earlier spec's: the spec is not what routes.
    if (readyVersusSpec(experiment) === 'before') {
      throw new TargetError(
        `${description} does not serve its spec yet, so what it serves is unknown: ${notActedReason(experiment, config.namespace)}`,
      );
    }
    const shares = names.sharesOf(
      experiment.spec.candidates.map((c) => ({ name: c.name, percent: c.weight })),
      known,
      description,
    );
    const { mirror } = experiment.spec;
    const mirrored = mirror
      ? names.sharesOf([{ name: mirror.name, percent: mirror.percent }], known, description, true)
      : [];
    return trafficFromShares(shares, { expected, known }, description, mirrored);
  }

  /**
   * Why there is nothing to read: the clients call the Experiment, so one model-gate created would
   * move no traffic they send; the user creates it, the stable Model on all of it.
   */
  function missing(known: KnownVersions | undefined): string {
    const stable = (known?.stable !== undefined && names.nameFor(known.stable)) || '<the stable Model>';
    const manifest = {
      apiVersion: 'mlops.seldon.io/v1alpha1',
      kind: 'Experiment',
      metadata: { name, namespace: config.namespace },
      spec: { candidates: [{ name: stable, weight: 100 }] },
    };
    return `${description} does not exist: check the names in the target's config (experiment, namespace, context), or create it first with the stable Model at 100% (\`kubectl apply -f -\` of ${JSON.stringify(manifest)}) and have the clients call it (header \`seldon-model: ${name}.experiment\`), then run model-gate again`;
  }

  /**
   * One traffic change, all of it within `change`'s deadline: the read before, the apply (retried
   * while another change holds the Experiment) and the wait for the scheduler to act on it.
   */
  async function changeTo(desired: TrafficState, change: ChangeDeadline): Promise<void> {
    const candidates = candidatesFor(desired, names.nameOf);
    const shadow = mirrorFor(desired);
    const mirror = shadow && { name: names.nameOf(shadow.version), percent: shadow.percent };
    expected = desired;
    const fractional = [
      ...candidates.map((c) => ({ name: c.name, value: c.weight })),
      ...(mirror ? [{ name: `the mirror ${mirror.name}`, value: mirror.percent }] : []),
    ].find((c) => !Number.isInteger(c.value));
    if (fractional) {
      throw new TargetError(
        `Seldon weights are whole numbers, got ${fractional.value} for ${fractional.name}`,
      );
    }
    // Ready still says True for the previous spec until the scheduler reports this one.
    const current = await getIfAny(change);
    // No mirror in the manifest removes the one there (kubectl apply drops fields it applied
    // before); the fields model-gate does not own are sent as they are.
    const manifest = experimentManifest(name, config.namespace, candidates, mirror, current?.spec);
    const applied = appliedCheck(beforeApply(current), config.namespace);
    // The same spec again (a retry) is not applied: an apply that changed labels only would move
    // the time the spec was written without a new generation for the scheduler to act on.
    if (!current || !sameSplit(current.spec, manifest.spec)) {
      await callCli(cli, ['apply', '-f', '-', ...scope], config, clock, {
        input: JSON.stringify(manifest),
        waitWhileBusy: true,
        deadline: change,
      });
    } else if (isReady(current) && readyVersusSpec(current) !== 'before') {
      // Nothing written and nothing pending (a rollback to what serves, after a refused step): the
      // wait below would wait for a report that never comes when Ready moved in the second the
      // spec was written. readWithin takes the same Experiment as serving its spec.
      return;
    }
    // Either way it waits until the scheduler has acted on the generation there is.
    await waitUntilSettled(async () => applied(await get(change)), config, clock, description, change);
  }

  return {
    description,
    identity,
    platformName: names.nameFor,
    stickySplit: targetCapabilities('seldon').sticky,
    ...changesWithin(config.settleTimeoutMs, clock, changeTo, readWithin),
  };
}

/** Whether an Experiment's spec already has the candidates and mirror a manifest would apply. */
function sameSplit(spec: Experiment['spec'], wanted: ReturnType<typeof experimentManifest>['spec']): boolean {
  const mirror = 'mirror' in wanted ? wanted.mirror : undefined;
  return (
    JSON.stringify(spec.candidates) === JSON.stringify(wanted.candidates) &&
    JSON.stringify(spec.mirror) === JSON.stringify(mirror)
  );
}

function classify(result: { stderr: string }): FailureKind {
  if (/\(TooManyRequests\)|too many requests/i.test(result.stderr)) return 'throttled';
  if (/\(Conflict\)|the object has been modified/.test(result.stderr)) return 'busy';
  if (KUBECTL_DENIED.test(result.stderr)) return 'denied';
  if (NO_EXPERIMENT.test(result.stderr)) return 'missing';
  return 'failed';
}
