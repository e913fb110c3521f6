// A stand-in for `kubectl` against a cluster running KServe (Knative mode) and Seldon Core v2.
//
// Accepts the subset model-gate uses, with kubectl's syntax and error texts:
//   kubectl get <type> <name>... [-n NS] [-o json] [--ignore-not-found] [--show-managed-fields] [--context C] [--kubeconfig F] [--request-timeout T]
//   kubectl patch <type> <name> [-n NS] --type merge|json|strategic -p JSON
//   kubectl apply -f - [-n NS]              (manifest on stdin)
// References: https://kubernetes.io/docs/reference/kubectl/generated/kubectl_patch/ ,
// https://kserve.github.io/website/docs/model-serving/predictive-inference/rollout-strategies/canary ,
// https://docs.seldon.ai/seldon-core-2/kubernetes/resources/experiment
//
// The KServe and Seldon controllers are simulated: a change is reconciled on a later `get`
// (after `state.settleGets`, default 0, reads still showing the previous change's status, as a
// real controller's status is until it acts). Neither writes an observedGeneration of the
// object's own (see reconcileIsvc, reconcileExperiment). A Seldon Experiment's
// `spec.mirror` ({name, percent}) is kept like its candidates; the Experiment is Ready only
// when the mirror's Model is available too. Fault `drop-mirror` on `apply` (or `patch
// experiments.mlops.seldon.io`): the write succeeds but the stored spec has no mirror (an installed CRD without the field prunes it).
// `apply` merges as client-side apply does (appliedOver): a field of the spec, or a label or
// annotation, the previous apply had and this one lacks is removed. `patch --type merge` is a JSON
// merge patch (RFC 7386: lists replaced, null removes), the rest of the object left as it is; on an
// Experiment it is checked as strictly as an apply, and recorded in managedFields under
// `kubectl-patch`. A Seldon Model's (or Pipeline's) status is its conditions, as the operator writes
// them (operator/apis/mlops/v1alpha1/model_types.go: ModelReady, and Ready that follows it): one
// is available to an Experiment only with Ready True. A patched InferenceService must keep exactly one predictor
// implementation (`model` or a framework key), as KServe's webhook requires (implementationsOf).
// An Experiment keeps metadata.managedFields as the API server does (managedFieldsOf): `get` shows
// them only with --show-managed-fields. Types listed in `state.k8sWithout` (e.g.
// experiments.mlops.seldon.io) are CRDs the cluster does not have: kubectl's words for a cluster
// without Seldon, as a context naming another cluster meets.
//
// Fault `fail` prints the fault's `message` as is, or with a `code` (an API Status reason) as
// kubectl prints an API server's error (StandardErrorMessage in kubectl's pkg/cmd/util/helpers.go):
// `error: You must be logged in to the server (message)` for Unauthorized, else
// `Error from server (Reason): message`.
import {
  answerCall,
  clone,
  fail,
  hang,
  loadState,
  parseFlags,
  readStdin,
  runAsProgram,
  saveState,
  succeed,
  takeFault,
} from './lib.mjs';

const CLI = 'kubectl';
const ISVC = 'inferenceservices.serving.kserve.io';
const REV = 'revisions.serving.knative.dev';
const EXP = 'experiments.mlops.seldon.io';
const MODEL = 'models.mlops.seldon.io';
const PIPELINE = 'pipelines.mlops.seldon.io';
const TYPES = {
  inferenceservice: ISVC,
  inferenceservices: ISVC,
  isvc: ISVC,
  [ISVC]: ISVC,
  'inferenceservices.serving.kserve.io/v1beta1': ISVC,
  revision: REV,
  revisions: REV,
  rev: REV,
  [REV]: REV,
  experiment: EXP,
  experiments: EXP,
  mlx: EXP,
  [EXP]: EXP,
  model: MODEL,
  models: MODEL,
  [MODEL]: MODEL,
  pipeline: PIPELINE,
  pipelines: PIPELINE,
  [PIPELINE]: PIPELINE,
};
const KINDS = {
  [ISVC]: 'inferenceservice',
  [REV]: 'revision',
  [EXP]: 'experiment',
  [MODEL]: 'model',
  [PIPELINE]: 'pipeline',
};
const FORMATS =
  'custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml';

const GLOBAL = {
  '-n': { takes: true, name: 'namespace' },
  '--namespace': { takes: true, name: 'namespace' },
  '--context': { takes: true, name: 'context' },
  '--kubeconfig': { takes: true, name: 'kubeconfig' },
  '--request-timeout': { takes: true, name: 'requestTimeout' },
};
const COMMANDS = {
  get: {
    ...GLOBAL,
    '-o': { takes: true, name: 'output' },
    '--output': { takes: true, name: 'output' },
    '--ignore-not-found': { takes: false, name: 'ignoreNotFound' },
    '--show-managed-fields': { takes: false, name: 'showManagedFields' },
  },
  patch: {
    ...GLOBAL,
    '--type': { takes: true, name: 'type' },
    '-p': { takes: true, name: 'patch' },
    '--patch': { takes: true, name: 'patch' },
    '-o': { takes: true, name: 'output' },
    '--output': { takes: true, name: 'output' },
  },
  apply: {
    ...GLOBAL,
    '-f': { takes: true, name: 'filename', repeat: true },
    '--filename': { takes: true, name: 'filename', repeat: true },
    '-o': { takes: true, name: 'output' },
    '--output': { takes: true, name: 'output' },
    '--server-side': { takes: false, name: 'serverSide' },
  },
};

