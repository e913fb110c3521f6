// A stand-in for `gcloud ai endpoints` (Vertex AI), the calls model-gate makes, with gcloud's
// argument errors (exit 2, as printed by gcloud 528 for these commands) and API errors (exit 1):
//   gcloud ai endpoints describe ENDPOINT --region=R [--project=P] [--format=json] [--quiet]
//   gcloud ai endpoints update ENDPOINT --region=R [--project=P] --traffic-split=ID=PCT,... [--format=json] [--quiet]
//   gcloud ai endpoints undeploy-model ENDPOINT --region=R [--project=P] --deployed-model-id=ID
//       [--traffic-split=ID=PCT,...] [--format=json] [--quiet]
// References: https://cloud.google.com/sdk/gcloud/reference/ai/endpoints/update ,
// https://cloud.google.com/sdk/gcloud/reference/ai/endpoints/describe ,
// https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.endpoints (trafficSplit),
// https://cloud.google.com/sdk/gcloud/reference/ai/endpoints/undeploy-model and
// https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.endpoints/undeployModel
// (removes the DeployedModel; "successfully undeployed only if it doesn't have any traffic
// assigned to it when this method executes, or if [--traffic-split] unassigns any traffic to it";
// gcloud waits for the operation, as here, where it is done at once; the wording of the refusal
// and of gcloud's closing line are modelled, not captured).
//
// With no --project (nor a full resource name), the project is gcloud's property core/project,
// state.gcloudProject here; unset, gcloud refuses the call (exit 1) as modelled below. Two deployed
// models may share a display name, as Vertex AI allows: seed them as they are.
//
// Faults (state.faults, cli "gcloud"): throttle (RESOURCE_EXHAUSTED), busy (FAILED_PRECONDITION:
// an operation in progress; wording modelled), timeout, silent-revert (update prints the new split, the old one
// stays), partial (the split is applied, the command still fails), fail (the API's error after
// `ERROR: (gcloud.ai.endpoints.COMMAND) `: the fault's `code` and `message` as `CODE: message`,
// e.g. `PERMISSION_DENIED: Permission 'aiplatform.endpoints.get' denied on resource ...`, or the
// message alone).
import {
  answerCall,
  fail,
  hang,
  loadState,
  parseFlags,
  runAsProgram,
  succeed,
  takeFault,
  warn,
} from './lib.mjs';

const CLI = 'gcloud';
const COMMON = {
  '--region': { takes: true, name: 'region' },
  '--project': { takes: true, name: 'project' },
  '--format': { takes: true, name: 'format' },
  '--quiet': { takes: false, name: 'quiet' },
  '-q': { takes: false, name: 'quiet' },
  '--verbosity': { takes: true, name: 'verbosity' },
};
const TRAFFIC_SPLIT = { '--traffic-split': { takes: true, name: 'trafficSplit' } };
const COMMANDS = {
  describe: COMMON,
  'undeploy-model': {
    ...COMMON,
    ...TRAFFIC_SPLIT,
    '--deployed-model-id': { takes: true, name: 'deployedModelId' },
  },
  update: {
    ...COMMON,
    '--traffic-split': { takes: true, name: 'trafficSplit' },
    '--clear-traffic-split': { takes: false, name: 'clearTrafficSplit' },
    '--display-name': { takes: true, name: 'displayName' },
    '--description': { takes: true, name: 'description' },
  },
};
const USAGE = {
  describe:
    'Usage: gcloud ai endpoints describe (ENDPOINT : --region=REGION) [optional flags]\n  optional flags may be  --help | --region',
  'undeploy-model':
    'Usage: gcloud ai endpoints undeploy-model (ENDPOINT : --region=REGION) --deployed-model-id=DEPLOYED_MODEL_ID [optional flags]\n  optional flags may be  --help | --region | --traffic-split',
  update:
    'Usage: gcloud ai endpoints update (ENDPOINT : --region=REGION) [optional flags]\n  optional flags may be  --clear-labels | --clear-traffic-split |\n                         --description | --disable-request-response-logging |\n                         --display-name | --help | --region | --remove-labels |\n                         --request-response-logging-rate |\n                         --request-response-logging-table | --traffic-split |\n                         --update-labels',
};

