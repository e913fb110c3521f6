// A stand-in for AWS CLI v2 `aws sagemaker` (the calls model-gate makes), with the CLI's syntax
// checks, return codes and error texts:
//   aws sagemaker describe-endpoint --endpoint-name E [--region R] [--profile P] [--output json]
//   aws sagemaker update-endpoint-weights-and-capacities --endpoint-name E
//       --desired-weights-and-capacities '[{"VariantName":"v1","DesiredWeight":90},...]' | VariantName=v1,DesiredWeight=90 ...
//   aws sagemaker describe-endpoint-config --endpoint-config-name C
//   aws sagemaker create-endpoint-config --endpoint-config-name C --production-variants '[...]'
//       [--shadow-production-variants '[...]'] [--data-capture-config JSON] [--kms-key-id K]
//       [--async-inference-config JSON] [--explainer-config JSON] [--execution-role-arn A]
//       [--vpc-config JSON] [--metrics-config JSON] [--enable-network-isolation] [--tags ...]
//   aws sagemaker update-endpoint --endpoint-name E --endpoint-config-name C
//   aws sagemaker delete-endpoint-config --endpoint-config-name C
//   aws sagemaker list-endpoint-configs [--name-contains S] [--sort-by Name|CreationTime]
//       [--sort-order Ascending|Descending] [--creation-time-before T]
// References: https://docs.aws.amazon.com/cli/latest/reference/sagemaker/update-endpoint-weights-and-capacities.html ,
// https://docs.aws.amazon.com/cli/latest/reference/sagemaker/describe-endpoint.html ,
// https://docs.aws.amazon.com/cli/latest/reference/sagemaker/describe-endpoint-config.html ,
// https://docs.aws.amazon.com/cli/latest/reference/sagemaker/create-endpoint-config.html ,
// https://docs.aws.amazon.com/cli/latest/reference/sagemaker/update-endpoint.html ,
// https://docs.aws.amazon.com/cli/latest/reference/sagemaker/delete-endpoint-config.html ,
// https://docs.aws.amazon.com/cli/latest/reference/sagemaker/list-endpoint-configs.html and
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListEndpointConfigs.html (NameContains:
// at most 63 characters of [a-zA-Z0-9-]+, a substring anywhere in the name; SortBy Name or
// CreationTime, default CreationTime; SortOrder default Descending; CreationTimeBefore: only
// configs "created before the specified time"; the CLI pages through the results itself, per
// botocore's paginators-1.json, and prints them all as
// {"EndpointConfigs": [{EndpointConfigName, EndpointConfigArn, CreationTime}]}),
// https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-parameters-types.html (a timestamp
// parameter: ISO 8601 or Unix seconds; CLI v2 prints times in ISO 8601 by default) and botocore's
// validate.py (a timestamp it cannot read is refused before any call, exit 252),
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteEndpointConfig.html (the one
// field EndpointConfigName, at most 63 characters of the same pattern; an empty answer; a config
// "must not" be deleted while an endpoint uses it or is being updated, and if it is, the endpoint
// goes on serving but "you may lose visibility into the instance type the endpoint is using": so
// it is not refused here, the config is gone and describe-endpoint-config of it fails),
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html (one production
// and one shadow variant at most when ShadowProductionVariants is used; names of at most 63 characters
// matching ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}; 1 to 10 variants; weights are floats >= 0), the shapes
// of botocore's sagemaker/2017-07-24/service-2.json, and
// https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-returncodes.html (252 syntax, 253 config, 254 service, 255 other).
// Client-side checks are botocore's (unknown keys, types, minimums: exit 252); length, pattern
// and maximum limits are the service's ("1 validation error detected: ...", exit 254). The
// one-production-variant-beside-a-shadow and unique-variant-name refusals use the documented rule
// as their text: the service's exact wording for them is not published.
//
// Endpoint configs live in state.sagemakerConfigs["region/name"], with the CreationTime of the
// moment create-endpoint-config made them, as the CLI prints it. An update sets the endpoint
// `Updating` (update-endpoint also shows PendingDeploymentSummary); it is InService with the new
// weights or config after `state.settleGets` (default 0) more describe calls. An endpoint seeded in
// any transitional status (Creating, Updating, SystemUpdating, RollingBack) settles so too: InService
// after its `_pendingGets` (default 1) more describe calls. Instance counts are
// the endpoint's own: a DesiredInstanceCount in update-endpoint-weights-and-capacities (the call
// Application Auto Scaling makes) resizes a variant, so describe-endpoint can report counts the
// config does not have; update-endpoint deploys a new fleet sized by the new config's
// InitialInstanceCount, as UpdateEndpoint does without RetainAllVariantProperties. Faults
// (state.faults, cli "aws"): throttle, busy (update refused while Updating), timeout,
// silent-revert (weights or config quietly go back), partial (only the first variant's weight is
// updated), drop-mirror (update-endpoint: the new config is deployed without its shadow
// variant), fail (a service error: the fault's `code`, default InternalFailure, and `message`, as
// the CLI prints one: `An error occurred (ExpiredTokenException) when calling the DescribeEndpoint
// operation: The security token included in the request is expired`, exit 254; with `stderr`,
// that text instead, exit 255, as the CLI prints botocore's own errors: nobody answering), rolled-back
// (update-endpoint-weights-and-capacities: the update is accepted and the endpoint goes Updating,
// then RollingBack for the fault's `gets` (default state.settleGets) describe calls, then InService
// with its previous weights and counts and the fault's `message` as FailureReason (the service's
// wording of one is not published: the default is the stand-in's); per API_DescribeEndpoint.html,
// RollingBack: the endpoint "fails to scale up or down or change its variant weight and is in the
// process of rolling back to its previous configuration. Once the rollback completes, endpoint
// returns to an InService status"; that status is documented for weight and capacity changes only,
// so update-endpoint has no such fault).
//
// Application Auto Scaling: state.scalableTargets["region"] lists the scalable targets registered
// there, as DescribeScalableTargets shows them ({ServiceNamespace, ResourceId, ScalableDimension,
// MinCapacity, MaxCapacity}; a SageMaker variant's ResourceId is `endpoint/E/variant/V`). Per
// https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html, UpdateEndpoint fails
// when the update would remove a production variant registered as a scalable target, or change its
// instance type, until the variant is deregistered (DeregisterScalableTarget); changing its model
// is allowed. Only an endpoint with a registered variant is refused so. The service's wording of
// that refusal is not published (the page says only that "the call fails"): the text below states
// the documented rule. `aws application-autoscaling deregister-scalable-target --service-namespace N
// --resource-id R --scalable-dimension D` removes one (the API answers an empty body, the CLI prints
// nothing; "Deregistering a scalable target deletes the scaling policies ... associated with it",
// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DeregisterScalableTarget.html);
// one not registered is refused with ObjectNotFoundException, in the wording the service prints for
// a target it does not know ("No scalable target registered for service namespace: ..., resource
// ID: ..., scalable dimension: ...").
import {
  answerCall,
  callEnv,
  clone,
  fail,
  hang,
  loadState,
  parseFlags,
  runAsProgram,
  succeed,
  takeFault,
} from './lib.mjs';

const CLI = 'aws';
const USAGE = `
usage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]
To see help text, you can run:

  aws help
  aws <command> help
  aws <command> <subcommand> help
`;
const GLOBAL = {
  '--region': { takes: true, name: 'region' },
  '--profile': { takes: true, name: 'profile' },
  '--output': { takes: true, name: 'output' },
  '--endpoint-url': { takes: true, name: 'endpointUrl' },
  '--cli-read-timeout': { takes: true, name: 'readTimeout' },
  '--cli-connect-timeout': { takes: true, name: 'connectTimeout' },
  '--no-cli-pager': { takes: false, name: 'noPager' },
  '--debug': { takes: false, name: 'debug' },
  '--no-paginate': { takes: false, name: 'noPaginate' },
};
const OPERATIONS = {
  'describe-endpoint': {
    api: 'DescribeEndpoint',
    flags: { '--endpoint-name': { takes: true, name: 'endpointName' } },
    required: ['--endpoint-name'],
  },
  'update-endpoint-weights-and-capacities': {
    api: 'UpdateEndpointWeightsAndCapacities',
    flags: {
      '--endpoint-name': { takes: true, name: 'endpointName' },
      '--desired-weights-and-capacities': { takes: true, name: 'desired', greedy: true },
    },
    required: ['--endpoint-name', '--desired-weights-and-capacities'],
  },
  'describe-endpoint-config': {
    api: 'DescribeEndpointConfig',
    flags: { '--endpoint-config-name': { takes: true, name: 'configName' } },
    required: ['--endpoint-config-name'],
  },
  'create-endpoint-config': {
    api: 'CreateEndpointConfig',
    flags: {
      '--endpoint-config-name': { takes: true, name: 'configName' },
      '--production-variants': { takes: true, name: 'production', greedy: true },
      '--shadow-production-variants': { takes: true, name: 'shadow', greedy: true },
      '--data-capture-config': { takes: true, name: 'DataCaptureConfig' },
      '--tags': { takes: true, name: 'tags', greedy: true },
      '--kms-key-id': { takes: true, name: 'KmsKeyId' },
      '--async-inference-config': { takes: true, name: 'AsyncInferenceConfig' },
      '--explainer-config': { takes: true, name: 'ExplainerConfig' },
      '--execution-role-arn': { takes: true, name: 'ExecutionRoleArn' },
      '--vpc-config': { takes: true, name: 'VpcConfig' },
      '--metrics-config': { takes: true, name: 'MetricsConfig' },
      '--enable-network-isolation': { takes: false, name: 'isolation' },
      '--no-enable-network-isolation': { takes: false, name: 'noIsolation' },
    },
    required: ['--endpoint-config-name', '--production-variants'],
  },
  'update-endpoint': {
    api: 'UpdateEndpoint',
    flags: {
      '--endpoint-name': { takes: true, name: 'endpointName' },
      '--endpoint-config-name': { takes: true, name: 'configName' },
      '--retain-all-variant-properties': { takes: false, name: 'retain' },
      '--no-retain-all-variant-properties': { takes: false, name: 'noRetain' },
      '--exclude-retained-variant-properties': { takes: true, name: 'exclude', greedy: true },
      '--deployment-config': { takes: true, name: 'deploymentConfig' },
      '--retain-deployment-config': { takes: false, name: 'retainDeployment' },
      '--no-retain-deployment-config': { takes: false, name: 'noRetainDeployment' },
    },
    required: ['--endpoint-name', '--endpoint-config-name'],
  },
  'delete-endpoint-config': {
    api: 'DeleteEndpointConfig',
    flags: { '--endpoint-config-name': { takes: true, name: 'configName' } },
    required: ['--endpoint-config-name'],
  },
  'list-endpoint-configs': {
    api: 'ListEndpointConfigs',
    flags: {
      '--name-contains': { takes: true, name: 'nameContains' },
      '--sort-by': { takes: true, name: 'sortBy' },
      '--sort-order': { takes: true, name: 'sortOrder' },
      '--creation-time-before': { takes: true, name: 'createdBefore' },
      '--creation-time-after': { takes: true, name: 'createdAfter' },
      '--starting-token': { takes: true, name: 'startingToken' },
      '--page-size': { takes: true, name: 'pageSize' },
      '--max-items': { takes: true, name: 'maxItems' },
    },
    required: [],
  },
};
const AUTOSCALING_OPERATIONS = {
  'deregister-scalable-target': {
    api: 'DeregisterScalableTarget',
    flags: {
      '--service-namespace': { takes: true, name: 'namespace' },
      '--resource-id': { takes: true, name: 'resourceId' },
      '--scalable-dimension': { takes: true, name: 'dimension' },
    },
    required: ['--service-namespace', '--resource-id', '--scalable-dimension'],
  },
};
const SERVICES = { sagemaker: OPERATIONS, 'application-autoscaling': AUTOSCALING_OPERATIONS };
const ITEM_KEYS = ['VariantName', 'DesiredWeight', 'DesiredInstanceCount', 'ServerlessUpdateConfig'];
// The members of botocore's ProductionVariant shape.
const VARIANT_KEYS = [
  'VariantName',
  'ModelName',
  'InitialInstanceCount',
  'InstanceType',
  'InitialVariantWeight',
  'AcceleratorType',
  'CoreDumpConfig',
  'ServerlessConfig',
  'VolumeSizeInGB',
  'ModelDataDownloadTimeoutInSeconds',
  'ContainerStartupHealthCheckTimeoutInSeconds',
  'EnableSSMAccess',
  'ManagedInstanceScaling',
  'RoutingConfig',
  'InferenceAmiVersion',
  'CapacityReservationConfig',
  'InstancePools',
  'VariantInstanceProvisionTimeoutInSeconds',
];
const NAME_PATTERN = '^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}';
const NAME_RE = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const ACCOUNT = '123456789012';

// One call's request, set by answer (the operations below read them).
let state;
let spec;
let operation;
let flags;
let region;

/**
 * Answers one `aws` call (argv after the program name, in the environment `env`; it reads no
 * standard input): { code, stdout, stderr, hang }. `hang`: the platform never answers; the
 * caller's timeout must end the call. The state file is read and written on every call, as by a
 * process per call.
 */
export const runAws = (argv, env) => answerCall(answer, argv, env, '');

const usage = (message) => fail(state, `${USAGE}\n${message}`, 252);
const serviceError = (code, message, retries = '') =>
  fail(
    state,
    `\nAn error occurred (${code}) when calling the ${spec.api} operation${retries}: ${message}`,
    254,
  );

function answer(argv) {
  state = loadState();
  state.calls.push({ cli: CLI, argv });
  state.sagemaker ??= {};
  state.sagemakerConfigs ??= {};

  const [service, op, ...rest] = argv;
  operation = op;
  if (!service) usage('aws: error: the following arguments are required: command');
  const operations = SERVICES[service];
  if (!operations)
    fail(
      state,
      'stand-in: only `aws sagemaker` and `aws application-autoscaling deregister-scalable-target` are implemented',
      3,
    );
  spec = operations[operation];
  if (!operation) usage('aws: error: the following arguments are required: operation');
  if (!spec)
    usage(
      `aws: error: argument operation: Invalid choice, valid choices are:\n\n${Object.keys(operations).join(' | ')}`,
    );

  // List parameters (`--desired-weights-and-capacities`, `--production-variants`, ...) take several
  // words, as the CLI's shorthand does: collect them up to the next option.
  const words = [];
  const lists = {};
  for (let i = 0; i < rest.length; i++) {
    const def = spec.flags[rest[i]];
    if (def?.greedy) {
      const values = [];
      while (i + 1 < rest.length && !rest[i + 1].startsWith('--')) values.push(rest[++i]);
      if (values.length === 0) usage(`aws: error: argument ${rest[i]}: expected at least one argument`);
      lists[def.name] = values;
    } else words.push(rest[i]);
  }
  const parsed = parseFlags(words, { ...GLOBAL, ...spec.flags });
  if (parsed.unknown) usage(`Unknown options: ${parsed.arg}`);
  if (parsed.missing) usage(`aws: error: argument ${parsed.missing}: expected one argument`);
  if (parsed.positionals.length > 0) usage(`Unknown options: ${parsed.positionals.join(', ')}`);
  flags = { ...parsed.flags, ...lists };
  const missing = spec.required.filter((f) => flags[spec.flags[f].name] === undefined);
  if (missing.length > 0) usage(`aws: error: the following arguments are required: ${missing.join(', ')}`);
  if (
    flags.output !== undefined &&
    !['json', 'text', 'table', 'yaml', 'yaml-stream'].includes(flags.output)
  ) {
    usage(
      `aws: error: argument --output: Invalid choice, valid choices are:\n\njson | text | table | yaml | yaml-stream`,
    );
  }
  if ((flags.output ?? 'json') !== 'json') fail(state, 'stand-in: only --output json is implemented', 3);
  region = flags.region ?? callEnv().AWS_REGION ?? callEnv().AWS_DEFAULT_REGION;
  if (!region)
    fail(
      state,
      'You must specify a region. You can also configure your region by running "aws configure".',
      253,
    );

  const fault = takeFault(state, CLI, operation, ['throttle', 'timeout', 'fail']);
  if (fault?.kind === 'timeout') hang(state);
  else if (fault?.kind === 'throttle')
    serviceError('ThrottlingException', 'Rate exceeded', ' (reached max retries: 2)');
  else if (fault?.kind === 'fail' && fault.stderr !== undefined) fail(state, `\n${fault.stderr}`, 255);
  else if (fault?.kind === 'fail')
    serviceError(fault.code ?? 'InternalFailure', fault.message ?? 'An internal error occurred.');
  else run();
}

runAsProgram(CLI, answer);

function endpointOrFail() {
  const endpoint = state.sagemaker[`${region}/${flags.endpointName}`];
  if (!endpoint) {
    serviceError(
      'ValidationException',
      `Could not find endpoint "arn:aws:sagemaker:${region}:123456789012:endpoint/${flags.endpointName.toLowerCase()}".`,
    );
  }
  return endpoint;
}

function run() {
  if (operation === 'describe-endpoint') return describe();
  if (operation === 'describe-endpoint-config') return describeConfig();
  if (operation === 'create-endpoint-config') return createConfig();
  if (operation === 'update-endpoint') return updateEndpoint();
  if (operation === 'delete-endpoint-config') return deleteConfig();
  if (operation === 'list-endpoint-configs') return listConfigs();
  if (operation === 'deregister-scalable-target') return deregisterScalableTarget();
  return update();
}

/** The statuses an endpoint leaves by itself (DescribeEndpoint's transitional ones, but Deleting). */
const SETTLING = ['Creating', 'Updating', 'SystemUpdating', 'RollingBack'];

function describe() {
  const endpoint = endpointOrFail();
  if (SETTLING.includes(endpoint.EndpointStatus)) {
    endpoint._pendingGets = (endpoint._pendingGets ?? 1) - 1;
    if (endpoint._pendingGets < 0 && endpoint._rollBack) startRollBack(endpoint);
    if (endpoint._pendingGets < 0) finishUpdate(endpoint);
  }
  const { _pendingGets, _next, _nextCounts, _nextConfig, _rollBack, _failureReason, ...shown } = endpoint;
  if (_nextConfig) shown.PendingDeploymentSummary = { EndpointConfigName: _nextConfig.name };
  succeed(state, JSON.stringify(shown, null, 4));
}

/**
 * A weights update that fails (the rolled-back fault): the endpoint goes RollingBack, moving back
 * to the weights and counts it had before, which it reaches InService with a FailureReason.
 */
function startRollBack(endpoint) {
  const { reason, gets } = endpoint._rollBack;
  delete endpoint._rollBack;
  endpoint._next = {};
  endpoint._nextCounts = {};
  for (const variant of endpoint.ProductionVariants) {
    variant.DesiredWeight = variant.CurrentWeight;
    endpoint._next[variant.VariantName] = variant.CurrentWeight;
    if (variant.CurrentInstanceCount !== undefined) {
      variant.DesiredInstanceCount = variant.CurrentInstanceCount;
      endpoint._nextCounts[variant.VariantName] = variant.CurrentInstanceCount;
    }
  }
  endpoint._failureReason = reason;
  endpoint.EndpointStatus = 'RollingBack';
  // This read shows it RollingBack, and `gets` - 1 more: none when `gets` is 0 (done between two reads).
  endpoint._pendingGets = gets - 1;
}

function finishUpdate(endpoint) {
  const next = endpoint._next ?? {};
  for (const variant of endpoint.ProductionVariants) {
    if (next[variant.VariantName] !== undefined) {
      variant.CurrentWeight = next[variant.VariantName];
      variant.DesiredWeight = next[variant.VariantName];
    }
    const count = endpoint._nextCounts?.[variant.VariantName];
    if (count !== undefined) {
      variant.CurrentInstanceCount = count;
      variant.DesiredInstanceCount = count;
    }
  }
  if (endpoint._nextConfig) deployConfig(endpoint, endpoint._nextConfig);
  delete endpoint._next;
  delete endpoint._nextCounts;
  delete endpoint._nextConfig;
  delete endpoint._pendingGets;
  if (endpoint._failureReason !== undefined) endpoint.FailureReason = endpoint._failureReason;
  delete endpoint._failureReason;
  endpoint.EndpointStatus = 'InService';
  endpoint.LastModifiedTime = '2026-01-01T00:00:00Z';
}

/** The endpoint's variants become the config's (unless the update silently reverted). */
function deployConfig(endpoint, next) {
  if (next.revert) return;
  // As update-endpoint found it. Deleting the config during the update "must not" be done; what
  // then happens is not documented, so here the update just completes.
  const config = next.config;
  const before = [...endpoint.ProductionVariants, ...(endpoint.ShadowProductionVariants ?? [])];
  const summary = (variant) => {
    const weight = variant.InitialVariantWeight ?? 1;
    const count = variant.InitialInstanceCount;
    const images = before.find((v) => v.VariantName === variant.VariantName)?.DeployedImages;
    return {
      VariantName: variant.VariantName,
      ...(images ? { DeployedImages: images } : {}),
      CurrentWeight: weight,
      DesiredWeight: weight,
      ...(count === undefined ? {} : { CurrentInstanceCount: count, DesiredInstanceCount: count }),
    };
  };
  endpoint.EndpointConfigName = next.name;
  endpoint.ProductionVariants = config.ProductionVariants.map(summary);
  const shadow = next.dropShadow ? [] : (config.ShadowProductionVariants ?? []);
  if (shadow.length > 0) endpoint.ShadowProductionVariants = shadow.map(summary);
  else delete endpoint.ShadowProductionVariants;
}

function configArn(name) {
  return `arn:aws:sagemaker:${region}:${ACCOUNT}:endpoint-config/${name.toLowerCase()}`;
}

function configOrFail(name) {
  const config = state.sagemakerConfigs[`${region}/${name}`];
  if (!config)
    serviceError('ValidationException', `Could not find endpoint configuration "${configArn(name)}".`);
  return config;
}

function describeConfig() {
  succeed(state, JSON.stringify(configOrFail(flags.configName), null, 4));
}

/** A JSON parameter as the CLI parses it (the shorthand syntax is not implemented here). */
function jsonParameter(flag, value) {
  const text = Array.isArray(value) ? value.join(' ') : value;
  if (!/^\s*[[{]/.test(text)) fail(state, `stand-in: only JSON is implemented for ${flag}`, 3);
  try {
    return JSON.parse(text);
  } catch (err) {
    return usage(`Error parsing parameter '${flag}': Invalid JSON: ${err.message}\nJSON received: ${text}`);
  }
}

function clientError(message) {
  usage(`Parameter validation failed:\n${message}`);
}

function constraint(value, at, rule) {
  serviceError(
    'ValidationException',
    `1 validation error detected: Value '${value}' at '${at}' failed to satisfy constraint: ${rule}`,
  );
}

/** A ProductionVariantList parameter, with botocore's checks. */
function variantList(param, flag, value) {
  const list = jsonParameter(flag, value);
  if (!Array.isArray(list)) {
    clientError(
      `Invalid type for parameter ${param}, value: ${JSON.stringify(list)}, type: <class 'dict'>, valid types: <class 'list'>, <class 'tuple'>`,
    );
  }
  if (list.length < 1) clientError(`Invalid length for parameter ${param}, value: 0, valid min length: 1`);
  for (const [i, variant] of list.entries()) {
    const at = `${param}[${i}]`;
    const unknown = Object.keys(variant).find((k) => !VARIANT_KEYS.includes(k));
    if (unknown)
      clientError(`Unknown parameter in ${at}: "${unknown}", must be one of: ${VARIANT_KEYS.join(', ')}`);
    if (variant.VariantName === undefined) clientError(`Missing required parameter in ${at}: "VariantName"`);
    const weight = variant.InitialVariantWeight;
    if (weight !== undefined && typeof weight !== 'number') {
      clientError(
        `Invalid type for parameter ${at}.InitialVariantWeight, value: ${weight}, type: <class 'str'>, valid types: <class 'float'>, <class 'decimal.Decimal'>, <class 'int'>`,
      );
    }
    if (weight < 0)
      clientError(
        `Invalid value for parameter ${at}.InitialVariantWeight, value: ${weight}, valid min value: 0`,
      );
    const count = variant.InitialInstanceCount;
    if (count !== undefined && !Number.isInteger(count)) {
      clientError(
        `Invalid type for parameter ${at}.InitialInstanceCount, value: ${count}, type: <class 'float'>, valid types: <class 'int'>`,
      );
    }
    if (count < 1)
      clientError(
        `Invalid value for parameter ${at}.InitialInstanceCount, value: ${count}, valid min value: 1`,
      );
  }
  return list;
}

/** The service's checks of a ProductionVariantList (after every client-side check). */
function checkVariants(param, list) {
  const member = param[0].toLowerCase() + param.slice(1);
  if (list.length > 10)
    constraint(JSON.stringify(list), member, 'Member must have length less than or equal to 10');
  for (const [i, variant] of list.entries()) {
    const name = variant.VariantName;
    const at = `${member}.${i + 1}.member.variantName`;
    if (name.length > 63) constraint(name, at, 'Member must have length less than or equal to 63');
    if (!NAME_RE.test(name))
      constraint(name, at, `Member must satisfy regular expression pattern: ${NAME_PATTERN}`);
  }
}

/** The service's checks of an EndpointConfigName (CreateEndpointConfig, DeleteEndpointConfig). */
function checkConfigName(name) {
  if (name.length > 63)
    constraint(name, 'endpointConfigName', 'Member must have length less than or equal to 63');
  if (!NAME_RE.test(name))
    constraint(name, 'endpointConfigName', `Member must satisfy regular expression pattern: ${NAME_PATTERN}`);
}

function createConfig() {
  const name = flags.configName;
  const production = variantList('ProductionVariants', '--production-variants', flags.production);
  const shadow =
    flags.shadow === undefined
      ? undefined
      : variantList('ShadowProductionVariants', '--shadow-production-variants', flags.shadow);
  const carried = {};
  for (const [flag, def] of Object.entries(spec.flags)) {
    if (/Config$/.test(def.name) && flags[def.name] !== undefined)
      carried[def.name] = jsonParameter(flag, flags[def.name]);
  }
  for (const key of ['KmsKeyId', 'ExecutionRoleArn']) if (flags[key] !== undefined) carried[key] = flags[key];
  if (flags.isolation) carried.EnableNetworkIsolation = true;
  if (flags.noIsolation) carried.EnableNetworkIsolation = false;
  checkConfigName(name);
  checkVariants('ProductionVariants', production);
  if (shadow) checkVariants('ShadowProductionVariants', shadow);
  if (state.sagemakerConfigs[`${region}/${name}`]) {
    serviceError(
      'ValidationException',
      `Cannot create already existing endpoint configuration "${configArn(name)}".`,
    );
  }
  if (shadow && (production.length !== 1 || shadow.length !== 1)) {
    serviceError(
      'ValidationException',
      `With ShadowProductionVariants you can only specify one variant for ProductionVariants and one variant for ShadowProductionVariants; got ${production.length} and ${shadow.length}.`,
    );
  }
  const names = [...production, ...(shadow ?? [])].map((v) => v.VariantName);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) serviceError('ValidationException', `Variant names must be unique; ${twice} appears twice.`);
  if (production.reduce((sum, v) => sum + (v.InitialVariantWeight ?? 1), 0) <= 0)
    serviceError('ValidationException', 'The sum of the weights of all variants must be greater than 0.');
  state.sagemakerConfigs[`${region}/${name}`] = {
    EndpointConfigName: name,
    EndpointConfigArn: configArn(name),
    ProductionVariants: production,
    ...(shadow ? { ShadowProductionVariants: shadow } : {}),
    ...carried,
    CreationTime: printedTime(Date.now()),
  };
  succeed(state, JSON.stringify({ EndpointConfigArn: configArn(name) }, null, 4));
}

function updateEndpoint() {
  for (const flag of [
    'retain',
    'noRetain',
    'exclude',
    'deploymentConfig',
    'retainDeployment',
    'noRetainDeployment',
  ]) {
    if (flags[flag] !== undefined)
      fail(state, 'stand-in: update-endpoint takes only the endpoint and config names', 3);
  }
  const endpoint = endpointOrFail();
  const config = configOrFail(flags.configName);
  if (endpoint.EndpointStatus !== 'InService' || takeFault(state, CLI, operation, ['busy'])) {
    serviceError(
      'ValidationException',
      `Cannot update in-progress endpoint "arn:aws:sagemaker:${region}:${ACCOUNT}:endpoint/${flags.endpointName.toLowerCase()}".`,
    );
  }
  refuseAutoscaledChange(endpoint, config);
  endpoint._nextConfig = {
    name: flags.configName,
    config: clone(config),
    revert: Boolean(takeFault(state, CLI, operation, ['silent-revert'])),
    dropShadow: Boolean(takeFault(state, CLI, operation, ['drop-mirror'])),
  };
  endpoint.EndpointStatus = 'Updating';
  endpoint._pendingGets = state.settleGets ?? 0;
  succeed(
    state,
    JSON.stringify(
      { EndpointArn: `arn:aws:sagemaker:${region}:${ACCOUNT}:endpoint/${flags.endpointName.toLowerCase()}` },
      null,
      4,
    ),
  );
}

/** The scalable targets registered in this region (Application Auto Scaling). */
const scalableTargets = () => state.scalableTargets?.[region] ?? [];

/**
 * UpdateEndpoint's refusal of a config that removes a production variant registered as a
 * scalable target, or changes its instance type (the instance type it has now: the endpoint's
 * current config's, when that config still exists).
 */
function refuseAutoscaledChange(endpoint, next) {
  const registered = new Set(
    scalableTargets()
      .filter((t) => t.ServiceNamespace === 'sagemaker')
      .map((t) => t.ResourceId),
  );
  const current = state.sagemakerConfigs[`${region}/${endpoint.EndpointConfigName}`];
  const typeOf = (config, name) =>
    config?.ProductionVariants.find((v) => v.VariantName === name)?.InstanceType;
  const blocked = endpoint.ProductionVariants.map((v) => v.VariantName).filter((name) => {
    if (!registered.has(`endpoint/${flags.endpointName}/variant/${name}`)) return false;
    const kept = next.ProductionVariants.some((v) => v.VariantName === name);
    return !kept || (current !== undefined && typeOf(current, name) !== typeOf(next, name));
  });
  if (blocked.length === 0) return;
  serviceError(
    'ValidationException',
    `The production variant(s) "[${blocked.join(', ')}]" of endpoint "arn:aws:sagemaker:${region}:${ACCOUNT}:endpoint/${flags.endpointName.toLowerCase()}" is/are registered as Application Auto Scaling scalable target(s), and the endpoint configuration "${configArn(flags.configName)}" removes it/them or changes its/their instance type. Deregister the scalable target(s) before updating the endpoint.`,
  );
}

/** DeregisterScalableTarget: the target goes (with its policies); the CLI prints nothing. */
function deregisterScalableTarget() {
  const targets = scalableTargets();
  const i = targets.findIndex(
    (t) =>
      t.ServiceNamespace === flags.namespace &&
      t.ResourceId === flags.resourceId &&
      t.ScalableDimension === flags.dimension,
  );
  if (i < 0) {
    serviceError(
      'ObjectNotFoundException',
      `No scalable target registered for service namespace: ${flags.namespace}, resource ID: ${flags.resourceId}, scalable dimension: ${flags.dimension}`,
    );
  }
  targets.splice(i, 1);
  succeed(state);
}

/**
 * Deletes the config; the CLI prints nothing (the API answers an empty body). A config in use is
 * deleted too: the reference documents no refusal, only that the endpoint keeps running (and
 * costing) while its config can no longer be described, which is what happens here.
 */
function deleteConfig() {
  const name = flags.configName;
  checkConfigName(name);
  configOrFail(name);
  delete state.sagemakerConfigs[`${region}/${name}`];
  succeed(state);
}

/**
 * The region's configs whose name contains --name-contains and that were made before
 * --creation-time-before, sorted as asked, every page at once (as the CLI prints them when it
 * pages itself). --creation-time-after and the paging flags are not implemented.
 */
function listConfigs() {
  for (const flag of ['createdAfter', 'startingToken', 'pageSize', 'maxItems', 'noPaginate']) {
    if (flags[flag] !== undefined)
      fail(
        state,
        'stand-in: list-endpoint-configs takes only --name-contains, --creation-time-before and the sort flags',
        3,
      );
  }
  const before = flags.createdBefore === undefined ? undefined : timestampOf(flags.createdBefore);
  if (flags.createdBefore !== undefined && before === undefined) {
    clientError(
      `Invalid type for parameter CreationTimeBefore, value: ${flags.createdBefore}, type: <class 'str'>, valid types: <class 'datetime.datetime'>, timestamp-string`,
    );
  }
  const contains = flags.nameContains;
  if (contains !== undefined) {
    if (contains.length > 63)
      constraint(contains, 'nameContains', 'Member must have length less than or equal to 63');
    if (!/^[a-zA-Z0-9-]+$/.test(contains))
      constraint(contains, 'nameContains', 'Member must satisfy regular expression pattern: [a-zA-Z0-9-]+');
  }
  const sortBy = flags.sortBy ?? 'CreationTime';
  if (!['Name', 'CreationTime'].includes(sortBy))
    constraint(sortBy, 'sortBy', 'Member must satisfy enum value set: [Name, CreationTime]');
  const order = flags.sortOrder ?? 'Descending';
  if (!['Ascending', 'Descending'].includes(order))
    constraint(order, 'sortOrder', 'Member must satisfy enum value set: [Ascending, Descending]');
  const key = (c) => (sortBy === 'Name' ? c.EndpointConfigName : timestampOf(c.CreationTime));
  const found = Object.entries(state.sagemakerConfigs)
    .filter(([id, c]) => id.startsWith(`${region}/`) && c.EndpointConfigName.includes(contains ?? ''))
    .filter(([, c]) => before === undefined || timestampOf(c.CreationTime) < before)
    .map(([, c]) => ({
      EndpointConfigName: c.EndpointConfigName,
      EndpointConfigArn: configArn(c.EndpointConfigName),
      CreationTime: c.CreationTime,
    }))
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) * (order === 'Ascending' ? 1 : -1));
  succeed(state, JSON.stringify({ EndpointConfigs: found }, null, 4));
}

/**
 * A time as CLI v2 prints it by default (cli_timestamp_format iso8601): Python's isoformat() in the
 * local zone, UTC on a runner, with microseconds only when there are any.
 */
function printedTime(ms) {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 19)}${ms % 1000 === 0 ? '' : `.${iso.slice(20, 23)}000`}+00:00`;
}

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * A timestamp parameter as the CLI reads it, in ms: Unix seconds, or one of the ISO 8601 forms the
 * CLI's guide lists (a time without a zone is UTC, as botocore takes it); undefined when unreadable.
 */
function timestampOf(text) {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const parts = ISO_8601.exec(text);
  if (!parts) return undefined;
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', zone = 'Z'] = parts;
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  const time = Date.UTC(+year, +month - 1, +day, +hour, +minute, +second, ms);
  const date = new Date(time);
  // Date.UTC carries over (a 13th month is January): dateutil refuses such a date.
  if (
    date.getUTCMonth() !== +month - 1 ||
    date.getUTCDate() !== +day ||
    +hour > 23 ||
    +minute > 59 ||
    +second > 59
  )
    return undefined;
  const offset = zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (+zone.slice(1, 3) * 60 + +zone.slice(4, 6));
  return time - offset * 60_000;
}

/** The list as the CLI parses it: JSON, or the shorthand `VariantName=a,DesiredWeight=1 ...`. */
function desiredItems() {
  const text = flags.desired.join(' ');
  if (text.trimStart().startsWith('[')) {
    try {
      return JSON.parse(text);
    } catch (err) {
      usage(
        `Error parsing parameter '--desired-weights-and-capacities': Invalid JSON: ${err.message}\nJSON received: ${text}`,
      );
    }
  }
  return flags.desired.map((word) => {
    const item = {};
    for (const pair of word.split(',')) {
      const eq = pair.indexOf('=');
      if (eq < 1)
        usage(
          `Error parsing parameter '--desired-weights-and-capacities': Expected: '=', received: 'EOF' for input:\n${word}`,
        );
      const key = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      item[key] =
        key === 'DesiredWeight'
          ? Number(value)
          : key === 'DesiredInstanceCount'
            ? Number.parseInt(value, 10)
            : value;
    }
    return item;
  });
}

function update() {
  const items = desiredItems();
  if (!Array.isArray(items) || items.length === 0) {
    usage(
      'Parameter validation failed:\nInvalid length for parameter DesiredWeightsAndCapacities, value: 0, valid min length: 1',
    );
  }
  for (const [i, item] of items.entries()) {
    const unknown = Object.keys(item).find((k) => !ITEM_KEYS.includes(k));
    if (unknown)
      usage(
        `Parameter validation failed:\nUnknown parameter in DesiredWeightsAndCapacities[${i}]: "${unknown}", must be one of: ${ITEM_KEYS.join(', ')}`,
      );
    if (typeof item.VariantName !== 'string')
      usage(
        `Parameter validation failed:\nMissing required parameter in DesiredWeightsAndCapacities[${i}]: "VariantName"`,
      );
    if (
      item.DesiredWeight !== undefined &&
      (typeof item.DesiredWeight !== 'number' || Number.isNaN(item.DesiredWeight))
    ) {
      usage(
        `Parameter validation failed:\nInvalid type for parameter DesiredWeightsAndCapacities[${i}].DesiredWeight, value: ${item.DesiredWeight}, type: <class 'str'>, valid types: <class 'float'>, <class 'decimal.Decimal'>, <class 'int'>`,
      );
    }
    const count = item.DesiredInstanceCount;
    if (count !== undefined && !Number.isInteger(count)) {
      usage(
        `Parameter validation failed:\nInvalid type for parameter DesiredWeightsAndCapacities[${i}].DesiredInstanceCount, value: ${count}, type: <class '${typeof count === 'number' ? 'float' : 'str'}'>, valid types: <class 'int'>`,
      );
    }
    if (count < 0) {
      serviceError(
        'ValidationException',
        `1 validation error detected: Value '${count}' at 'desiredWeightsAndCapacities.${i + 1}.member.desiredInstanceCount' failed to satisfy constraint: Member must have value greater than or equal to 0`,
      );
    }
    if (typeof item.DesiredWeight === 'number' && item.DesiredWeight < 0) {
      serviceError(
        'ValidationException',
        `1 validation error detected: Value '${item.DesiredWeight}' at 'desiredWeightsAndCapacities.${i + 1}.member.desiredWeight' failed to satisfy constraint: Member must have value greater than or equal to 0`,
      );
    }
  }
  const endpoint = endpointOrFail();
  if (endpoint.EndpointStatus !== 'InService' || takeFault(state, CLI, operation, ['busy'])) {
    serviceError(
      'ValidationException',
      `Cannot update in-progress endpoint "arn:aws:sagemaker:${region}:123456789012:endpoint/${flags.endpointName.toLowerCase()}".`,
    );
  }
  const names = endpoint.ProductionVariants.map((v) => v.VariantName);
  const absent = items.map((i) => i.VariantName).filter((n) => !names.includes(n));
  if (absent.length > 0) {
    serviceError(
      'ValidationException',
      `The variant(s) "[${absent.join(', ')}]" is/are not present in the endpoint "${flags.endpointName}".`,
    );
  }
  const sum = endpoint.ProductionVariants.reduce((s, v) => {
    const asked = items.find((i) => i.VariantName === v.VariantName)?.DesiredWeight;
    return s + (asked ?? v.CurrentWeight);
  }, 0);
  if (sum <= 0)
    serviceError('ValidationException', 'The sum of the weights of all variants must be greater than 0.');
  const revert = takeFault(state, CLI, operation, ['silent-revert']);
  const rollBack = takeFault(state, CLI, operation, ['rolled-back']);
  const partial = takeFault(state, CLI, operation, ['partial']);
  const next = {};
  const applied = partial ? items.slice(0, 1) : items;
  for (const item of applied)
    if (item.DesiredWeight !== undefined) next[item.VariantName] = item.DesiredWeight;
  const counts = {};
  for (const item of applied)
    if (item.DesiredInstanceCount !== undefined) counts[item.VariantName] = item.DesiredInstanceCount;
  for (const variant of endpoint.ProductionVariants) {
    if (next[variant.VariantName] !== undefined) variant.DesiredWeight = next[variant.VariantName];
    if (counts[variant.VariantName] !== undefined) variant.DesiredInstanceCount = counts[variant.VariantName];
  }
  // A silent revert: the update is accepted and runs, but the old weights come back.
  endpoint._next = revert
    ? Object.fromEntries(endpoint.ProductionVariants.map((v) => [v.VariantName, v.CurrentWeight]))
    : next;
  endpoint._nextCounts = revert ? {} : counts;
  endpoint.EndpointStatus = 'Updating';
  endpoint._pendingGets = state.settleGets ?? 0;
  if (rollBack) {
    endpoint._rollBack = {
      reason: rollBack.message ?? 'Failed to update the variant weights and capacities of the endpoint.',
      gets: rollBack.gets ?? state.settleGets ?? 0,
    };
  }
  succeed(
    state,
    JSON.stringify(
      {
        EndpointArn: `arn:aws:sagemaker:${region}:123456789012:endpoint/${flags.endpointName.toLowerCase()}`,
      },
      null,
      4,
    ),
  );
}