// One call's request, set by answer (the functions below read them).
let state;
let positionals;
let flags;
let namespace;
let op;

function answer(argv) {
  state = loadState();
  state.calls.push({ cli: CLI, argv });

  const [command, ...rest] = argv;
  if (!command)
    fail(state, 'kubectl controls the Kubernetes cluster manager.\n\nUsage:\n  kubectl [flags] [options]', 0);
  const spec = COMMANDS[command];
  if (!spec)
    fail(state, `Error: unknown command "${command}" for "kubectl"\nRun 'kubectl --help' for usage.`, 1);
  const parsed = parseFlags(rest, spec);
  if (parsed.unknown)
    fail(state, `Error: unknown flag: ${parsed.unknown}\nSee 'kubectl ${command} --help' for usage.`, 1);
  if (parsed.missing)
    fail(
      state,
      `Error: flag needs an argument: ${/^-[a-z]$/.test(parsed.missing) ? `'${parsed.missing.slice(1)}' in ${parsed.missing}` : parsed.missing}\nSee 'kubectl ${command} --help' for usage.`,
      1,
    );
  ({ positionals, flags } = parsed);
  if (flags.requestTimeout !== undefined && !/^\d+(ms|s|m|h)?$/.test(flags.requestTimeout)) {
    fail(
      state,
      `error: invalid argument "${flags.requestTimeout}" for "--request-timeout" flag: time: invalid duration "${flags.requestTimeout}"`,
      1,
    );
  }
  if (flags.output !== undefined && !FORMATS.split(',').includes(flags.output)) {
    fail(
      state,
      `error: unable to match a printer suitable for the output format "${flags.output}", allowed formats are: ${FORMATS}`,
      1,
    );
  }
  if (flags.context !== undefined && state.contexts && !state.contexts.includes(flags.context)) {
    fail(state, `error: context "${flags.context}" does not exist`, 1);
  }
  namespace = flags.namespace ?? 'default';
  state.k8s ??= {};

  op =
    command === 'get'
      ? `get ${TYPES[positionals[0]] ?? positionals[0]}`
      : command === 'patch'
        ? `patch ${TYPES[positionals[0]] ?? positionals[0]}`
        : 'apply';
  const fault =
    takeFault(state, CLI, op, ['throttle', 'timeout', 'fail', 'conflict']) ??
    takeFault(state, CLI, command, ['throttle', 'timeout', 'fail', 'conflict']);
  if (fault?.kind === 'timeout') hang(state);
  else if (fault?.kind === 'throttle') {
    fail(
      state,
      'Error from server (TooManyRequests): the server has received too many requests and has asked us to try again later',
      1,
    );
  } else if (fault?.kind === 'fail') {
    fail(state, serverError(fault), 1);
  } else if (fault?.kind === 'conflict') {
    fail(
      state,
      `Error from server (Conflict): Operation cannot be fulfilled on ${TYPES[positionals[0]] ?? EXP} "${positionals[1] ?? 'x'}": the object has been modified; please apply your changes to the latest version and try again`,
      1,
    );
  } else if (command === 'get') get();
  else if (command === 'patch') patch();
  else apply();
  saveState(state);
}

/** A fail fault's text: its message as given, or the API server's error of its code (a Status reason). */
function serverError({ code, message }) {
  if (!code)
    return (
      message ??
      'Error from server (InternalError): an error on the server ("") has prevented the request from succeeding'
    );
  return code === 'Unauthorized'
    ? `error: You must be logged in to the server (${message})`
    : `Error from server (${code}): ${message}`;
}

/** Answers one `kubectl` call (argv after the program name, `input` on stdin): { code, stdout, stderr, hang }. */
export const runKubectl = (argv, env, input) => answerCall(answer, argv, env, input);

function resourceType(word) {
  const type = TYPES[word];
  if (!type || !installed(type)) fail(state, `error: the server doesn't have a resource type "${word}"`, 1);
  return type;
}

/** Whether the cluster has `type`: not one whose CRD `state.k8sWithout` lists (another cluster's context). */
function installed(type) {
  return !(state.k8sWithout ?? []).includes(type);
}

function store(type) {
  state.k8s[type] ??= {};
  return state.k8s[type];
}

function notFound(type, name) {
  fail(state, `Error from server (NotFound): ${type} "${name}" not found`, 1);
}

function get() {
  const [word, ...names] = positionals;
  if (!word) {
    fail(
      state,
      `You must specify the type of resource to get. Use "kubectl api-resources" for a complete list of supported resources.\n\nerror: Required resource not specified.\nUse "kubectl explain <resource>" for a detailed description of that resource (e.g. kubectl explain pods).\nSee 'kubectl get -h' for help and examples`,
      1,
    );
  }
  const type = resourceType(word);
  if (names.length === 0) fail(state, 'stand-in: listing without names is not implemented', 3);
  if (flags.output !== 'json')
    fail(state, `stand-in: -o ${flags.output ?? '(table)'} is not implemented, only -o json`, 3);
  const objects = [];
  for (const name of names) {
    const key = `${namespace}/${name}`;
    const object = store(type)[key];
    if (!object && flags.ignoreNotFound) continue; // kubectl prints nothing for it (get.go printGeneric)
    if (!object) notFound(type, name);
    if (type === ISVC) reconcileIsvc(object);
    if (type === EXP) reconcileExperiment(object);
    objects.push(shown(type, object));
  }
  if (objects.length === 0) succeed(state, '');
  const out =
    objects.length === 1
      ? objects[0]
      : { apiVersion: 'v1', kind: 'List', items: objects, metadata: { resourceVersion: '' } };
  succeed(state, JSON.stringify(out, null, 4));
}

