import { z } from 'zod';
import type { Settled } from './platform-cli.js';

// What the Seldon Core v2 operator writes in an Experiment's status, per SeldonIO/seldon-core:
// - operator/apis/mlops/v1alpha1/experiment_types.go: the status is a knative duckv1.Status with the
//   conditions ExperimentReady, CandidatesReady, MirrorReady and Ready; CreateAndSetCondition puts
//   the text in `reason`.
// - operator/scheduler/experiment.go SubscribeExperimentEvents: the conditions come from the
//   scheduler's events; an event for another generation than the object's is ignored. Nothing
//   writes status.observedGeneration.
// - scheduler/pkg/store/experiment (CreateExperimentFromRequest, StartExperiment, SetStatus): a
//   changed Experiment is stored inactive and reported so (ExperimentReady False), then marked
//   "experiment active" once routed: Ready goes False and back to True.
// - knative.dev/pkg apis/condition_set.go SetCondition: a condition's lastTransitionTime moves only
//   when it changes. So a Ready condition that still carries the time it had before the apply is
//   the previous spec's; one with another time, or seen not True since, is this spec's.

export const conditionSchema = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().optional(),
});
type Condition = z.output<typeof conditionSchema>;

const MODEL = 'models.mlops.seldon.io';
const EXPERIMENT = 'experiments.mlops.seldon.io';

/** The parts of an Experiment the status checks read. */
export interface ExperimentView {
  metadata: { name: string; generation?: number };
  spec: { candidates: { name: string }[]; mirror?: { name: string } };
  status: { conditions: Condition[] };
}

const conditionOf = (e: ExperimentView, type: string) => e.status.conditions.find((c) => c.type === type);

/** Whether the scheduler reports the Experiment active with every Model available. */
export const isReady = (e: ExperimentView) => conditionOf(e, 'Ready')?.status === 'True';

/** Why an Experiment is not Ready, and what to look at. */
export function notReadyReason(e: ExperimentView, namespace: string): string {
  const models = (names: string[]) => `\`kubectl get ${MODEL} ${names.join(' ')} -n ${namespace}\``;
  const ready = conditionOf(e, 'Ready');
  if (!ready) {
    return `the Seldon scheduler has not reported on it yet (no Ready condition); check that the Seldon operator and scheduler are running`;
  }
  if (conditionOf(e, 'CandidatesReady')?.status === 'False') {
    const names = e.spec.candidates.map((c) => c.name);
    return `its candidate Models (${names.join(', ')}) are not all available; check ${models(names)}`;
  }
  if (e.spec.mirror && conditionOf(e, 'MirrorReady')?.status === 'False') {
    return `its mirror Model ${e.spec.mirror.name} is not available; check ${models([e.spec.mirror.name])}`;
  }
  const text = [ready.reason, ready.message].filter(Boolean).join(': ');
  return `its Ready condition is ${ready.status}${text ? ` (${text})` : ''}`;
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
 * A check, polled after an apply, that is done once the Experiment is Ready for the spec that was
 * applied: at once when the apply changed no spec (same generation), else only after its Ready
 * condition has changed since `before` (its lastTransitionTime, or a read that saw it not True).
 */
export function appliedCheck(before: BeforeApply, namespace: string) {
  let sawNotReady = false;
  return <E extends ExperimentView>(e: E): Settled<E> => {
    if (!isReady(e)) {
      sawNotReady = true;
      return { done: false, why: notReadyReason(e, namespace) };
    }
    const unchanged = before.generation !== undefined && e.metadata.generation === before.generation;
    const since = conditionOf(e, 'Ready')?.lastTransitionTime;
    if (unchanged || sawNotReady || since !== before.readySince) return { done: true, value: e };
    return {
      done: false,
      why: `the Seldon scheduler has not acted on generation ${e.metadata.generation ?? '?'} yet (its Ready condition is still the one of ${since ?? 'before the change'}); check that the Seldon scheduler is running and see \`kubectl get ${EXPERIMENT} ${e.metadata.name} -n ${namespace} -o yaml\``,
    };
  };
}
