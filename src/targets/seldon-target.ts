import { z } from 'zod';
import type { SeldonTargetConfig } from '../config/types.js';
import { type Clock, systemClock } from '../core/clock.js';
import { TargetError } from '../core/errors.js';
import type { TrafficState } from '../core/traffic.js';
import { targetCapabilities } from './capabilities.js';
import { type ChangeDeadline, changesWithin } from './change-deadline.js';
import { PolicyRefusedError, TargetAccessError, TargetRefusedError } from './errors.js';
import { identityOf } from './identity.js';
import { conditionSchema } from './k8s-condition.js';
import {
  callKubectl,
  KUBECTL_DENIED,
  KUBECTL_OUTAGE_ADVICE,
  KUBECTL_TRANSIENT,
  kubectlScope,
  WEBHOOK_DENIED,
} from './kubectl-scope.js';
import { KUBERNETES_NAME, platformNames } from './names.js';
import { type FailureKind, type PlatformCli, parsePlatformJson, waitUntilSettled } from './platform-cli.js';
import {
  appliedCheck,
  beforeApply,
  isReady,
  managedFieldsSchema,
  notActedReason,
  notReadyReason,
  readyVersusSpec,
  unservableReason,
} from './seldon-status.js';
import { mirrorFor, sharesFor, trafficFromShares } from './split.js';
import { type KnownVersions, knownVersionList, type Target } from './target.js';

// Driven with kubectl on a Seldon Core v2 Experiment, per
// https://docs.seldon.ai/seldon-core-2/kubernetes/resources/experiment
//   (spec.candidates[] {name, weight}: traffic share = weight / sum of weights; spec.mirror
//   {name, percent}; clients call the experiment with the header `seldon-model: <name>.experiment`)
// and the CRD's types (SeldonIO/seldon-core operator/apis/mlops/v1alpha1/experiment_types.go:
//   weights are uint32; status conditions ExperimentReady, CandidatesReady, MirrorReady, Ready).
// A write is settled once the scheduler has reported the applied spec (seldon-status.ts).
// A change is a JSON merge patch of spec.candidates and spec.mirror only (`kubectl patch --type
// merge`, RFC 7386: a list is replaced whole, a null removes the field, the rest of the object is
// left as it is), never through a shell: the Experiment's labels and annotations (a GitOps tool's
// tracking label, Helm's managed-by) and the rest of its spec are not model-gate's. `kubectl apply`
// would remove metadata the previous apply set and this one lacks, and take over the
// last-applied-configuration annotation the user's own applies compute removals from
// (https://kubernetes.io/docs/tasks/manage-kubernetes-objects/declarative-config/). Each version is
// served by a Seldon Model named by the `model-name` template; model-gate writes the Experiment
// only (one that is not there yet is created, with `kubectl apply -f -` on standard input) and
// never creates Models, and gives no traffic to a Model that is not Ready (checkServable): the
// scheduler would not route the changed Experiment, and the change would wait its whole
// settle-timeout to fail.
// Seldon has one mirror per Experiment. Model-gate's is a shadow's: one it set (it notes the name
// in the annotation MIRROR_NOTE, so that a later run, told only of the stable version, still
// removes it) or one to a version it was told of (the read's known versions, what it asked for).
// Any other (a user's payload logger, whose name need not fit the `model-name` template) is left
// exactly as it is: out of every patch (a merge patch leaves what it does not name), out of the
// traffic read back. A shadow, which needs the mirror, is refused while another holds it.
// A weight of 0 is valid: the CRD's uint32 has no minimum, the scheduler checks only that there is
// a candidate (scheduler/pkg/store/experiment/validate.go) and routes by Envoy weighted clusters,
// where a cluster may weigh 0 as long as the sum does not.

const EXPERIMENT = 'experiments.mlops.seldon.io';
/** The annotation naming the mirror model-gate set, while it is there. */
const MIRROR_NOTE = 'model-gate/shadow-mirror';
const SERVERS = { Model: 'models.mlops.seldon.io', Pipeline: 'pipelines.mlops.seldon.io' } as const;
/** A Model's or Pipeline's status, as much as checkServable reads. */
const serverSchema = z.object({
  status: z.object({ conditions: z.array(conditionSchema).optional() }).optional(),
});
/**
 * kubectl's words for what the config names and the cluster does not have: the Experiment (a
 * `get` without --ignore-not-found, or a patch), its namespace, or Seldon's CRDs on the
 * cluster of the context. Never a Model's: checkServable reads those with --ignore-not-found.
 */
const NO_EXPERIMENT =
  /\(NotFound\): (error when \w+ "STDIN": )?(experiments\.mlops\.seldon\.io|namespaces) "[^"]*" not found|doesn't have a resource type "experiments|no matches for kind "Experiment"/;