/**
 * What `get` prints: without the simulation's bookkeeping, nor metadata.managedFields unless
 * --show-managed-fields (kubectl's default since 1.21); a busy fault shows a rollout in progress.
 */
function shown(type, object) {
  const out = clone(object);
  delete out._sim;
  if (flags.showManagedFields && type === EXP) out.metadata.managedFields = managedFieldsOf(object);
  else delete out.metadata?.managedFields;
  if (type === ISVC && takeFault(state, CLI, 'get inferenceservices.serving.kserve.io', ['busy'])) {
    out.status.conditions = [
      {
        type: 'PredictorReady',
        status: 'Unknown',
        reason: 'RevisionMissing',
        message: `Configuration "${out.metadata.name}-predictor" is waiting for a Revision to become ready.`,
      },
      {
        type: 'Ready',
        status: 'Unknown',
        reason: 'RevisionMissing',
        message: `Configuration "${out.metadata.name}-predictor" is waiting for a Revision to become ready.`,
      },
    ];
  }
  return out;
}

function patch() {
  const [word, name] = positionals;
  if (!word || !name) fail(state, 'error: resource(s) were provided, but no name was specified', 1);
  const type = resourceType(word);
  if (flags.patch === undefined)
    fail(state, 'error: must specify --patch or --patch-file containing the contents of the patch', 1);
  const patchType = flags.type ?? 'strategic';
  if (!['json', 'merge', 'strategic'].includes(patchType)) {
    fail(state, `error: --type must be one of [json merge strategic], not "${patchType}"`, 1);
  }
  let body;
  try {
    body = JSON.parse(flags.patch);
  } catch (err) {
    fail(state, `error: unable to parse "${flags.patch}": yaml: ${err.message}`, 1);
  }
  const object = store(type)[`${namespace}/${name}`];
  if (!object) notFound(type, name);
  if (patchType === 'strategic') {
    fail(
      state,
      'Error from server (UnsupportedMediaType): the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
      1,
    );
  }
  if (patchType === 'json') fail(state, 'stand-in: --type json is not implemented, use --type merge', 3);
  const next = mergePatch(clone(object), body);
  if (type === EXP) {
    const problem = experimentProblem({ apiVersion: next.apiVersion, kind: next.kind, spec: next.spec });
    if (problem) {
      fail(
        state,
        `Error from server (BadRequest): Experiment in version "v1alpha1" cannot be handled as a Experiment: strict decoding error: ${problem}`,
        1,
      );
    }
    if (next.spec?.mirror && takeFault(state, CLI, op, ['drop-mirror'])) delete next.spec.mirror;
  }
  // KServe's validating webhook (controller-runtime's Denied: 403 Forbidden) refuses a predictor
  // with other than one implementation (component.go validateExactlyOneImplementation; the list
  // is ExactlyOneErrorFor's, PredictorSpec's fields in kserve/kserve master).
  if (type === ISVC && implementationsOf(next.spec?.predictor).length !== 1) {
    fail(
      state,
      `Error from server (Forbidden): admission webhook "inferenceservice.kserve-webhook-server.validator" denied the request: Exactly one of [SKLearn, XGBoost, Tensorflow, PyTorch, Triton, ONNX, HuggingFace, PMML, LightGBM, Paddle, Model, StorageUris, WorkerSpec, PodSpec] must be specified in PredictorSpec`,
      1,
    );
  }
  const changed =
    JSON.stringify(next.spec) !== JSON.stringify(object.spec) ||
    JSON.stringify(next.metadata) !== JSON.stringify(object.metadata);
  if (changed && !takeFault(state, CLI, op, ['silent-revert'])) {
    next.metadata.generation = (object.metadata.generation ?? 1) + 1;
    if (type === EXP) next.metadata.managedFields = patchedFields(object, body);
    next._sim = {
      ...(object._sim ?? {}),
      pendingGets: state.settleGets ?? 0,
      reconciled: reportedGeneration(object),
    };
    store(type)[`${namespace}/${name}`] = next;
  }
  succeed(
    state,
    `${KINDS[type]}.${type.split('.').slice(1).join('.')}/${name} patched${changed ? '' : ' (no change)'}`,
  );
}

/**
 * A predictor's implementations (kserve pkg/apis/serving/v1beta1/predictor.go GetImplementations):
 * `model`, the older per-framework keys, and custom containers.
 */
const FRAMEWORKS = [
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
];
function implementationsOf(predictor = {}) {
  const keys = FRAMEWORKS.filter((key) => predictor[key]);
  return predictor.containers?.length ? [...keys, 'containers'] : keys;
}

/** The storage URI the predictor's implementation serves. */
const storageUriOf = (predictor = {}) => predictor[implementationsOf(predictor)[0] ?? 'model']?.storageUri;

