export const EXP = 'experiments.mlops.seldon.io';
export const MODEL = 'models.mlops.seldon.io';

/** Why the scheduler reports a Model not available (its words, as the operator puts them in `reason`). */
export const MODEL_FAILED = 'ModelFailed';

/**
 * A Seldon Model `name` in seldon-mesh, available unless `ready` is false, its status as the
 * operator writes it (operator/apis/mlops/v1alpha1/model_types.go, operator/scheduler/model.go):
 * ModelReady from the scheduler's report, and Ready that follows it.
 */
export const seldonModel = (name: string, ready = true) => ({
  apiVersion: 'mlops.seldon.io/v1alpha1',
  kind: 'Model',
  metadata: { name, namespace: 'seldon-mesh', generation: 1 },
  spec: { storageUri: `gs://models/${name}`, requirements: ['sklearn'] },
  status: {
    conditions: ['ModelReady', 'Ready'].map((type) => ({
      type,
      status: ready ? 'True' : 'False',
      ...(ready ? {} : { reason: MODEL_FAILED }),
      lastTransitionTime: '2026-01-01T00:00:00Z',
    })),
    replicas: 1,
    availableReplicas: ready ? 1 : 0,
  },
});

/** An Experiment's conditions as the Seldon operator writes them once the scheduler reports it active, at `at`. */
export const activeConditions = (at = '2026-01-01T00:00:00Z') =>
  [
    ['CandidatesReady', 'Candidates ready'],
    ['ExperimentReady', 'experiment active'],
    ['MirrorReady', 'Mirror ready'],
    ['Ready', undefined],
  ].map(([type, reason]) => ({
    type,
    status: 'True',
    ...(reason ? { reason } : {}),
    lastTransitionTime: at,
  }));

/**
 * Experiment `fraud` in seldon-mesh (generation 1), v1's Model serving all of it, active, as the
 * user applied it; `spec` adds fields model-gate does not own (`default`, `resourceType`).
 */
export const fraudExperimentAtV1 = (spec: Record<string, unknown> = {}) => ({
  apiVersion: 'mlops.seldon.io/v1alpha1',
  kind: 'Experiment',
  metadata: { name: 'fraud', namespace: 'seldon-mesh', generation: 1 },
  spec: { ...spec, candidates: [{ name: 'fraud-v1', weight: 100 }] },
  status: { conditions: activeConditions() },
});

/** The kubectl stand-in's cluster: fraud-v1 and fraud-v2 available, and `experiment` (v1 serving all). */
export const fraudSeldonCluster = (experiment: object = fraudExperimentAtV1()) => ({
  k8s: {
    [MODEL]: {
      'seldon-mesh/fraud-v1': seldonModel('fraud-v1'),
      'seldon-mesh/fraud-v2': seldonModel('fraud-v2'),
    },
    [EXP]: { 'seldon-mesh/fraud': experiment },
  },
});
