// A stand-in for the Azure CLI ml extension (v2), the calls model-gate makes:
//   az ml online-endpoint show   --name E --resource-group G --workspace-name W [--subscription S] [--output json]
//   az ml online-endpoint update --name E --resource-group G --workspace-name W --traffic "blue=90 green=10"
//                                [--mirror-traffic "green=10"] [--subscription S] [--output json]
// References: https://learn.microsoft.com/en-us/cli/azure/ml/online-endpoint ,
// https://learn.microsoft.com/en-us/azure/machine-learning/how-to-safely-rollout-online-endpoints ,
// https://learn.microsoft.com/en-us/javascript/api/@azure/arm-machinelearning/onlineendpointproperties
// (traffic sums to 100, mirror traffic to at most 50). Exit codes: 2 for argument errors,
// 3 for a missing resource, 1 for other errors, as the Azure CLI does.
//
// Mirroring (how-to-safely-rollout-online-endpoints): `--mirror-traffic "green=10"` sets the
// endpoint's mirror_traffic (replacing it), `--mirror-traffic "green=0"` is the documented way
// to stop it (kept as 0, as an endpoint may report it); at most 50% in all, never to a
// deployment with live traffic nor to one the endpoint does not have. An empty value is not
// documented and is refused.
//
// Faults (state.faults, cli "az"): throttle, busy (update refused: the endpoint is Updating),
// timeout, silent-revert (update reports success, traffic stays), drop-mirror (update reports
// success, the live traffic is applied but the mirror is lost, as the docs warn an older CLI
// does), partial (traffic applied, the command still fails), fail. An endpoint seeded with
// `provisioning_state: "Updating"` and `_updatingShows: n` reports Updating for n more `show`
// calls.
import { answerCall, fail, hang, loadState, parseFlags, runAsProgram, succeed, takeFault } from './lib.mjs';

const CLI = 'az';
const COMMON = {
  '--name': { takes: true, name: 'name' },
  '-n': { takes: true, name: 'name' },
  '--resource-group': { takes: true, name: 'group' },
  '-g': { takes: true, name: 'group' },
  '--workspace-name': { takes: true, name: 'workspace' },
  '-w': { takes: true, name: 'workspace' },
  '--subscription': { takes: true, name: 'subscription' },
  '--output': { takes: true, name: 'output' },
  '-o': { takes: true, name: 'output' },
  '--only-show-errors': { takes: false, name: 'onlyErrors' },
  '--debug': { takes: false, name: 'debug' },
  '--verbose': { takes: false, name: 'verbose' },
  '--query': { takes: true, name: 'query' },
};
const COMMANDS = {
  show: COMMON,
  update: {
    ...COMMON,
    '--traffic': { takes: true, name: 'traffic' },
    '-t': { takes: true, name: 'traffic' },
    '--mirror-traffic': { takes: true, name: 'mirror' },
    '--no-wait': { takes: false, name: 'noWait' },
  },
};

// One call's request, set by answer (the functions below read them).
let state;
let flags;
let key;

const argError = (message) => fail(state, `ERROR: ${message}`, 2);

function answer(argv) {
  state = loadState();
  state.calls.push({ cli: CLI, argv });
  state.azureml ??= {};

  const [group, sub, command, ...rest] = argv;
  if (group !== 'ml') fail(state, 'stand-in: only `az ml` is implemented', 3);
  if (sub !== 'online-endpoint') argError(`'${sub ?? ''}' is misspelled or not recognized by the system.`);
  const spec = COMMANDS[command];
  if (!spec) argError(`'${command ?? ''}' is misspelled or not recognized by the system.`);
  const parsed = parseFlags(rest, spec);
  if (parsed.unknown) argError(`unrecognized arguments: ${parsed.arg}`);
  if (parsed.missing) argError(`argument ${parsed.missing}: expected one argument`);
  if (parsed.positionals.length > 0) argError(`unrecognized arguments: ${parsed.positionals.join(' ')}`);
  flags = parsed.flags;
  const required = [
    ['name', '--name/-n'],
    ['group', '--resource-group/-g'],
    ['workspace', '--workspace-name/-w'],
  ].filter(([k]) => flags[k] === undefined);
  if (required.length > 0)
    argError(`the following arguments are required: ${required.map(([, f]) => f).join(', ')}`);
  if (
    flags.output !== undefined &&
    !['json', 'jsonc', 'none', 'table', 'tsv', 'yaml', 'yamlc'].includes(flags.output)
  ) {
    argError(
      `argument --output/-o: invalid choice: '${flags.output}' (choose from 'json', 'jsonc', 'none', 'table', 'tsv', 'yaml', 'yamlc')`,
    );
  }
  if ((flags.output ?? 'json') !== 'json') fail(state, 'stand-in: only --output json is implemented', 3);
  if (command === 'update' && flags.traffic === undefined && flags.mirror === undefined) {
    fail(state, 'stand-in: an update without --traffic or --mirror-traffic is not implemented', 3);
  }

  key = `${flags.subscription ?? 'default'}/${flags.group}/${flags.workspace}/${flags.name}`;
  const fault = takeFault(state, CLI, command, ['throttle', 'timeout', 'fail']);
  if (fault?.kind === 'timeout') hang(state);
  else if (fault?.kind === 'throttle') {
    fail(
      state,
      'ERROR: (TooManyRequests) The request was throttled: too many requests for the workspace. Retry after 10 seconds.\nCode: TooManyRequests',
      1,
    );
  } else if (fault?.kind === 'fail')
    fail(state, `ERROR: ${fault.message ?? '(InternalServerError) An internal error occurred.'}`, 1);
  else if (command === 'show') show();
  else update();
}