function mergePatch(target, patchBody) {
  if (patchBody === null || typeof patchBody !== 'object' || Array.isArray(patchBody)) return patchBody;
  const out = target !== null && typeof target === 'object' && !Array.isArray(target) ? target : {};
  for (const [key, value] of Object.entries(patchBody)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function apply() {
  const files = flags.filename ?? [];
  if (files.length === 0) fail(state, 'error: must specify one of -f and -k', 1);
  if (files.some((f) => f !== '-')) fail(state, 'stand-in: only -f - (stdin) is implemented', 3);
  const text = readStdin();
  let manifest;
  try {
    manifest = JSON.parse(text);
  } catch {
    fail(
      state,
      'error: error parsing STDIN: error converting YAML to JSON: yaml: line 1: did not find expected node content',
      1,
    );
  }
  if (
    manifest?.apiVersion !== 'mlops.seldon.io/v1alpha1' ||
    manifest?.kind !== 'Experiment' ||
    !installed(EXP)
  ) {
    fail(
      state,
      `error: resource mapping not found for name: "${manifest?.metadata?.name ?? ''}" namespace: "" from "STDIN": no matches for kind "${manifest?.kind}" in version "${manifest?.apiVersion}"\nensure CRDs are installed first`,
      1,
    );
  }
  const name = manifest.metadata?.name;
  if (!name)
    fail(
      state,
      'error: error when retrieving current configuration of:\nResource: "mlops.seldon.io/v1alpha1, Resource=experiments", GroupVersionKind: "mlops.seldon.io/v1alpha1, Kind=Experiment"\nName: "", Namespace: "default"\nfrom server for: "STDIN": resource name may not be empty',
      1,
    );
  if (manifest.metadata.namespace && flags.namespace && manifest.metadata.namespace !== flags.namespace) {
    fail(
      state,
      `error: the namespace from the provided object "${manifest.metadata.namespace}" does not match the namespace "${flags.namespace}". You must pass '--namespace=${manifest.metadata.namespace}' to perform this operation.`,
      1,
    );
  }
  const problem = experimentProblem(manifest);
  if (problem) {
    fail(
      state,
      `Error from server (BadRequest): error when creating "STDIN": Experiment in version "v1alpha1" cannot be handled as a Experiment: strict decoding error: ${problem}`,
      1,
    );
  }
  const ns = manifest.metadata.namespace ?? namespace;
  const key = `${ns}/${name}`;
  const existing = store(EXP)[key];
  const merged = existing ? appliedOver(existing, manifest) : undefined;
  const spec = merged ? merged.spec : clone(manifest.spec ?? {});
  if (spec.mirror && takeFault(state, CLI, 'apply', ['drop-mirror'])) delete spec.mirror;
  if (existing && JSON.stringify(existing.spec) === JSON.stringify(spec))
    succeed(state, `experiment.mlops.seldon.io/${name} unchanged`);
  if (existing && takeFault(state, CLI, 'apply', ['silent-revert']))
    succeed(state, `experiment.mlops.seldon.io/${name} configured`);
  const labels = merged ? merged.labels : clone(manifest.metadata.labels ?? {});
  const annotations = merged ? merged.annotations : clone(manifest.metadata.annotations ?? {});
  store(EXP)[key] = {
    apiVersion: 'mlops.seldon.io/v1alpha1',
    kind: 'Experiment',
    metadata: {
      ...(existing?.metadata ?? {}),
      name,
      namespace: ns,
      labels,
      annotations: { ...annotations, [LAST_APPLIED]: JSON.stringify(manifest) },
      generation: (existing?.metadata?.generation ?? 0) + 1,
      managedFields: withManagedEntry(existing ? managedFieldsOf(existing) : [], {
        manager: 'kubectl-client-side-apply',
        operation: 'Update',
        apiVersion: 'mlops.seldon.io/v1alpha1',
        time: nextSecond(),
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': {
            'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} },
            'f:labels': { '.': {}, 'f:app.kubernetes.io/managed-by': {} },
          },
          'f:spec': { '.': {}, ...Object.fromEntries(Object.keys(spec).map((k) => [`f:${k}`, {}])) },
        },
      }),
    },
    spec,
    status: existing?.status ?? {},
    _sim: {
      pendingGets: state.settleGets ?? 0,
      reconciled: existing ? reportedGeneration(existing) : undefined,
    },
  };
  // The API server keeps no empty map.
  if (Object.keys(labels).length === 0) delete store(EXP)[key].metadata.labels;
  succeed(state, `experiment.mlops.seldon.io/${name} ${existing ? 'configured' : 'created'}`);
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * What client-side `kubectl apply` makes of `live` (kubectl's apply.go, a three-way merge patch:
 * a CRD takes a JSON merge patch), over the spec, the labels and the annotations: a field the
 * previous apply had and `manifest` lacks is removed, the manifest's fields are set, and fields no
 * apply set (a controller's, `kubectl edit`'s) stay. The previous apply is the
 * last-applied-configuration annotation; a seeded object without one stands for the user's own
 * `kubectl apply` of it, labels and annotations too (as managedFieldsOf takes it).
 */
function appliedOver(live, manifest) {
  const annotation = live.metadata?.annotations?.[LAST_APPLIED];
  const previous = annotation
    ? JSON.parse(annotation)
    : {
        spec: live.spec,
        metadata: { labels: live.metadata?.labels, annotations: live.metadata?.annotations },
      };
  const meta = (m, field) => m?.metadata?.[field] ?? {};
  const { [LAST_APPLIED]: _, ...liveAnnotations } = meta(live, 'annotations');
  return {
    spec: threeWay(live.spec ?? {}, previous.spec ?? {}, manifest.spec ?? {}),
    labels: threeWay(meta(live, 'labels'), meta(previous, 'labels'), meta(manifest, 'labels')),
    annotations: threeWay(liveAnnotations, meta(previous, 'annotations'), meta(manifest, 'annotations')),
  };
}

const isMap = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `live` with what was in `previous` and is not in `wanted` removed and `wanted` merged in (lists replaced). */
function threeWay(live, previous, wanted) {
  const out = clone(live);
  for (const key of Object.keys(previous)) if (!(key in wanted)) delete out[key];
  for (const [key, value] of Object.entries(wanted)) {
    out[key] =
      isMap(value) && isMap(out[key])
        ? threeWay(out[key], isMap(previous[key]) ? previous[key] : {}, value)
        : clone(value);
  }
  return out;
}

/**
 * An Experiment's metadata.managedFields, as the API server keeps them: one entry per manager and
 * subresource, whose `time` moves when that manager changes a field it owns. A seeded Experiment
 * without any was applied before the simulated cluster's clock starts (so before its seeded
 * conditions, which are its own: reportedGeneration).
 */
function managedFieldsOf(exp) {
  return (
    exp.metadata.managedFields ?? [
      {
        manager: 'kubectl-client-side-apply',
        operation: 'Update',
        apiVersion: 'mlops.seldon.io/v1alpha1',
        time: '2025-12-31T23:59:59Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': { '.': {}, 'f:candidates': {} } },
      },
    ]
  );
}

