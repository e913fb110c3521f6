// A stand-in for the Azure CLI ml extension (v2), the calls model-gate makes:
//   az ml online-endpoint show   --name E --resource-group G --workspace-name W [--subscription S] [--output json]
//   az ml online-endpoint update --name E --resource-group G --workspace-name W --traffic "blue=90 green=10"
//                                [--mirror-traffic "green=10"] [--subscription S] [--output json]
//   az ml online-deployment show   --name D --endpoint-name E --resource-group G --workspace-name W [...]
//   az ml online-deployment delete --name D --endpoint-name E --resource-group G --workspace-name W
//                                  --yes [--no-wait] [...]
// References: https://learn.microsoft.com/en-us/cli/azure/ml/online-endpoint ,
// https://learn.microsoft.com/en-us/azure/machine-learning/how-to-safely-rollout-online-endpoints ,
// https://learn.microsoft.com/en-us/javascript/api/@azure/arm-machinelearning/onlineendpointproperties
// (traffic sums to 100, mirror traffic to at most 50). Exit codes: 2 for argument errors,
// 3 for a missing resource, 1 for other errors, as the Azure CLI does.
//
// Mirroring (how-to-safely-rollout-online-endpoints): `--mirror-traffic "green=10"` sets the
// endpoint's mirror_traffic (replacing it), `--mirror-traffic "green=0"` is the documented way
// to stop it (kept as 0, as an endpoint may report it); at most 50%, never to a deployment with
// live traffic nor to one the endpoint does not have. It names one deployment: "You can only
// mirror traffic to one deployment" (same page), "a dictionary with a single key-value pair"
// (reference-yaml-endpoint-online); a value with two is refused (BadRequest; wording modelled).
// An empty value is not documented and is refused.
//
// Names: Azure lowercases a deployment's name (Azure/azure-sdk-for-python#28715: created
// lowercase, and the names in --traffic / --mirror-traffic lowercased), and ARM names are
// case-insensitive, so every deployment name taken here is lowercased; seed them lowercase.
//
// Provisioning states (EndpointProvisioningState: Creating, Updating, Deleting, Succeeded,
// Failed, Canceled): seed `provisioning_state` with any. `show` reports it as seeded (Updating
// counts down, below). An update is refused as busy while Updating or Creating; the wording is
// modelled on the service's "Cannot create a deployment in endpoint E because it is in Updating
// provisioning state" (Azure/azure-sdk-for-net#36961), not captured for an endpoint update. An
// update of a Failed or Canceled endpoint is taken and leaves it Succeeded: modelled, not
// observed.
//
// Deployments (https://learn.microsoft.com/en-us/cli/azure/ml/online-deployment; the safe-rollout
// page's last step deletes the unused blue deployment with `--yes --no-wait`): the endpoint's
// `_deployments` (else its traffic's keys) are the deployments it has. `show` of one it does not
// have is ResourceNotFound (exit 3, as for an endpoint; ARM's wording for any resource: `The
// Resource '…' under resource group 'G' was not found. For more details …`; a resource group that
// is not there is ResourceGroupNotFound). `delete` without --yes cannot prompt without a terminal
// and fails, as the CLI does. A deployment with live or mirrored traffic is not
// deleted (scripts and Microsoft's examples set its traffic to 0 first; the refusal's wording is
// modelled, not captured). A deleted deployment leaves the endpoint's traffic and mirror; with
// --no-wait the call returns at once and `show` reports it `Deleting` for `state.azDeletingShows`
// (default 1) more calls, then not found. A deployment's own provisioning_state
// (DeploymentProvisioningState: Creating, Deleting, Scaling, Updating, Succeeded, Failed,
// Canceled, https://learn.microsoft.com/en-us/javascript/api/@azure/arm-machinelearning/knowndeploymentprovisioningstate)
// is Succeeded unless seeded in the endpoint's `_deploymentStates` (`{ "fraud-v2": "Failed" }`);
// a Failed one stays listed in the endpoint's traffic. What Azure does with traffic sent to a
// Failed deployment is not captured: an update naming one is taken, as for any other.
//
// Faults (state.faults, cli "az"; a deployment call's op is `online-deployment show|delete`): throttle, busy (update refused: the endpoint is Updating),
// timeout, silent-revert (update reports success, traffic stays), drop-mirror (update reports
// success, the live traffic is applied but the mirror is lost, as the docs warn an older CLI
// does), partial (traffic applied, the command still fails, with a passing InternalServerError or
// the fault's `code` and `message` as for fail; with `leaves: "Failed"` (or "Canceled") the
// endpoint is left in that provisioning state, as an update whose last part failed leaves it:
// modelled, not captured), fail (`ERROR: ` and the fault's
// `message`; with a `code`, the service error as az prints azure-core's HttpResponseError:
// `(Code) message`, then `Code: ...` and `Message: ...` lines), lagging-show (update applied and
// reported, but the fault's `shows` next `online-endpoint show` calls (default 1; -1: until the
// next update) still report the traffic and mirror from before it: Azure's reads may lag an update
// that finished, for which Microsoft's azd reads again, Azure/azure-dev#3881). An endpoint seeded with
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
const DEPLOYMENT_COMMON = {
  ...COMMON,
  '--endpoint-name': { takes: true, name: 'endpoint' },
  '-e': { takes: true, name: 'endpoint' },
};
const DEPLOYMENT_COMMANDS = {
  show: DEPLOYMENT_COMMON,
  delete: {
    ...DEPLOYMENT_COMMON,
    '--yes': { takes: false, name: 'yes' },
    '-y': { takes: false, name: 'yes' },
    '--no-wait': { takes: false, name: 'noWait' },
  },
};