/** Answers one `az` call (argv after the program name): { code, stdout, stderr, hang }. */
export const runAz = (argv, env, input) => answerCall(answer, argv, env, input);
runAsProgram(CLI, answer);

function endpointOrFail() {
  const endpoint = state.azureml[key];
  if (!endpoint) {
    fail(
      state,
      `ERROR: (ResourceNotFound) The resource 'Microsoft.MachineLearningServices/workspaces/${flags.workspace}/onlineEndpoints/${flags.name}' under resource group '${flags.group}' was not found.\nCode: ResourceNotFound`,
      3,
    );
  }
  return endpoint;
}

function shown(endpoint) {
  const { _updatingShows, _deployments, ...out } = endpoint;
  return JSON.stringify(out, null, 2);
}

function show() {
  const endpoint = endpointOrFail();
  if (endpoint.provisioning_state === 'Updating') {
    endpoint._updatingShows = (endpoint._updatingShows ?? 0) - 1;
    if (endpoint._updatingShows < 0) {
      endpoint.provisioning_state = 'Succeeded';
      delete endpoint._updatingShows;
    }
  }
  succeed(state, shown(endpoint));
}

/** `"blue=90 green=10"` -> { blue: 90, green: 10 }; an argument error when it is not that. */
function pairs(text, flag) {
  const invalid = () =>
    argError(
      `Invalid ${flag} value "${text}": expected space-separated deployment=percent pairs such as "blue=90 green=10"`,
    );
  const words = text.split(/\s+/).filter(Boolean);
  if (words.length === 0) invalid();
  const out = {};
  for (const word of words) {
    const m = /^([A-Za-z][A-Za-z0-9-]{0,31})=(\d+)$/.exec(word);
    if (!m) invalid();
    out[m[1]] = Number(m[2]);
  }
  return out;
}

function update() {
  const traffic = flags.traffic === undefined ? undefined : pairs(flags.traffic, '--traffic');
  const mirror = flags.mirror === undefined ? undefined : pairs(flags.mirror, '--mirror-traffic');
  const endpoint = endpointOrFail();
  const busy = takeFault(state, CLI, 'update', ['busy']);
  if (busy || endpoint.provisioning_state === 'Updating' || endpoint.provisioning_state === 'Creating') {
    fail(
      state,
      `ERROR: (Conflict) Cannot update endpoint ${flags.name} because it is in Updating provisioning state.\nCode: Conflict`,
      1,
    );
  }
  const deployments = endpoint._deployments ?? Object.keys(endpoint.traffic ?? {});
  const unknown = [...Object.keys(traffic ?? {}), ...Object.keys(mirror ?? {})].find(
    (d) => !deployments.includes(d),
  );
  if (unknown) {
    fail(
      state,
      `ERROR: (BadRequest) Deployment ${unknown} does not exist in endpoint ${flags.name}.\nCode: BadRequest`,
      1,
    );
  }
  const nextTraffic = traffic ?? endpoint.traffic ?? {};
  const nextMirror = mirror ?? endpoint.mirror_traffic ?? {};
  const sum = Object.values(nextTraffic).reduce((a, b) => a + b, 0);
  if (sum !== 100 && sum !== 0)
    fail(
      state,
      `ERROR: (BadRequest) Traffic values need to sum to 100; they sum to ${sum}.\nCode: BadRequest`,
      1,
    );
  const mirrored = Object.values(nextMirror).reduce((a, b) => a + b, 0);
  if (mirrored > 50)
    fail(
      state,
      `ERROR: (BadRequest) Mirror traffic values need to sum to utmost 50; they sum to ${mirrored}.\nCode: BadRequest`,
      1,
    );
  const both = Object.keys(nextMirror).find((d) => nextMirror[d] > 0 && (nextTraffic[d] ?? 0) > 0);
  if (both)
    fail(
      state,
      `ERROR: (BadRequest) Deployment ${both} cannot receive both live and mirrored traffic.\nCode: BadRequest`,
      1,
    );
  const reported = {
    ...endpoint,
    traffic: nextTraffic,
    mirror_traffic: nextMirror,
    provisioning_state: 'Succeeded',
  };
  if (takeFault(state, CLI, 'update', ['silent-revert'])) succeed(state, shown(reported));
  // Keep every deployment listed: one dropped from the map serves 0%.
  endpoint.traffic = Object.fromEntries(deployments.map((d) => [d, nextTraffic[d] ?? 0]));
  endpoint.mirror_traffic = takeFault(state, CLI, 'update', ['drop-mirror']) ? {} : nextMirror;
  endpoint.provisioning_state = 'Succeeded';
  if (takeFault(state, CLI, 'update', ['partial'])) {
    fail(
      state,
      "ERROR: (InternalServerError) Operation returned an invalid status 'Internal Server Error' after the traffic was updated.\nCode: InternalServerError",
      1,
    );
  }
  succeed(state, shown(endpoint));
}