/**
 * An Experiment's managedFields after a merge patch `body` changed it: `kubectl-patch` (kubectl's
 * default --field-manager) owns the fields the patch set, its time now.
 */
function patchedFields(exp, body) {
  const owned = (value) =>
    isMap(value)
      ? {
          '.': {},
          ...Object.fromEntries(
            Object.entries(value)
              .filter(([, v]) => v !== null)
              .map(([k, v]) => [`f:${k}`, owned(v)]),
          ),
        }
      : {};
  return withManagedEntry(managedFieldsOf(exp), {
    manager: 'kubectl-patch',
    operation: 'Update',
    apiVersion: 'mlops.seldon.io/v1alpha1',
    time: nextSecond(),
    fieldsType: 'FieldsV1',
    fieldsV1: Object.fromEntries(Object.entries(body).map(([k, v]) => [`f:${k}`, owned(v)])),
  });
}

/** `entries` with `entry` in place of the one of the same manager and subresource. */
const withManagedEntry = (entries, entry) => [
  ...entries.filter((e) => e.manager !== entry.manager || e.subresource !== entry.subresource),
  entry,
];

/**
 * Records the operator's update of an Experiment's status conditions in its managedFields
 * (controller-runtime names its manager after the binary), at the next second, which it returns.
 */
function operatorStatusUpdate(exp) {
  const now = nextSecond();
  exp.metadata.managedFields = withManagedEntry(managedFieldsOf(exp), {
    manager: 'manager',
    operation: 'Update',
    apiVersion: 'mlops.seldon.io/v1alpha1',
    time: now,
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:status': { '.': {}, 'f:conditions': {} } },
    subresource: 'status',
  });
  return now;
}

/** Strict decoding of the Experiment CRD (operator/apis/mlops/v1alpha1/experiment_types.go). */
function experimentProblem(m) {
  const known = (obj, keys, at) => {
    for (const k of Object.keys(obj ?? {})) if (!keys.includes(k)) return `unknown field "${at}${k}"`;
    return undefined;
  };
  const top = known(m, ['apiVersion', 'kind', 'metadata', 'spec'], '');
  if (top) return top;
  const spec = m.spec ?? {};
  const s = known(spec, ['default', 'candidates', 'mirror', 'resourceType'], 'spec.');
  if (s) return s;
  for (const [i, c] of (spec.candidates ?? []).entries()) {
    const p = known(c, ['name', 'weight'], `spec.candidates[${i}].`);
    if (p) return p;
    if (!Number.isInteger(c.weight) || c.weight < 0)
      return `json: cannot unmarshal number ${c.weight} into Go struct field ExperimentCandidate.spec.candidates.weight of type uint32`;
  }
  if (spec.mirror) {
    const p = known(spec.mirror, ['name', 'percent'], 'spec.mirror.');
    if (p) return p;
    if (!Number.isInteger(spec.mirror.percent) || spec.mirror.percent < 0)
      return `json: cannot unmarshal number ${spec.mirror.percent} into Go struct field ExperimentMirror.spec.mirror.percent of type uint32`;
  }
  return undefined;
}

// ── simulated controllers ───────────────────────────────────────────────────────────────

/** The generation the controller last acted on (a seeded object with conditions: its own). */
const reportedGeneration = (object) =>
  object._sim?.reconciled ?? (object.status?.conditions?.length ? object.metadata.generation : undefined);