/**
 * kubectl's words for a write the API server found invalid (400, 422: the CRD's schema, a strict
 * decoding error of an older CRD, a validation rule), as StandardErrorMessage prints them
 * (`Error from server (BadRequest): …`) or as checkErr does a 422 with causes (`The Experiment
 * "fraud" is invalid: …`): the reason, without apply's `error when creating "STDIN": `.
 */
const INVALID_WRITE =
  /Error from server \((?:BadRequest|Invalid)\): (?:error when \w+ "STDIN": )?(.+?)\.?\s*$|\b(The [\w.]+ "[^"]*" is invalid: .+?)\.?\s*$/m;

const experimentSchema = z.object({
  metadata: z.object({
    name: z.string(),
    generation: z.number().optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    managedFields: managedFieldsSchema.optional(),
  }),
  // Loose: the fields model-gate does not own (default, resourceType) are the user's.
  spec: z.looseObject({
    default: z.string().optional(),
    candidates: z.array(z.object({ name: z.string(), weight: z.number() })).default([]),
    mirror: z.object({ name: z.string(), percent: z.number() }).optional(),
  }),
  status: z.object({ conditions: z.array(conditionSchema).default([]) }).default({ conditions: [] }),
});
type Experiment = z.output<typeof experimentSchema>;

/**
 * The spec fields model-gate owns for a split: `candidates` as given, and the mirror when it has a
 * percent. The rest of the spec (`kept`, the Experiment's as it is) is the user's and is not
 * written, but says what the split needs: the scheduler refuses a `default` (the Model whose own
 * endpoint the Experiment splits) that is not a candidate (scheduler/pkg/store/experiment/
 * validate.go validateDefaultModelIsCandidate, at any weight), so one the split leaves out stays at
 * weight 0: its endpoint keeps splitting, all of it to the others. Per
 * https://docs.seldon.ai/seldon-core-2/kubernetes/resources/experiment.
 */
