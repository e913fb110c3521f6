import { z } from 'zod';
import type { conditionSchema } from './k8s-condition.js';
import type { Settled } from './platform-cli.js';

// What the Seldon Core v2 operator writes in an Experiment's status, per SeldonIO/seldon-core:
// - operator/apis/mlops/v1alpha1/experiment_types.go: the status is a knative duckv1.Status with the
//   conditions ExperimentReady, CandidatesReady, MirrorReady and Ready; CreateAndSetCondition puts
//   the text in `reason`.
// - operator/scheduler/experiment.go SubscribeExperimentEvents: the conditions come from the
//   scheduler's events; an event for another generation than the object's is ignored (and a status
//   update races a spec change through the resourceVersion), so any status written while the object
//   is at generation N is N's. Nothing writes status.observedGeneration.
// - scheduler/pkg/store/experiment (CreateExperimentFromRequest, StartExperiment, SetStatus): a
//   changed Experiment is stored inactive and reported so (ExperimentReady False), then marked
//   "experiment active" once routed: Ready goes False and back to True.
// - knative.dev/pkg apis/condition_set.go SetCondition: a condition's lastTransitionTime moves only
//   when it changes. So a Ready condition that still carries the time it had before the apply is
//   the previous spec's; one with another time, or seen not True since, is this spec's.
// Across processes (a retry in a later job), nothing of the apply is remembered: there the API
// server's metadata.managedFields tell when the spec was last written (the entry that owns `f:spec`
// moves its `time` when its fields change; `kubectl get` shows them with --show-managed-fields).
// A Ready that changed after that second is the current generation's; one from before is not.
// A Model's status (operator/apis/mlops/v1alpha1/model_types.go ModelStatus, a duckv1.Status): the
// conditions ModelReady (operator/scheduler/model.go: True once the scheduler reports the Model
// ModelAvailable, else False, the scheduler's words in `reason`) and Ready, which follows it; the
// CRD's printed Ready column is ModelReady's status. A Pipeline's has Ready likewise.

type Condition = z.output<typeof conditionSchema>;

/** An entry of metadata.managedFields: who last changed which fields, and when (the API server's clock). */
export const managedFieldsSchema = z.array(
  z.object({
    subresource: z.string().optional(),
    time: z.string().optional(),
    fieldsV1: z.record(z.string(), z.unknown()).optional(),
  }),
);
type ManagedFields = z.output<typeof managedFieldsSchema>;

const MODEL = 'models.mlops.seldon.io';
const PIPELINE = 'pipelines.mlops.seldon.io';
const EXPERIMENT = 'experiments.mlops.seldon.io';

/** The parts of an Experiment the status checks read. */
export interface ExperimentView {
  metadata: { name: string; generation?: number; managedFields?: ManagedFields };
  /** resourceType `pipeline`: the candidates and mirror are Pipelines, else Models. */
  spec: { candidates: { name: string }[]; mirror?: { name: string }; resourceType?: unknown };
  status: { conditions: Condition[] };
}

const conditionOf = (e: ExperimentView, type: string) => e.status.conditions.find((c) => c.type === type);

/** Whether the scheduler reports the Experiment active with every Model available. */
export const isReady = (e: ExperimentView) => conditionOf(e, 'Ready')?.status === 'True';

/** Why an Experiment is not Ready, and what to look at. */
export function notReadyReason(e: ExperimentView, namespace: string): string {
  const pipelines = e.spec.resourceType === 'pipeline';
  const kind = pipelines ? 'Pipeline' : 'Model';
  const models = (names: string[]) =>
    `\`kubectl get ${pipelines ? PIPELINE : MODEL} ${names.join(' ')} -n ${namespace}\``;
  const ready = conditionOf(e, 'Ready');
  if (!ready) {
    return `the Seldon scheduler has not reported on it yet (no Ready condition); check that the Seldon operator and scheduler are running`;
  }
  if (conditionOf(e, 'CandidatesReady')?.status === 'False') {
    const names = e.spec.candidates.map((c) => c.name);
    return `its candidate ${kind}s (${names.join(', ')}) are not all available; check ${models(names)}`;
  }
  if (e.spec.mirror && conditionOf(e, 'MirrorReady')?.status === 'False') {
    return `its mirror ${kind} ${e.spec.mirror.name} is not available; check ${models([e.spec.mirror.name])}`;
  }
  const text = [ready.reason, ready.message].filter(Boolean).join(': ');
  return `its Ready condition is ${ready.status}${text ? ` (${text})` : ''}`;
}

/** Why a Ready Experiment is not known to be Ready for its current generation, and what to look at. */
export function notActedReason(e: ExperimentView, namespace: string): string {
  const since = conditionOf(e, 'Ready')?.lastTransitionTime;
  return `the Seldon scheduler has not acted on generation ${e.metadata.generation ?? '?'} yet (its Ready condition is still the one of ${since ?? 'before the change'}); check that the Seldon scheduler is running and see \`kubectl get ${EXPERIMENT} ${e.metadata.name} -n ${namespace} -o yaml\``;
}