// One call's request, set by answer (the functions below read them).
let state;
let command;
let where;
let flags;
let split;
let resource;

const usage = (message) =>
  fail(
    state,
    `ERROR: (${where}) ${message}\n${USAGE[command]}\n\nFor detailed information on this command and its flags, run:\n  gcloud ai endpoints ${command} --help`,
    2,
  );
const apiError = (message) => fail(state, `ERROR: (${where}) ${message}`, 1);

function answer(argv) {
  state = loadState();
  state.calls.push({ cli: CLI, argv });
  state.vertex ??= {};

  const [group, sub, named, ...rest] = argv;
  command = named;
  if (group !== 'ai' || sub !== 'endpoints')
    fail(state, 'stand-in: only `gcloud ai endpoints` is implemented', 3);
  const spec = COMMANDS[command];
  if (!spec)
    fail(
      state,
      `ERROR: (gcloud.ai.endpoints) Invalid choice: '${command ?? ''}'.\nMaybe you meant:\n  gcloud ai endpoints describe\n  gcloud ai endpoints undeploy-model\n  gcloud ai endpoints update`,
      2,
    );
  where = `gcloud.ai.endpoints.${command}`;
  const parsed = parseFlags(rest, spec);
  if (parsed.unknown) {
    const hint =
      command === 'update' && parsed.unknown.startsWith('--traffic')
        ? " (did you mean '--traffic-split'?)"
        : '';
    fail(
      state,
      `ERROR: (${where}) unrecognized arguments: ${parsed.arg}${hint} \n\nTo search the help text of gcloud commands, run:\n  gcloud help -- SEARCH_TERMS`,
      2,
    );
  }
  if (parsed.missing) usage(`argument ${parsed.missing}: expected one argument`);
  const { positionals } = parsed;
  flags = parsed.flags;
  if (positionals.length === 0) usage('argument --region: ENDPOINT must be specified.');
  if (command === 'undeploy-model' && flags.deployedModelId === undefined)
    usage('argument --deployed-model-id: Must be specified.');
  if (positionals.length > 1) {
    fail(
      state,
      `ERROR: (${where}) unrecognized arguments: ${positionals.slice(1).join(' ')} \n\nTo search the help text of gcloud commands, run:\n  gcloud help -- SEARCH_TERMS`,
      2,
    );
  }
  if (flags.clearTrafficSplit && flags.trafficSplit !== undefined) {
    usage(
      'argument --clear-traffic-split: At most one of --clear-traffic-split | --traffic-split can be specified.',
    );
  }
  split = undefined;
  if (flags.trafficSplit !== undefined) {
    split = {};
    for (const pair of flags.trafficSplit.split(',')) {
      const m = /^([^=]+)=(.*)$/.exec(pair);
      if (!m)
        usage(
          `argument --traffic-split: Bad syntax for dict arg: [${pair}]. Please see \`gcloud topic flags-file\` or \`gcloud topic escaping\` for information on providing list or dictionary flag values with special characters.`,
        );
      if (!/^\d+$/.test(m[2])) usage(`argument --traffic-split: Value must be an integer: [${m[2]}]`);
      split[m[1]] = Number(m[2]);
    }
  }
  const full = /^projects\/([^/]+)\/locations\/([^/]+)\/endpoints\/(\d+)$/.exec(positionals[0]);
  const region = full?.[2] ?? flags.region;
  // state.gcloudProject: the property core/project (`gcloud config set project`, CLOUDSDK_CORE_PROJECT).
  const project = full?.[1] ?? flags.project ?? state.gcloudProject;
  const id = full?.[3] ?? positionals[0];
  if (!region) usage('argument --region: Region must be specified (or set the property ai/region).');
  if (!project) {
    apiError(
      'The required property [project] is not currently set.\nIt can be set on a per-command basis by re-running your command with the [--project] flag.\n\nYou may set it for your current workspace by running:\n\n  $ gcloud config set project VALUE\n\nor it can be set temporarily by the environment variable [CLOUDSDK_CORE_PROJECT]',
    );
  }
  if ((flags.format ?? 'json') !== 'json') fail(state, 'stand-in: only --format=json is implemented', 3);
  warn(`Using endpoint [https://${region}-aiplatform.googleapis.com/]`);

  resource = `projects/${project}/locations/${region}/endpoints/${id}`;
  const fault = takeFault(state, CLI, command, ['throttle', 'timeout', 'fail', 'busy']);
  if (fault?.kind === 'timeout') hang(state);
  else if (fault?.kind === 'throttle') {
    apiError(
      `RESOURCE_EXHAUSTED: Quota exceeded for quota metric 'Resource management (CRUD) requests' and limit 'Resource management (CRUD) requests per minute per region' of service 'aiplatform.googleapis.com' for consumer 'project_number:123456789012'.`,
    );
  } else if (fault?.kind === 'busy') {
    apiError(
      `FAILED_PRECONDITION: The Endpoint ${resource} has an ongoing operation; wait for it to finish and try again.`,
    );
  } else if (fault?.kind === 'fail') {
    apiError(
      fault.code
        ? `${fault.code}: ${fault.message}`
        : (fault.message ?? 'INTERNAL: Internal error encountered.'),
    );
  } else run();
}