export function splitSpec(
  candidates: { name: string; weight: number }[],
  mirror?: { name: string; percent: number },
  kept: { default?: string | undefined } = {},
): { candidates: { name: string; weight: number }[]; mirror?: { name: string; percent: number } } {
  const listed = kept.default === undefined || candidates.some((c) => c.name === kept.default);
  return {
    candidates: listed ? candidates : [...candidates, { name: kept.default as string, weight: 0 }],
    ...(mirror && mirror.percent > 0 ? { mirror } : {}),
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
  const cli: PlatformCli = { program: 'kubectl', description, classify, outageAdvice: KUBECTL_OUTAGE_ADVICE };
  let expected: TrafficState | undefined;
  /** The platform names of the versions this target was told of: a mirror to one is model-gate's. */
  const ownNames = new Set<string>();
  const tellOf = (versions: readonly string[]) => {
    for (const version of versions) {
      const platformName = names.nameFor(version);
      if (platformName !== undefined) ownNames.add(platformName);
    }
  };
  const versionsOf = (state: TrafficState | undefined): string[] =>
    state
      ? [state.stable.version, state.canary?.version, state.mirror?.version].filter((v) => v !== undefined)
      : [];

  // managedFields say when the spec was written (seldon-status.ts); kubectl hides them by default.
  // `change`: the traffic change a call belongs to, whose deadline it keeps.
  async function get(change?: ChangeDeadline): Promise<Experiment> {
    const args = ['get', EXPERIMENT, name, ...scope, '--show-managed-fields', '-o', 'json'];
    const out = await callKubectl(cli, args, config, clock, { deadline: change });
    return parsePlatformJson(experimentSchema, out, `\`kubectl get ${EXPERIMENT}\``);
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
    const out = await callKubectl(cli, args, config, clock, { deadline: change });
    return out.trim() ? parsePlatformJson(experimentSchema, out, `\`kubectl get ${EXPERIMENT}\``) : undefined;
  }

  /** What the Experiment serves; `change`: the traffic change this is the read-back of. */
  async function readWithin(known: KnownVersions | undefined, change?: ChangeDeadline) {
    const experiment = await getIfAny(change);
    // No wait brings it back (a read-back stops at once): the user names or creates it. The stable
    // to create it with is the one this target last asked for (a rollback's, not the version it
    // replaces, which a caller's read names the stable), else the caller's.
    if (!experiment) throw new TargetAccessError(missing(expected?.stable.version ?? known?.stable));
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
    tellOf([...knownVersionList(known), ...versionsOf(expected)]);
    // Another's mirror copies requests to a Model of theirs: no version of this release serves it.
    const mirror = ownMirror(experiment);
    const mirrored = mirror
      ? names.sharesOf([{ name: mirror.name, percent: mirror.percent }], known, description, true)
      : [];
    return trafficFromShares(shares, { expected, known }, description, mirrored);
  }

  /** The Experiment's mirror when it is model-gate's (one it set, or to a version it was told of). */
  function ownMirror(experiment: Experiment) {
    const { mirror } = experiment.spec;
    if (!mirror) return undefined;
    const noted = experiment.metadata.annotations?.[MIRROR_NOTE] === mirror.name;
    return noted || ownNames.has(mirror.name) ? mirror : undefined;
  }

  /**
   * Refuses a shadow while the Experiment mirrors to a Model that is not a version of this model
   * (Seldon has one mirror): taking it over would silently stop the user's copy of the traffic.
   */
  function refuseForeignMirror(foreign: { name: string; percent: number }, shadow: string): never {
    throw new TargetRefusedError(
      `${description} already mirrors ${foreign.percent}% of live traffic to ${JSON.stringify(foreign.name)}, which is not a version of ${modelName} that model-gate releases, and Seldon has one mirror per Experiment: a shadow of ${shadow} needs it, so nothing was changed. Remove that mirror from the Experiment (spec.mirror) for the shadow's duration and put it back after, or release ${shadow} with a canary instead, which leaves it as it is`,
    );
  }

  /**
   * Why there is nothing to read: the clients call the Experiment, so one model-gate created would
   * move no traffic they send; the user creates it, the stable Model on all of it.
   */
  function missing(stableVersion: string | undefined): string {
    const stable = (stableVersion !== undefined && names.nameFor(stableVersion)) || '<the stable Model>';
    const manifest = {
      apiVersion: 'mlops.seldon.io/v1alpha1',
      kind: 'Experiment',
      metadata: { name, namespace: config.namespace },
      spec: { candidates: [{ name: stable, weight: 100 }] },
    };
    return `${description} does not exist: check the names in the target's config (experiment, namespace, context), or create it first with the stable Model at 100% (\`kubectl apply -f -\` of ${JSON.stringify(manifest)}) and have the clients call it (header \`seldon-model: ${name}.experiment\`), then run model-gate again`;
  }

  /**
   * Refuses, before anything is written, a change that gives traffic (a share or the mirror) to a
   * Model (or Pipeline) that is not Ready: the scheduler would keep the changed Experiment inactive
   * (CandidatesReady False) until it is. The stable version is not checked: taking traffic back to
   * it is what a rollback must do whatever its state.
   */
  async function checkServable(
    experiment: Experiment | undefined,
    candidates: { name: string; weight: number }[],
    mirror: { name: string; percent: number } | undefined,
    stable: string,
    change: ChangeDeadline,
  ): Promise<void> {
    const kind = experiment?.spec.resourceType === 'pipeline' ? 'Pipeline' : 'Model';
    const given = [
      ...candidates.filter((c) => c.weight > 0).map((c) => c.name),
      ...(mirror && mirror.percent > 0 ? [mirror.name] : []),
    ].filter((n, i, all) => n !== stable && all.indexOf(n) === i);
    for (const server of given) {
      const args = ['get', SERVERS[kind], server, ...scope, '--ignore-not-found', '-o', 'json'];
      let out: string;
      try {
        out = await callKubectl(cli, args, config, clock, { deadline: change });
      } catch (err) {
        // Credentials allowed the Experiment only (RBAC without `get` on Models): the change goes
        // ahead unchecked, as before this check, and its wait names the Models that are not available.
        if (err instanceof TargetAccessError) return;
        throw err;
      }
      const found = out.trim()
        ? parsePlatformJson(serverSchema, out, `\`kubectl get ${SERVERS[kind]}\``)
        : undefined;
      const why = unservableReason(found, kind, server, config.namespace);
      if (why)
        throw new TargetRefusedError(`${description} was not changed, so ${server} got no traffic: ${why}`);
    }
  }

  /**
   * A write's failure, thrown again: one the API server refused itself (a policy's admission
   * webhook, Kyverno's or Gatekeeper's; an invalid object) as a PolicyRefusedError. It stored
   * nothing, and the same write gets the same answer: the release is not deployed rather than
   * rolled back (refused-first-change.ts), and a rollback's re-run is not the fix.
   */
  const refusedWrite =
    (what: string) =>
    (err: unknown): never => {
      if (!(err instanceof TargetError)) throw err;
      const denied = WEBHOOK_DENIED.exec(err.message);
      if (denied) {
        throw new PolicyRefusedError(
          `${description}: the API server's admission webhook ${denied[1]} denied ${what}, nothing changed: ${denied[2]}. Fix what the policy names, then run model-gate again`,
        );
      }
      const invalid = INVALID_WRITE.exec(err.message);
      if (invalid) {
        throw new PolicyRefusedError(
          `${description}: the API server refused ${what} as invalid, nothing changed: ${invalid[1] ?? invalid[2]}. Fix what it names (the Experiment, or the Seldon CRDs installed on the cluster), then run model-gate again`,
        );
      }
      throw err;
    };

  /**
   * One traffic change, all of it within `change`'s deadline: the read before, the patch (retried
   * while another change holds the Experiment) and the wait for the scheduler to act on it.
   */
  async function changeTo(desired: TrafficState, change: ChangeDeadline): Promise<void> {
    const candidates = candidatesFor(desired, names.nameOf);
    const shadow = mirrorFor(desired);
    const mirror = shadow && { name: names.nameOf(shadow.version), percent: shadow.percent };
    expected = desired;
    tellOf(versionsOf(desired));
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
    const stableName = names.nameOf(desired.stable.version);
    const foreign = current?.spec.mirror && !ownMirror(current) ? current.spec.mirror : undefined;
    if (foreign && mirror) refuseForeignMirror(foreign, shadow?.version ?? mirror.name);
    // The fields model-gate does not own stay as they are (a `default` must stay a candidate).
    const wanted = splitSpec(candidates, mirror, current?.spec);
    const applied = appliedCheck(beforeApply(current), config.namespace);
    if (!current) {
      // None yet: created whole, on standard input, the only metadata its own.
      await checkServable(undefined, wanted.candidates, mirror, stableName, change);
      const manifest = {
        apiVersion: 'mlops.seldon.io/v1alpha1',
        kind: 'Experiment',
        metadata: {
          name,
          namespace: config.namespace,
          labels: { 'app.kubernetes.io/managed-by': 'model-gate' },
          ...(wanted.mirror ? { annotations: { [MIRROR_NOTE]: wanted.mirror.name } } : {}),
        },
        spec: wanted,
      };
      await callKubectl(cli, ['apply', '-f', '-', ...scope], config, clock, {
        input: JSON.stringify(manifest),
        waitWhileBusy: true,
        deadline: change,
      }).catch(refusedWrite('the new Experiment'));
    } else if (!sameSplit(current.spec, wanted, foreign !== undefined)) {
      // The same spec again (a retry) is not written: nothing would move for the scheduler to act on.
      await checkServable(current, wanted.candidates, mirror, stableName, change);
      // A null removes model-gate's mirror; another's is not named, so the merge patch leaves it.
      const patch = {
        ...noteChange(current, foreign ? undefined : (wanted.mirror?.name ?? null)),
        spec: { candidates: wanted.candidates, ...(foreign ? {} : { mirror: wanted.mirror ?? null }) },
      };
      const args = ['patch', EXPERIMENT, name, ...scope, '--type', 'merge', '-p', JSON.stringify(patch)];
      await callKubectl(cli, args, config, clock, { waitWhileBusy: true, deadline: change }).catch(
        refusedWrite('the patch'),
      );
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

/**
 * The patch's metadata for MIRROR_NOTE to say `mirror` (null: none of model-gate's; undefined: the
 * mirror is another's, left alone), when the note says otherwise.
 */
function noteChange(current: Experiment, mirror: string | null | undefined) {
  const noted = current.metadata.annotations?.[MIRROR_NOTE] ?? null;
  if (mirror === undefined || noted === mirror) return {};
  return { metadata: { annotations: { [MIRROR_NOTE]: mirror } } };
}

/**
 * Whether an Experiment's spec already has the candidates and mirror the split wants; the mirror
 * is not compared when it is another's (`foreignMirror`), which model-gate leaves as it is.
 */
function sameSplit(
  spec: Experiment['spec'],
  wanted: ReturnType<typeof splitSpec>,
  foreignMirror: boolean,
): boolean {
  return (
    JSON.stringify(spec.candidates) === JSON.stringify(wanted.candidates) &&
    (foreignMirror || JSON.stringify(spec.mirror) === JSON.stringify(wanted.mirror))
  );
}

function classify(result: { stderr: string }): FailureKind {
  if (/\(TooManyRequests\)|too many requests/i.test(result.stderr)) return 'throttled';
  if (/\(Conflict\)|the object has been modified/.test(result.stderr)) return 'busy';
  if (KUBECTL_DENIED.test(result.stderr)) return 'denied';
  if (NO_EXPERIMENT.test(result.stderr)) return 'missing';
  // The API server down or failing for a moment: a get, merge patch or apply is safe to repeat.
  if (KUBECTL_TRANSIENT.test(result.stderr)) return 'transient';
  return 'failed';
}