function pending(object) {
  object._sim ??= {};
  const sim = object._sim;
  if ((sim.pendingGets ?? 0) > 0) {
    sim.pendingGets -= 1;
    return true;
  }
  return false;
}

function condition(type, ok, reason, message) {
  return {
    type,
    status: ok === undefined ? 'Unknown' : ok ? 'True' : 'False',
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
    lastTransitionTime: '2026-01-01T00:00:00Z',
  };
}

/**
 * KServe Serverless: a new revision for a changed predictor, traffic split by canaryTrafficPercent
 * (kservePass). A new revision is Ready at once, or after `_sim.startGets` reads (revisionStarts):
 * meanwhile the `latest` target routes to the latest Ready revision before it. Until KServe
 * reconciles a new generation (after `settleGets` reads) the status is the previous one's, Ready
 * included. A pass that moves the rolled-out revision back is followed
 * by another, as KServe's controller reconciles again on that status change: after `settleGets`
 * more reads showing the traffic still on the latest revision.
 *
 * status.observedGeneration is the Knative Service's, not the InferenceService's: PropagateStatus
 * (pkg/apis/serving/v1beta1/inference_service_status.go) ends with
 * `ss.ObservedGeneration = serviceStatus.ObservedGeneration` (kserve/kserve#6081). The Knative
 * Service's generation moves when KServe changes its template or traffic (ksvc_reconciler.go), so
 * it moves twice for a rollback that takes a second pass, and not at all for a change that leaves
 * the Knative Service as it was.
 */
function reconcileIsvc(isvc) {
  isvc.status ??= {};
  isvc._sim ??= {};
  const status = isvc.status;
  // A seeded InferenceService's Knative Service is at its observedGeneration.
  isvc._sim.ksvcGeneration ??= status.observedGeneration ?? 0;
  isvc._sim.ksvc ??= ksvcSpecOf(isvc);
  const started = revisionStarts(isvc);
  if (reportedGeneration(isvc) === isvc.metadata.generation) {
    if (started) {
      passAndFollow(isvc);
      status.conditions = [condition('PredictorReady', true), condition('Ready', true)];
    } else if (isvc._sim.repass && !pending(isvc)) passAndFollow(isvc);
    return;
  }
  if (pending(isvc)) return;
  isvc._sim.reconciled = isvc.metadata.generation;
  const predictor = isvc.spec.predictor ?? {};
  status.components ??= {};
  status.components.predictor ??= {};
  const component = status.components.predictor;
  const raw = rawMode(isvc) !== undefined;
  const implementation = implementationsOf(predictor)[0] ?? 'model';
  const template = JSON.stringify({
    [implementation]: predictor[implementation],
    annotations: predictor.annotations ?? {},
  });
  const storageUri = storageUriOf(predictor) ?? '';
  const revisions = store(REV);
  const latest = component.latestCreatedRevision
    ? revisions[`${isvc.metadata.namespace}/${component.latestCreatedRevision}`]
    : undefined;
  if (!latest || latest._template !== template) {
    const n = (isvc._sim.revisions ?? 0) + 1;
    isvc._sim.revisions = n;
    const name = `${isvc.metadata.name}-predictor-${String(n).padStart(5, '0')}`;
    const failed = takeFault(state, CLI, 'revision', ['partial']);
    const starting = !failed && (isvc._sim.startGets ?? 0) > 0;
    if (starting) isvc._sim.starting = isvc._sim.startGets;
    revisions[`${isvc.metadata.namespace}/${name}`] = {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Revision',
      metadata: {
        name,
        namespace: isvc.metadata.namespace,
        labels: { 'serving.kserve.io/inferenceservice': isvc.metadata.name, component: 'predictor' },
        annotations: {
          ...(predictor.annotations ?? {}),
          'internal.serving.kserve.io/storage-initializer-sourceuri': storageUri,
        },
      },
      spec: {
        containers: [
          {
            name: 'kserve-container',
            env: [{ name: 'STORAGE_URI', value: storageUri }],
          },
        ],
      },
      status: {
        conditions: [
          condition(
            'Ready',
            starting ? undefined : !failed,
            failed ? 'ProgressDeadlineExceeded' : starting ? 'Deploying' : undefined,
            failed ? 'Container failed with: model not found at the storage URI' : undefined,
          ),
        ],
      },
      _template: template,
    };
    component.latestCreatedRevision = name;
    if (!failed && !starting) component.latestReadyRevision = name;
  }
  const created = component.latestCreatedRevision;
  const ready = component.latestReadyRevision === created;
  if (!ready && isvc._sim.starting) {
    // Knative routes the `latest` target to the latest Ready revision meanwhile (kservePass).
    const waiting = `Configuration "${isvc.metadata.name}-predictor" is waiting for a Revision to become ready.`;
    passAndFollow(isvc);
    status.conditions = [
      condition('PredictorReady', undefined, 'RevisionMissing', waiting),
      condition('Ready', undefined, 'RevisionMissing', waiting),
    ];
    return;
  }
  if (!ready) {
    status.conditions = [
      condition(
        'PredictorReady',
        false,
        'RevisionFailed',
        `Revision "${created}" failed with message: Container failed with: model not found at the storage URI.`,
      ),
      condition(
        'Ready',
        false,
        'RevisionFailed',
        `Revision "${created}" failed with message: Container failed with: model not found at the storage URI.`,
      ),
    ];
    observeKsvc(isvc);
    isvc._sim.repass = false;
    return;
  }
  passAndFollow(isvc);
  if (raw) status.deploymentMode = rawMode(isvc);
  status.conditions = [condition('PredictorReady', true), condition('Ready', true)];
}