/** Answers one `gcloud` call (argv after the program name): { code, stdout, stderr, hang }. */
export const runGcloud = (argv, env, input) => answerCall(answer, argv, env, input);
runAsProgram(CLI, answer);

function run() {
  const endpoint = state.vertex[resource];
  if (!endpoint) apiError(`NOT_FOUND: Endpoint \`${resource}\` not found.`);
  if (command === 'describe') succeed(state, JSON.stringify(endpoint, null, 2));
  if (command === 'undeploy-model') undeploy(endpoint);
  if (flags.displayName !== undefined) endpoint.displayName = flags.displayName;
  if (flags.clearTrafficSplit) endpoint.trafficSplit = {};
  if (split) {
    const ids = endpoint.deployedModels.map((m) => m.id);
    const unknown = Object.keys(split).find((k) => !ids.includes(k));
    if (unknown) apiError(`INVALID_ARGUMENT: Deployed model ${unknown} not found in Endpoint ${resource}.`);
    const sum = Object.values(split).reduce((a, b) => a + b, 0);
    if (sum !== 100)
      apiError(
        `INVALID_ARGUMENT: The sum of the traffic split of Endpoint ${resource} must be 100, got ${sum}.`,
      );
    const revert = takeFault(state, CLI, 'update', ['silent-revert']);
    const partial = takeFault(state, CLI, 'update', ['partial']);
    const next = revert ? endpoint.trafficSplit : split;
    if (revert) succeed(state, JSON.stringify({ ...endpoint, trafficSplit: split }, null, 2));
    endpoint.trafficSplit = Object.fromEntries(Object.entries(next).filter(([, v]) => v > 0));
    endpoint.updateTime = '2026-01-01T00:00:00Z';
    // The change landed but the answer was lost on the way back.
    if (partial) apiError('UNAVAILABLE: The service is currently unavailable.');
  }
  succeed(state, JSON.stringify(endpoint, null, 2));
}

/** Undeploys --deployed-model-id, with --traffic-split as the endpoint's new split when given. */
function undeploy(endpoint) {
  const id = flags.deployedModelId;
  if (!endpoint.deployedModels.some((m) => m.id === id))
    apiError(`NOT_FOUND: Deployed model ${id} not found in Endpoint ${resource}.`);
  const next = split ?? endpoint.trafficSplit ?? {};
  if ((next[id] ?? 0) > 0) {
    apiError(
      `FAILED_PRECONDITION: Deployed model ${id} of Endpoint ${resource} has traffic assigned; set its traffic to 0 (or pass --traffic-split without it) to undeploy it.`,
    );
  }
  endpoint.deployedModels = endpoint.deployedModels.filter((m) => m.id !== id);
  endpoint.trafficSplit = Object.fromEntries(Object.entries(next).filter(([k, v]) => k !== id && v > 0));
  warn(`Waiting for operation [${resource}/operations/1234567890]...done.`);
  warn(`Undeployed a model from the endpoint [${resource}].`);
  succeed(state, '');
}