// One call's request, set by answer (the functions below read them).
let state;
let flags;
let key;
let endpointName;

const argError = (message) => fail(state, `ERROR: ${message}`, 2);

function answer(argv) {
  state = loadState();
  state.calls.push({ cli: CLI, argv });
  state.azureml ??= {};

  const [group, sub, command, ...rest] = argv;
  if (group !== 'ml') fail(state, 'stand-in: only `az ml` is implemented', 3);
  if (sub !== 'online-endpoint' && sub !== 'online-deployment')
    argError(`'${sub ?? ''}' is misspelled or not recognized by the system.`);
  const spec = (sub === 'online-endpoint' ? COMMANDS : DEPLOYMENT_COMMANDS)[command];
  if (!spec) argError(`'${command ?? ''}' is misspelled or not recognized by the system.`);
  const parsed = parseFlags(rest, spec);
  if (parsed.unknown) argError(`unrecognized arguments: ${parsed.arg}`);
  if (parsed.missing) argError(`argument ${parsed.missing}: expected one argument`);
  if (parsed.positionals.length > 0) argError(`unrecognized arguments: ${parsed.positionals.join(' ')}`);
  flags = parsed.flags;
  const required = [
    ['name', '--name/-n'],
    ...(sub === 'online-deployment' ? [['endpoint', '--endpoint-name/-e']] : []),
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

  endpointName = sub === 'online-endpoint' ? flags.name : flags.endpoint;
  key = `${flags.subscription ?? 'default'}/${flags.group}/${flags.workspace}/${endpointName}`;
  const op = sub === 'online-endpoint' ? command : `${sub} ${command}`;
  const fault = takeFault(state, CLI, op, ['throttle', 'timeout', 'fail']);
  if (fault?.kind === 'timeout') hang(state);
  else if (fault?.kind === 'throttle') {
    fail(
      state,
      'ERROR: (TooManyRequests) The request was throttled: too many requests for the workspace. Retry after 10 seconds.\nCode: TooManyRequests',
      1,
    );
  } else if (fault?.kind === 'fail') fail(state, `ERROR: ${serviceError(fault)}`, 1);
  else if (sub === 'online-deployment' && command === 'show') showDeployment();
  else if (sub === 'online-deployment') deleteDeployment();
  else if (command === 'show') show();
  else update();
}

/** A fail fault's text after `ERROR: `: its message as given, or a service error of its code. */
function serviceError({ code, message }) {
  if (!code) return message ?? '(InternalServerError) An internal error occurred.';
  return `(${code}) ${message}\nCode: ${code}\nMessage: ${message}`;
}

/** Answers one `az` call (argv after the program name): { code, stdout, stderr, hang }. */
export const runAz = (argv, env, input) => answerCall(answer, argv, env, input);
runAsProgram(CLI, answer);

/**
 * ARM's not-found answer, as az prints it (exit 3): the resource group when none of the workspaces
 * there is in it, else the first of workspace, endpoint (and deployment) that is not there. The
 * workspaces there are those of the endpoints and `state.azureWorkspaces` (keys `sub/group/ws`,
 * sub `default` without --subscription: one whose endpoint a test removed).
 */
function notFound(resource) {
  const scope = `${flags.subscription ?? 'default'}/${flags.group}/`;
  const workspaces = [
    ...Object.keys(state.azureml).map((k) => k.slice(0, k.lastIndexOf('/'))),
    ...(state.azureWorkspaces ?? []),
  ];
  if (!workspaces.some((w) => w.startsWith(scope))) {
    const message = `Resource group '${flags.group}' could not be found.`;
    fail(
      state,
      `ERROR: (ResourceGroupNotFound) ${message}\nCode: ResourceGroupNotFound\nMessage: ${message}`,
      3,
    );
  }
  const workspace = `Microsoft.MachineLearningServices/workspaces/${flags.workspace}`;
  const missing = workspaces.includes(`${scope}${flags.workspace}`) ? resource : workspace;
  const message = `The Resource '${missing}' under resource group '${flags.group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`;
  fail(state, `ERROR: (ResourceNotFound) ${message}\nCode: ResourceNotFound\nMessage: ${message}`, 3);
}

function endpointResource() {
  return `Microsoft.MachineLearningServices/workspaces/${flags.workspace}/onlineEndpoints/${endpointName}`;
}

function endpointOrFail() {
  const endpoint = state.azureml[key];
  if (!endpoint) notFound(endpointResource());
  return endpoint;
}

function shown(endpoint) {
  const { _updatingShows, _deployments, _deleting, _deploymentStates, _lagging, ...out } = endpoint;
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
  const lag = endpoint._lagging;
  if (lag) {
    if (lag.shows > 0) lag.shows -= 1;
    if (lag.shows === 0) delete endpoint._lagging;
    succeed(state, shown({ ...endpoint, traffic: lag.traffic, mirror_traffic: lag.mirror_traffic }));
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
    out[m[1].toLowerCase()] = Number(m[2]);
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
  const mirrors = Object.keys(mirror ?? {});
  if (mirrors.length > 1) {
    fail(
      state,
      `ERROR: (BadRequest) Mirror traffic can be set for one deployment only; got ${mirrors.length}: ${mirrors.join(', ')}.\nCode: BadRequest`,
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
  const before = { traffic: endpoint.traffic, mirror_traffic: endpoint.mirror_traffic };
  // Keep every deployment listed: one dropped from the map serves 0%.
  endpoint.traffic = Object.fromEntries(deployments.map((d) => [d, nextTraffic[d] ?? 0]));
  endpoint.mirror_traffic = takeFault(state, CLI, 'update', ['drop-mirror']) ? {} : nextMirror;
  endpoint.provisioning_state = 'Succeeded';
  const lagging = takeFault(state, CLI, 'update', ['lagging-show']);
  if (lagging && lagging.shows !== 0) endpoint._lagging = { shows: lagging.shows ?? 1, ...before };
  else delete endpoint._lagging;
  const partial = takeFault(state, CLI, 'update', ['partial']);
  if (partial) {
    // An update that failed part-way may leave the endpoint so: Failed (or Canceled).
    if (partial.leaves) endpoint.provisioning_state = partial.leaves;
    fail(
      state,
      partial.code
        ? `ERROR: ${serviceError(partial)}`
        : "ERROR: (InternalServerError) Operation returned an invalid status 'Internal Server Error' after the traffic was updated.\nCode: InternalServerError",
      1,
    );
  }
  succeed(state, shown(endpoint));
}

/** The deployments the endpoint has. */
function deploymentsOf(endpoint) {
  return endpoint._deployments ?? Object.keys(endpoint.traffic ?? {});
}

/** The deployment named by --name, counting down a `Deleting` one; ResourceNotFound when there is none. */
function deploymentOrFail(endpoint) {
  const name = flags.name.toLowerCase();
  const deleting = endpoint._deleting?.[name];
  if (deleting !== undefined && deleting <= 0) removeDeployment(endpoint, name);
  else if (deleting !== undefined) endpoint._deleting[name] = deleting - 1;
  if (!deploymentsOf(endpoint).includes(name)) notFound(`${endpointResource()}/deployments/${name}`);
  return { name, deleting: deleting !== undefined && deleting > 0 };
}

function removeDeployment(endpoint, name) {
  endpoint._deployments = deploymentsOf(endpoint).filter((d) => d !== name);
  if (endpoint.traffic) delete endpoint.traffic[name];
  if (endpoint.mirror_traffic) delete endpoint.mirror_traffic[name];
  if (endpoint._deleting) delete endpoint._deleting[name];
  if (endpoint._deleting && Object.keys(endpoint._deleting).length === 0) delete endpoint._deleting;
  if (endpoint._deploymentStates) delete endpoint._deploymentStates[name];
}

function showDeployment() {
  const endpoint = endpointOrFail();
  const { name, deleting } = deploymentOrFail(endpoint);
  const shownDeployment = {
    name,
    endpoint_name: endpointName,
    type: 'Managed',
    instance_type: 'Standard_DS3_v2',
    instance_count: 1,
    provisioning_state: deleting ? 'Deleting' : (endpoint._deploymentStates?.[name] ?? 'Succeeded'),
  };
  succeed(state, JSON.stringify(shownDeployment, null, 2));
}

function deleteDeployment() {
  if (!flags.yes) {
    fail(state, 'ERROR: Unable to prompt for confirmation as no tty available. Use --yes.', 1);
  }
  const endpoint = endpointOrFail();
  const { name, deleting } = deploymentOrFail(endpoint);
  if (
    deleting ||
    endpoint.provisioning_state === 'Updating' ||
    takeFault(state, CLI, 'online-deployment delete', ['busy'])
  ) {
    fail(
      state,
      `ERROR: (Conflict) Cannot delete deployment ${name} of endpoint ${endpointName}: ${deleting ? 'it is already being deleted' : 'the endpoint is in Updating provisioning state'}.\nCode: Conflict`,
      1,
    );
  }
  const live = endpoint.traffic?.[name] ?? 0;
  const mirrored = endpoint.mirror_traffic?.[name] ?? 0;
  if (live > 0 || mirrored > 0) {
    fail(
      state,
      `ERROR: (BadRequest) Deployment ${name} has ${live > 0 ? 'live' : 'mirror'} traffic; set its traffic to 0 before deleting it.\nCode: BadRequest`,
      1,
    );
  }
  if (flags.noWait) {
    endpoint._deleting = { ...endpoint._deleting, [name]: state.azDeletingShows ?? 1 };
  } else removeDeployment(endpoint, name);
  succeed(state, '');
}