/**
 * A revision that starts (pulls its model) for `_sim.startGets` reads after KServe created it
 * (default 0: Ready at once). Returns true on the read it gets Ready on.
 */
function revisionStarts(isvc) {
  if (!isvc._sim.starting) return false;
  isvc._sim.starting -= 1;
  if (isvc._sim.starting > 0) return false;
  const component = isvc.status.components.predictor;
  const revision = store(REV)[`${isvc.metadata.namespace}/${component.latestCreatedRevision}`];
  if (revision) revision.status = { conditions: [condition('Ready', true)] };
  component.latestReadyRevision = component.latestCreatedRevision;
  return true;
}

function passAndFollow(isvc) {
  isvc._sim.repass = kservePass(isvc);
  observeKsvc(isvc);
  if (isvc._sim.repass) isvc._sim.pendingGets = state.settleGets ?? 0;
}

/** The Knative Service's spec as KServe writes it: the latest revision's template and the traffic targets. */
function ksvcSpecOf(isvc) {
  const component = isvc.status.components?.predictor ?? {};
  const latest = store(REV)[`${isvc.metadata.namespace}/${component.latestCreatedRevision}`];
  const traffic = (component.traffic ?? []).map((t) =>
    t.latestRevision
      ? { latestRevision: true, percent: t.percent }
      : { revisionName: t.revisionName, percent: t.percent },
  );
  return JSON.stringify({ template: latest?._template, traffic });
}

/** Knative observes its Service's new generation, if KServe changed it, and KServe copies that number. */
function observeKsvc(isvc) {
  const spec = ksvcSpecOf(isvc);
  if (spec !== isvc._sim.ksvc) {
    isvc._sim.ksvc = spec;
    isvc._sim.ksvcGeneration += 1;
  }
  isvc.status.observedGeneration = isvc._sim.ksvcGeneration;
}

/**
 * One pass of KServe's controller: the Knative traffic it asks for from the status it starts
 * with (ksvc_reconciler.go createKnativeService: the `latest` target, which Knative routes to the
 * latest Ready revision, at canaryTrafficPercent, and a `prev` target on latestRolledoutRevision
 * only below 100), then what it records from that traffic (inference_service_status.go PropagateStatus: the latest
 * ready revision routed at 100% becomes latestRolledoutRevision, the one before
 * previousRolledoutRevision; routed below 100% once rolled out, with all its traffic on itself,
 * latestRolledoutRevision goes back to previousRolledoutRevision). Returns whether that moved it
 * back, so that another pass splits against it.
 */
function kservePass(isvc) {
  const component = isvc.status.components.predictor;
  const canary = isvc.spec.predictor?.canaryTrafficPercent;
  const raw = rawMode(isvc) !== undefined;
  // The revision Knative routes the `latest` target to: the latest Ready one (the latest created
  // once it is Ready; while that starts, the one before, which may be a candidate's).
  const routed = component.latestReadyRevision ?? component.latestCreatedRevision;
  const rolled = component.latestRolledoutRevision;
  const split = !raw && canary !== undefined && canary !== null && Boolean(rolled);
  const percent = split ? canary : 100;
  component.traffic = [
    { tag: 'latest', revisionName: routed, percent, latestRevision: true },
    ...(percent < 100
      ? [{ tag: 'prev', revisionName: rolled, percent: 100 - percent, latestRevision: false }]
      : []),
  ];
  const onLatest = component.traffic
    .filter((t) => t.revisionName === routed)
    .reduce((sum, t) => sum + t.percent, 0);
  if (rolled !== routed) {
    if (percent === 100) {
      if (rolled) component.previousRolledoutRevision = rolled;
      component.latestRolledoutRevision = routed;
    }
    return false;
  }
  if (percent < 100 && onLatest === 100 && component.previousRolledoutRevision) {
    component.latestRolledoutRevision = component.previousRolledoutRevision;
    return true;
  }
  return false;
}

/**
 * Seldon Core v2, as its operator and scheduler report an Experiment (SeldonIO/seldon-core):
 * until the scheduler's events for a changed spec come (after `settleGets` reads), the status is
 * the previous generation's, Ready included, and never has observedGeneration. Then two events for
 * the new generation: StartExperiment stores it inactive (scheduler/pkg/store/experiment,
 * CreateExperimentFromRequest: Active false, no description), and once routed SetStatus marks it
 * "experiment active". operator/scheduler/experiment.go turns each into conditions with the text
 * in `reason` (CreateAndSetCondition): ExperimentReady, CandidatesReady ("Candidates ready" / "not
 * ready": every candidate Model available), MirrorReady; Ready follows them (knative's
 * LivingConditionSet). A condition keeps its lastTransitionTime unless it changes.
 * A spec the scheduler refuses (schedulerRefusal) is never stored: no events come, and the
 * operator puts StartExperiment's gRPC error in ExperimentReady's reason (updateStatusFromError),
 * which sets Ready False with it; the Experiment's previous spec, if any, keeps routing.
 */
