import { z } from 'zod';
import type { KServeTargetConfig } from '../config/types.js';
import { type Clock, systemClock } from '../core/clock.js';
import { TargetError } from '../core/errors.js';
import type { TrafficState } from '../core/traffic.js';
import { targetCapabilities } from './capabilities.js';
import {
  type ChangeDeadline,
  changesWithin,
  passingReadFailures,
  settleAccepted,
} from './change-deadline.js';
import { PolicyRefusedError, TargetStateError } from './errors.js';
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
import { type FailureKind, type PlatformCli, parsePlatformJson, waitUntilSettled } from './platform-cli.js';
import type { KnownVersions, Target } from './target.js';

// Driven with kubectl on a KServe InferenceService, per the KServe canary rollout docs:
// https://kserve.github.io/website/docs/model-serving/predictive-inference/rollout-strategies/canary
//   (`spec.predictor.canaryTrafficPercent` splits traffic between the new revision and the last
//   rolled-out one; removing it promotes; 0 pins all traffic to the previous revision; the split
//   shows in `status.components.predictor.traffic`; "Canary rollout strategy is only supported
//   in serverless deployment mode")
// https://kserve.github.io/website/docs/model-serving/predictive-inference/rollout-strategies/canary-example
// https://kubernetes.io/docs/reference/kubectl/generated/kubectl_patch/ (--type merge -p JSON)
// A version is the predictor's storageUri from the `storage-uri` template; each revision's
// version is read back from the Knative Revision (our annotation, else the storage URI KServe
// records on it).

export const VERSION_ANNOTATION = 'model-gate.dev/version';
const SOURCE_URI_ANNOTATION = 'internal.serving.kserve.io/storage-initializer-sourceuri';
const MODE_ANNOTATION = 'serving.kserve.io/deploymentMode';
const ISVC = 'inferenceservices.serving.kserve.io';
const REVISION = 'revisions.serving.knative.dev';

/**
 * The predictor's implementations that take a storageUri: `model` (with modelFormat) and the older
 * per-framework keys (kserve pkg/apis/serving/v1beta1/predictor.go PredictorSpec). KServe's webhook
 * refuses a predictor with more than one ("Exactly one of [...] must be specified in
 * PredictorSpec", component.go validateExactlyOneImplementation), so a new version's storageUri goes
 * in the one the predictor has: `model.storageUri` next to `sklearn:` would be refused.
 */
const IMPLEMENTATIONS = [
  'model',
  'sklearn',
  'xgboost',
  'tensorflow',
  'pytorch',
  'triton',
  'onnx',
  'huggingface',
  'pmml',
  'lightgbm',
  'paddle',
] as const;
type Implementation = (typeof IMPLEMENTATIONS)[number];
const implementationSchema = z.object({ storageUri: z.string().optional() }).nullish();