/** A Kubernetes time (RFC 3339, whole seconds) as whole seconds; undefined when absent or unreadable. */
function seconds(time: string | undefined): number | undefined {
  const ms = time === undefined ? Number.NaN : Date.parse(time);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/** When the current spec was written: the latest managedFields entry that owns spec fields. */
function specWrittenAt(e: ExperimentView): number | undefined {
  const owners = (e.metadata.managedFields ?? []).filter(
    (f) => !f.subresource && f.fieldsV1 !== undefined && 'f:spec' in f.fieldsV1,
  );
  const times = owners.map((f) => seconds(f.time));
  if (times.length === 0 || times.some((t) => t === undefined)) return undefined;
  return Math.max(...(times as number[]));
}

/**
 * What the times alone say of a Ready condition (a later process has nothing else): `acted` when it
 * changed after the second the spec was written, `before` when it predates it (the scheduler has
 * not acted on this generation: acting moves it), `unknown` in the same second or without times.
 */
export function readyVersusSpec(e: ExperimentView): 'acted' | 'before' | 'unknown' {
  const written = specWrittenAt(e);
  const since = seconds(conditionOf(e, 'Ready')?.lastTransitionTime);
  if (written === undefined || since === undefined || since === written) return 'unknown';
  return since > written ? 'acted' : 'before';
}

/** What an Experiment's status was just before an apply: what later shows the scheduler acted on it. */
export interface BeforeApply {
  /** metadata.generation; undefined when the Experiment did not exist. */
  generation?: number;
  /** The Ready condition's lastTransitionTime. */
  readySince?: string;
}

export const beforeApply = (e: ExperimentView | undefined): BeforeApply => ({
  generation: e?.metadata.generation,
  readySince: e && conditionOf(e, 'Ready')?.lastTransitionTime,
});

/**
 * A check, polled after an apply, that is done once the Experiment is Ready for its current
 * generation, shown by one of:
 * - a read during this wait saw Ready not True at this generation (it has been set True since);
 * - Ready changed since `before`, when `before` was this generation too, or else not before the
 *   second the spec was written (a previous generation's report can land between `before` and the
 *   apply);
 * - Ready changed after the second the spec was written (readyVersusSpec), which is what proves it
 *   when the apply changed no spec, as when a rollback whose wait timed out is written again.
 * Nothing else: an unchanged generation is not settled by itself, the scheduler may not have acted.
 */
export function appliedCheck(before: BeforeApply, namespace: string) {
  let notReadyAt: { generation?: number } | undefined;
  return <E extends ExperimentView>(e: E): Settled<E> => {
    const { generation } = e.metadata;
    if (!isReady(e)) {
      notReadyAt = { generation };
      return { done: false, why: notReadyReason(e, namespace) };
    }
    const times = readyVersusSpec(e);
    const changed =
      conditionOf(e, 'Ready')?.lastTransitionTime !== before.readySince &&
      (before.generation === generation || times !== 'before');
    if ((notReadyAt && notReadyAt.generation === generation) || changed || times === 'acted') {
      return { done: true, value: e };
    }
    return { done: false, why: notActedReason(e, namespace) };
  };
}

/** A Model's or Pipeline's status: its conditions, none before the operator reports on it. */
export interface ServerView {
  status?: { conditions?: Condition[] } | undefined;
}

/**
 * Why a Model (or Pipeline: `kind`) `name` cannot be given traffic, or undefined when it is Ready:
 * not there (`server` undefined), not reported on yet, or not Ready, in the operator's words.
 */
export function unservableReason(
  server: ServerView | undefined,
  kind: 'Model' | 'Pipeline',
  name: string,
  namespace: string,
): string | undefined {
  const type = kind === 'Pipeline' ? PIPELINE : MODEL;
  const see = `\`kubectl get ${type} ${name} -n ${namespace} -o yaml\``;
  if (!server) {
    return `the Seldon ${kind} ${name} does not exist in namespace ${namespace}: create it (\`kubectl apply\` of its ${kind} manifest), wait until \`kubectl get ${type} ${name} -n ${namespace}\` shows it Ready, then run model-gate again`;
  }
  const conditions = server.status?.conditions ?? [];
  if (conditions.find((c) => c.type === 'Ready')?.status === 'True') return undefined;
  // The condition that says why (ModelReady for a Model), else Ready itself.
  const why =
    conditions.find((c) => c.type !== 'Ready' && c.status !== 'True') ??
    conditions.find((c) => c.type === 'Ready');
  const said = why
    ? `its ${why.type} condition is ${why.status}${[why.reason, why.message].some(Boolean) ? ` (${[why.reason, why.message].filter(Boolean).join(': ')})` : ''}`
    : 'the Seldon operator has not reported on it yet (no conditions)';
  return `the Seldon ${kind} ${name} is not Ready: ${said}; see ${see}, fix the ${kind} or wait until it is Ready, then run model-gate again`;
}