function reconcileExperiment(exp) {
  exp.status ??= {};
  exp._sim ??= {};
  const generation = exp.metadata.generation ?? 0;
  if (reportedGeneration(exp) === generation || pending(exp)) return;
  const refused = schedulerRefusal(exp);
  if (refused) {
    const now = operatorStatusUpdate(exp);
    seldonConditions(exp.status, now).set(
      'ExperimentReady',
      false,
      `rpc error: code = FailedPrecondition desc = ${refused}`,
    );
    exp._sim.reconciled = generation;
    return;
  }
  // resourceType `pipeline`: the candidates and mirror are Pipelines (seeded like Models), else Models.
  const servers = store(exp.spec.resourceType === 'pipeline' ? PIPELINE : MODEL);
  const available = (name) => isAvailable(servers[`${exp.metadata.namespace}/${name}`]);
  const candidatesReady = (exp.spec.candidates ?? []).every((c) => available(c.name));
  const mirrorReady = !exp.spec.mirror || available(exp.spec.mirror.name);
  for (const [active, description] of [
    [false, ''],
    [true, 'experiment active'],
  ]) {
    const now = operatorStatusUpdate(exp);
    const conditions = seldonConditions(exp.status, now);
    conditions.set('ExperimentReady', active, description);
    conditions.set(
      'CandidatesReady',
      candidatesReady,
      candidatesReady ? 'Candidates ready' : 'Candidates not ready',
    );
    conditions.set('MirrorReady', mirrorReady, mirrorReady ? 'Mirror ready' : 'Mirror not ready');
  }
  exp._sim.reconciled = generation;
}

/**
 * Why the Seldon scheduler refuses an Experiment's spec, in its words, or undefined: the checks of
 * scheduler/pkg/store/experiment/validate.go (validate), in its order, with errors.go's texts
 * (validateNoExistingDefault, across Experiments, is not simulated).
 */
function schedulerRefusal(exp) {
  const name = exp.metadata.name;
  const candidates = (exp.spec.candidates ?? []).map((c) => c.name);
  const { default: byDefault, mirror } = exp.spec;
  // validateDefaultModelIsCandidate
  if (byDefault !== undefined && !candidates.includes(byDefault))
    return `default model/pipeline ${byDefault} not found in experiment ${name} candidates`;
  // validateHasCandidateOrMirror
  if (candidates.length === 0 && !mirror) return `experiment ${name} has no candidates or mirror`;
  // validateNoDuplicateNames: the mirror counts among the candidates.
  const names = [...candidates, ...(mirror ? [mirror.name] : [])];
  const duplicated = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicated !== undefined)
    return `each candidate and mirror must be unique but found resource ${duplicated} duplicated in experiment ${name}`;
  return undefined;
}

/** Whether a Seldon Model or Pipeline is available: its Ready condition True, as the operator sets it. */
const isAvailable = (server) =>
  (server?.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** The simulated cluster's clock: one second later at each call (RFC 3339, as Kubernetes writes it). */
function nextSecond() {
  state.clockSeconds = (state.clockSeconds ?? 0) + 1;
  return new Date(Date.UTC(2026, 0, 1) + state.clockSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * An Experiment's conditions as knative.dev/pkg apis/condition_set.go keeps them (Ready the happy
 * condition of ExperimentReady, CandidatesReady, MirrorReady): MarkFalse sets Ready False with the
 * same reason, MarkTrueWithReason sets Ready from the dependents; SetCondition keeps a condition's
 * lastTransitionTime when nothing else changes, and sorts them by type.
 */
function seldonConditions(status, now) {
  const DEPENDENTS = ['ExperimentReady', 'CandidatesReady', 'MirrorReady'];
  const get = (type) => (status.conditions ?? []).find((c) => c.type === type);
  const put = (type, value, reason) => {
    const old = get(type);
    if (old && old.status === value && (old.reason ?? '') === (reason ?? '') && !old.message) return;
    const next = { type, status: value, ...(reason ? { reason } : {}), lastTransitionTime: now };
    status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== type), next].sort((a, b) =>
      a.type < b.type ? -1 : 1,
    );
  };
  const markHappy = () => {
    const set = DEPENDENTS.map(get);
    const unhappy =
      set
        .filter((c) => c?.status === 'False')
        .sort((a, b) => (a.lastTransitionTime < b.lastTransitionTime ? 1 : -1))[0] ??
      set.find((c) => !c || c.status === 'Unknown');
    if (unhappy) put('Ready', unhappy.status ?? 'Unknown', unhappy.reason);
    else put('Ready', 'True');
  };
  return {
    set(type, ok, reason) {
      if (ok) {
        put(type, 'True', reason);
        markHappy();
      } else {
        put(type, 'False', reason);
        put('Ready', 'False', reason);
      }
    },
  };
}

/**
 * The raw mode an InferenceService's annotation asks for, as KServe reports it in
 * status.deploymentMode: Standard (its current name) or RawDeployment (the legacy one), where
 * KServe makes no Knative revisions and ignores canaryTrafficPercent; undefined for Knative.
 */
function rawMode(isvc) {
  const mode = isvc.metadata.annotations?.['serving.kserve.io/deploymentMode'];
  return mode === 'RawDeployment' || mode === 'Standard' ? mode : undefined;
}

// Last: the module's constants (reportedGeneration, FRAMEWORKS...) are set only once it has run this far.
runAsProgram(CLI, answer);