const isvcSchema = z.object({
  metadata: z.object({
    name: z.string(),
    generation: z.number().optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: z
    .object({
      predictor: z
        .object({
          canaryTrafficPercent: z.number().nullish(),
          ...Object.fromEntries(IMPLEMENTATIONS.map((key) => [key, implementationSchema])),
          annotations: z.record(z.string(), z.string()).optional(),
        })
        .optional(),
    })
    .optional(),
  status: z
    .object({
      deploymentMode: z.string().optional(),
      conditions: z.array(conditionSchema).default([]),
      components: z
        .object({
          predictor: z
            .object({
              latestCreatedRevision: z.string().optional(),
              latestReadyRevision: z.string().optional(),
              latestRolledoutRevision: z.string().optional(),
              previousRolledoutRevision: z.string().optional(),
              traffic: z
                .array(
                  z.object({
                    revisionName: z.string().optional(),
                    percent: z.number().optional(),
                    latestRevision: z.boolean().optional(),
                  }),
                )
                .default([]),
            })
            .optional(),
        })
        .optional(),
    })
    .default({ conditions: [] }),
});
type InferenceService = z.output<typeof isvcSchema>;
type Predictor = NonNullable<NonNullable<InferenceService['spec']>['predictor']>;

/** The implementation the predictor serves with: the framework key it has, else `model`. */
function implementationOf(predictor: Predictor | undefined): Implementation {
  const fields = (predictor ?? {}) as Partial<Record<Implementation, { storageUri?: string } | null>>;
  return IMPLEMENTATIONS.find((key) => fields[key]) ?? 'model';
}

/** The storage URI of the predictor's implementation. */
function storageUriOf(predictor: Predictor | undefined): string | undefined {
  const fields = (predictor ?? {}) as Partial<Record<Implementation, { storageUri?: string } | null>>;
  return fields[implementationOf(predictor)]?.storageUri;
}

/**
 * The revision a 100% step left behind: at canaryTrafficPercent 100 KServe routes the latest
 * revision alone (no `prev` target unless below 100, ksvc_reconciler.go) and records it as
 * latestRolledoutRevision, the one before as previousRolledoutRevision (PropagateStatus); a
 * percentage below 100 then splits against that one again. Undefined in any other state.
 */
function leftBehind(isvc: InferenceService): string | undefined {
  const predictor = isvc.status.components?.predictor;
  if (isvc.spec?.predictor?.canaryTrafficPercent !== 100 || !predictor?.latestRolledoutRevision) {
    return undefined;
  }
  if (predictor.latestRolledoutRevision !== predictor.latestCreatedRevision) return undefined;
  return predictor.previousRolledoutRevision || undefined;
}

/**
 * Whether KServe's status routes what its spec asks: the latest revision at canaryTrafficPercent
 * (100 when unset or nothing is rolled out yet) and the rest on latestRolledoutRevision. Not yet
 * while it moves a rolled-out revision back (PropagateStatus), which takes it another pass.
 */
function routed(isvc: InferenceService): boolean {
  const predictor = isvc.status.components?.predictor;
  if (!predictor || predictor.traffic.length === 0) return true; // observe reports that
  if (predictor.latestReadyRevision !== predictor.latestCreatedRevision) return true;
  const percent = isvc.spec?.predictor?.canaryTrafficPercent;
  const wanted = percent != null && predictor.latestRolledoutRevision ? percent : 100;
  const latest = predictor.traffic.find((t) => t.latestRevision);
  const rest = predictor.traffic.filter((t) => !t.latestRevision);
  return (
    (latest?.percent ?? 0) === wanted &&
    rest.every((t) => t.revisionName === predictor.latestRolledoutRevision)
  );
}

const revisionSchema = z.object({
  metadata: z.object({ name: z.string(), annotations: z.record(z.string(), z.string()).optional() }),
});
const revisionsSchema = z.union([
  z.object({ kind: z.literal('List'), items: z.array(revisionSchema) }),
  revisionSchema.transform((r) => ({ kind: 'List' as const, items: [r] })),
]);

export function kserveTarget(
  config: KServeTargetConfig,
  modelName: string,
  clock: Clock = systemClock,
): Target {
  const name = config.name ?? modelName;
  const description = `KServe InferenceService ${name} (namespace ${config.namespace})`;
  const identity = identityOf('kserve', { namespace: config.namespace, name, context: config.context });
  const scope = kubectlScope(config);
  const cli: PlatformCli = { program: 'kubectl', description, classify, outageAdvice: KUBECTL_OUTAGE_ADVICE };
  const template = config.storageUri.split('{{model}}').join(modelName);
  const uriOf = (version: string) => template.split('{{version}}').join(version);
  const [prefix = '', suffix = ''] = template.split('{{version}}');

  /** `kubectl get` calls that failed and may pass (throttled, a 5xx, no answer): no answer about the object. */
  const failedReads = passingReadFailures();

  // `change`, in the functions below: the traffic change a call belongs to, whose deadline it keeps.
  // Output that is not JSON is parsed within the catch: a read garbled once may pass too.
  const kubectlGet = <S extends z.ZodType>(schema: S, args: string[], change?: ChangeDeadline) =>
    callKubectl(cli, ['get', ...args, ...scope, '-o', 'json'], config, clock, { deadline: change })
      .then((out) => parsePlatformJson(schema, out, `\`kubectl get ${args[0]}\``))
      .catch(failedReads.mark);

  async function get(change?: ChangeDeadline): Promise<InferenceService> {
    const isvc = await kubectlGet(isvcSchema, [ISVC, name], change);
    const mode = isvc.metadata.annotations?.[MODE_ANNOTATION] ?? isvc.status.deploymentMode;
    // Standard is KServe's current name for RawDeployment: no Knative revisions, no canary split.
    if (mode === 'RawDeployment' || mode === 'Standard' || mode === 'ModelMesh') {
      throw new TargetError(
        `${description} runs in ${mode} mode, where KServe ignores canaryTrafficPercent: model-gate cannot split its traffic. Use Knative mode (annotation ${MODE_ANNOTATION}: Knative, Serverless in older KServe releases) or another target type`,
      );
    }
    return isvc;
  }

  // A Knative revision is immutable, so what it serves is looked up once.
  const revisionVersions = new Map<string, string>();

  /** Revision name -> the version it serves. */
  async function versionsOf(
    revisions: readonly string[],
    change?: ChangeDeadline,
  ): Promise<Map<string, string>> {
    const unknown = [...new Set(revisions)].filter((r) => !revisionVersions.has(r));
    if (unknown.length > 0) {
      const list = await kubectlGet(revisionsSchema, [REVISION, ...unknown], change);
      for (const [name, version] of list.items.map(versionOfRevision)) revisionVersions.set(name, version);
    }
    return revisionVersions;
  }

  /** The version a storage URI stands for, read back through the template. */
  const versionOfUri = (uri: string | undefined) =>
    uri?.startsWith(prefix) && uri.endsWith(suffix) && uri.length > prefix.length + suffix.length
      ? uri.slice(prefix.length, uri.length - suffix.length)
      : undefined;

  function versionOfRevision(r: z.output<typeof revisionSchema>): [string, string] {
    const annotations = r.metadata.annotations ?? {};
    const uri = annotations[SOURCE_URI_ANNOTATION];
    const version = annotations[VERSION_ANNOTATION] ?? versionOfUri(uri);
    if (version === undefined) {
      throw new TargetError(
        `${description}: cannot tell which version revision ${r.metadata.name} serves (no ${VERSION_ANNOTATION} annotation, and its storage URI ${JSON.stringify(uri ?? '')} does not match ${JSON.stringify(template)})`,
      );
    }
    return [r.metadata.name, version];
  }

  /** Observed state from the InferenceService's status: the latest revision is the candidate. */
  async function observe(isvc: InferenceService, change?: ChangeDeadline): Promise<TrafficState> {
    const traffic = (isvc.status.components?.predictor?.traffic ?? []).filter((t) => t.revisionName);
    if (traffic.length === 0) {
      const ready = isvc.status.conditions.find((c) => c.type === 'Ready');
      throw new TargetError(
        `${description} reports no traffic in its status${ready?.message ? ` (${ready.message})` : ''}`,
      );
    }
    const versions = await versionsOf(
      traffic.map((t) => t.revisionName as string),
      change,
    );
    const entry = (t: (typeof traffic)[number]) => ({
      version: versions.get(t.revisionName as string) as string,
      percent: t.percent ?? 0,
    });
    const latest = traffic.find((t) => t.latestRevision);
    const others = traffic.filter((t) => t !== latest);
    if (others.length > 1) {
      // KServe answered with a split model-gate does not drive: reading again gets the same one.
      throw new TargetStateError(
        `${description} splits traffic between ${traffic.length} revisions; model-gate drives the last rolled-out revision and one candidate`,
      );
    }
    const [previous] = others;
    const behind = leftBehind(isvc);
    if (!previous && latest && behind) {
      const stable = (await versionsOf([behind], change)).get(behind) as string;
      const { version, percent } = entry(latest);
      if (version !== stable) return { stable: { version: stable }, canary: { version, weight: percent } };
    }
    if (!previous || !latest)
      return { stable: { version: entry(traffic[0] as (typeof traffic)[number]).version } };
    const stable = entry(previous);
    const canary = entry(latest);
    if (canary.version === stable.version) return { stable: { version: stable.version } };
    return {
      stable: { version: stable.version },
      canary: { version: canary.version, weight: canary.percent },
    };
  }

  /** The version the predictor's spec asks for: our annotation, else its storage URI. */
  function specVersion(isvc: InferenceService): string | undefined {
    const predictor = isvc.spec?.predictor;
    return predictor?.annotations?.[VERSION_ANNOTATION] ?? versionOfUri(storageUriOf(predictor));
  }

  /**
   * The version the predictor's spec asks for when KServe has no revision of it yet; undefined
   * once its latest revision serves it, or when the spec does not tell. status.observedGeneration
   * cannot say whether KServe acted on the spec: KServe copies it from the Knative Service
   * (PropagateStatus: `ss.ObservedGeneration = serviceStatus.ObservedGeneration`), whose
   * generations are not the InferenceService's (kserve/kserve#6081).
   */
  async function versionNotRolledOut(
    isvc: InferenceService,
    change: ChangeDeadline,
  ): Promise<string | undefined> {
    const wanted = specVersion(isvc);
    const created = isvc.status.components?.predictor?.latestCreatedRevision;
    if (wanted === undefined || (created && (await versionsOf([created], change)).get(created) === wanted)) {
      return undefined;
    }
    return wanted;
  }

  /**
   * The InferenceService's Ready False, in KServe's words. When its latest revision never became
   * ready (RevisionFailed: no model at the storage URI, an image that does not start), how to get
   * past it: Knative never starts a failed revision again, and KServe keeps it as long as the
   * predictor's spec is the same, so running model-gate again on the same version only moves
   * canaryTrafficPercent onto it and fails the same way.
   */
  function notReady(isvc: InferenceService, ready: { reason?: string; message?: string }) {
    const said = `${description} is not ready: ${ready.reason ?? ''} ${ready.message ?? ''}`.trim();
    const predictor = isvc.status.components?.predictor;
    const failed = predictor?.latestCreatedRevision;
    if (!failed || predictor?.latestReadyRevision === failed) return new TargetError(said);
    return new TargetError(
      `${said.replace(/\.$/, '')}. KServe keeps the failed revision ${failed} and never starts it again while the predictor's spec stays the same: fix what it names (the model at the storage URI, say), then make KServe create a new revision, either by releasing a new version (a new storage URI) or by deleting the failed one (\`kubectl delete ${REVISION} ${failed} ${scope.join(' ')}\`: Knative creates it again from the same spec) before running model-gate again; see docs/targets/kserve.md`,
    );
  }

  /**
   * Waits until KServe has acted on the latest spec: a revision of its version, Ready, routed as
   * it asks. A revision that failed is reported at once when `failFast`. `seen`: a read just made,
   * taken as the first look. `meanwhile`: what serves while it waits, as the last look shows it,
   * said if it is still waiting at the deadline.
   */
  const settled = (
    failFast: boolean,
    change: ChangeDeadline,
    seen?: InferenceService,
    meanwhile?: (isvc: InferenceService) => string,
  ) =>
    waitUntilSettled<InferenceService>(
      async () => {
        const isvc = seen ?? (await get(change));
        seen = undefined;
        const ready = isvc.status.conditions.find((c) => c.type === 'Ready');
        const missing = await versionNotRolledOut(isvc, change);
        const current = missing === undefined;
        if (current && ready?.status === 'True' && routed(isvc)) return { done: true, value: isvc };
        if (current && ready?.status === 'False') {
          if (failFast) throw notReady(isvc, ready);
          return { done: true, value: isvc };
        }
        const latest = isvc.status.components?.predictor?.latestCreatedRevision ?? '(none)';
        const why =
          ready?.status !== 'True' && ready?.status !== 'False'
            ? (ready?.message ?? 'KServe has not reported it Ready yet')
            : !current
              ? `its latest revision ${latest} does not serve ${missing} yet; see \`kubectl get ${ISVC} ${name} -n ${config.namespace} -o yaml\``
              : 'its traffic does not yet show canaryTrafficPercent';
        return {
          done: false,
          why: `it is still rolling out (${why})${meanwhile ? `; ${meanwhile(isvc)}` : ''}`,
        };
      },
      config,
      clock,
      description,
      change,
    );

  /**
   * Waits until KServe's status routes all live traffic to revisions of `version`, however far the
   * latest revision's rollout has got: what a withdrawal sent during a rollout waits for.
   */
  const servesOnly = (version: string, change: ChangeDeadline) =>
    waitUntilSettled<void>(
      async () => {
        const isvc = await get(change);
        const predictor = isvc.status.components?.predictor;
        const live = (predictor?.traffic ?? []).filter((t) => t.revisionName && (t.percent ?? 0) > 0);
        const versions = await versionsOf(
          live.map((t) => t.revisionName as string),
          change,
        );
        const others = live.filter((t) => versions.get(t.revisionName as string) !== version);
        if (live.length > 0 && others.length === 0) return { done: true, value: undefined };
        const ready = isvc.status.conditions.find((c) => c.type === 'Ready');
        const created = predictor?.latestCreatedRevision;
        if (
          ready?.status === 'False' &&
          created &&
          (await versionsOf([created], change)).get(created) === version
        ) {
          throw notReady(isvc, ready);
        }
        const why =
          others.length === 0
            ? 'its status shows no traffic yet'
            : others
                .map(
                  (t) =>
                    `revision ${t.revisionName} (${versions.get(t.revisionName as string)}) still takes ${t.percent}%`,
                )
                .join(', ');
        return { done: false, why: `it does not yet route all traffic to ${version}: ${why}` };
      },
      config,
      clock,
      description,
      change,
    );

  async function patch(predictor: Record<string, unknown>, change: ChangeDeadline) {
    const body = JSON.stringify({ spec: { predictor } });
    await callKubectl(cli, ['patch', ISVC, name, ...scope, '--type', 'merge', '-p', body], config, clock, {
      waitWhileBusy: true,
      deadline: change,
    }).catch((err: unknown) => {
      // An admission webhook's denial: the API server stored nothing, so nothing is rolled back.
      const denied = err instanceof TargetError ? WEBHOOK_DENIED.exec(err.message) : null;
      if (!denied) throw err;
      throw new PolicyRefusedError(
        `${description}: the API server's admission webhook ${denied[1]} denied the patch, nothing changed: ${denied[2]}. Fix what it names (the target's storage-uri, or the InferenceService), then run model-gate again`,
      );
    });
  }

  /** A new revision of `version`: its storageUri in the implementation `on` has (see IMPLEMENTATIONS). */
  const deploy = (on: InferenceService, version: string, canaryTrafficPercent: number | null) => ({
    canaryTrafficPercent,
    [implementationOf(on.spec?.predictor)]: { storageUri: uriOf(version) },
    annotations: { [VERSION_ANNOTATION]: version },
  });

  /** What a new revision goes out over: the candidate's revision, newer than the rolled-out `base`. */
  interface Over {
    candidate: string;
    base: string;
    /** The candidate is rolled out too, by a 100% step (leftBehind): `base` is the one before. */
    atFullStep: boolean;
  }

  /**
   * A new revision of `version` to take `percent` of live traffic (null: all of it). Knative routes
   * KServe's `latest` target to the latest Ready revision, so while the new one starts (pulls its
   * model: minutes) a candidate's revision `over` the rolled-out one would take that share. Then
   * all traffic is pinned to the rolled-out revision first (canaryTrafficPercent 0, in the same
   * patch as the new revision unless the candidate is rolled out by a 100% step), and the new
   * revision takes its share once Ready.
   */
  async function deployNew(
    on: InferenceService,
    version: string,
    percent: number | null,
    change: ChangeDeadline,
    over: Over | undefined,
  ) {
    if (!over || percent === 0) return patch(deploy(on, version, percent), change);
    if (over.atFullStep) {
      // At 0 KServe moves the rolled-out revision back to `base` (a second pass), then splits on it.
      await patch({ canaryTrafficPercent: 0 }, change);
      await settled(false, change);
    }
    await patch(deploy(on, version, 0), change);
    const meanwhile = (isvc: InferenceService) => {
      const predictor = isvc.status.components?.predictor;
      const pinned = (predictor?.traffic ?? []).every(
        (t) => !t.percent || t.revisionName === predictor?.latestRolledoutRevision,
      );
      return `${version}'s revision gets its share only once Ready: ${
        pinned
          ? `meanwhile ${over.base}, the last rolled-out revision, serves all live traffic and ${over.candidate} none`
          : `KServe has not yet pinned all live traffic to ${over.base}, the last rolled-out revision`
      }`;
    };
    await settled(true, change, undefined, meanwhile);
    await patch({ canaryTrafficPercent: percent }, change);
  }

  /**
   * One traffic change, all of it within `change`'s deadline: the wait for a rollout under way
   * (none for a withdrawal), the patch (retried while another change holds the object) and the
   * wait for KServe to act.
   */
  async function changeTo(desired: TrafficState, change: ChangeDeadline): Promise<void> {
    let canary = desired.canary;
    if (canary && !Number.isInteger(canary.weight)) {
      throw new TargetError(`KServe takes whole percentages (canaryTrafficPercent), got ${canary.weight}`);
    }
    const stable = desired.stable.version;
    // A change that takes the candidate's traffic away goes out at once, even while the spec's
    // version is still rolling out (a slow model download, a bad image): waiting for that rollout
    // would leave the candidate's percentage in the spec, to take traffic once its revision is Ready.
    const withdrawal = !canary || canary.weight === 0;
    const first = await get(change);
    const asked = specVersion(first); // a spec it cannot read is waited on, as any change
    const rollingAway = withdrawal && asked !== undefined && asked !== stable;
    const isvc = rollingAway ? first : await settled(false, change, first);
    // While it rolls out, the latest revision is the one of the spec's version, created or not yet.
    const pendingVersion = rollingAway ? await versionNotRolledOut(first, change) : undefined;
    const predictor = isvc.status.components?.predictor;
    const behind = leftBehind(isvc);
    const known = await versionsOf(
      [predictor?.latestCreatedRevision, predictor?.latestRolledoutRevision, behind].filter(
        (r): r is string => !!r,
      ),
      change,
    );
    const latest =
      pendingVersion ??
      (predictor?.latestCreatedRevision ? known.get(predictor.latestCreatedRevision) : undefined);
    const rolledOut = predictor?.latestRolledoutRevision
      ? known.get(predictor.latestRolledoutRevision)
      : undefined;
    // What a percentage below 100 of the latest revision splits against.
    const base = behind ? known.get(behind) : rolledOut;
    // A candidate's revision (created, or still to be) newer than the rolled-out one.
    const over: Over | undefined =
      latest !== undefined && base !== undefined && (behind !== undefined || latest !== rolledOut)
        ? { candidate: latest, base, atFullStep: behind !== undefined }
        : undefined;
    // A blue-green promotion keeps blue idle beside green. KServe cannot split against a
    // revision that is not rolled out, but it keeps blue as an earlier revision, and a rollback
    // redeploys it in one patch: promote green alone.
    if (canary && canary.weight === 0 && canary.version !== stable && base !== stable) canary = undefined;
    // A revision that failed matters only when it is to take traffic; a rollback away from it must go through.
    const needsLatest = (canary && canary.version !== stable && canary.weight > 0) || latest === stable;
    if (canary && canary.version !== stable) {
      if (latest === canary.version && base === stable) {
        await patch({ canaryTrafficPercent: canary.weight }, change);
      } else if (rolledOut === stable) {
        await deployNew(isvc, canary.version, canary.weight, change, over);
      } else {
        throw new TargetError(
          `${description} has ${rolledOut ?? 'no version'} as its last rolled-out revision, not the stable version ${stable}: KServe splits a canary only against the last rolled-out revision. Promote or roll back to ${stable} first`,
        );
      }
    } else if (latest === stable) {
      await patch({ canaryTrafficPercent: null }, change); // promote: the latest revision takes all traffic
    } else if (base === stable) {
      // roll back: all traffic to the last rolled-out revision (after a 100% step, the one before)
      await patch({ canaryTrafficPercent: 0 }, change);
    } else {
      await deployNew(isvc, stable, null, change, over); // a new revision of that version takes all traffic
    }
    // Done once the stable version takes all traffic, not once the candidate's revision is Ready.
    // A get that fails and may pass is no failure of the patch the API server took: the read-back
    // waits again (settleAccepted). A read refused for good, a revision not ready and a rollout
    // still under way at the deadline fail it.
    await settleAccepted(
      rollingAway ? () => servesOnly(stable, change) : () => settled(Boolean(needsLatest), change),
      failedReads.has,
    );
  }

  /** What serves after `change` (the read-back), else on its own. */
  async function served(_known: KnownVersions | undefined, change?: ChangeDeadline): Promise<TrafficState> {
    return observe(await get(change), change);
  }

  return {
    description,
    identity,
    stickySplit: targetCapabilities('kserve').sticky,
    ...changesWithin(config.settleTimeoutMs, clock, changeTo, served),
  };
}

function classify(result: { stderr: string }): FailureKind {
  if (/\(TooManyRequests\)|too many requests/i.test(result.stderr)) return 'throttled';
  if (/\(Conflict\)|the object has been modified/.test(result.stderr)) return 'busy';
  if (KUBECTL_DENIED.test(result.stderr)) return 'denied';
  // The InferenceService, which was there before any change (a revision a change just made is not:
  // it may not be listed yet), or no KServe on the cluster at all.
  if (/\(NotFound\): inferenceservices\.|doesn't have a resource type "inferenceservices/.test(result.stderr))
    return 'missing';
  // The API server down or failing for a moment (a control-plane restart): a get or merge patch is
  // safe to repeat.
  if (KUBECTL_TRANSIENT.test(result.stderr)) return 'transient';
  return 'failed';
}
