// A stand-in for AWS CLI v2 `aws sagemaker` (the two calls model-gate makes), with the
// CLI's syntax checks, return codes and error texts:
//   aws sagemaker describe-endpoint --endpoint-name E [--region R] [--profile P] [--output json]
//   aws sagemaker update-endpoint-weights-and-capacities --endpoint-name E
//       --desired-weights-and-capacities '[{"VariantName":"v1","DesiredWeight":90},...]' | VariantName=v1,DesiredWeight=90 ...
// References: https://docs.aws.amazon.com/cli/latest/reference/sagemaker/update-endpoint-weights-and-capacities.html ,
// https://docs.aws.amazon.com/cli/latest/reference/sagemaker/describe-endpoint.html ,
// https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-returncodes.html (252 syntax, 253 config, 254 service, 255 other).
//
// An update sets the endpoint `Updating`; it is InService with the new weights after
// `state.settleGets` (default 0) more describe calls. Faults (state.faults, cli "aws"): throttle,
// busy (update refused while Updating), timeout, silent-revert (weights quietly go back),
// partial (only the first variant is updated), fail.
import { fail, hang, loadState, parseFlags, succeed, takeFault } from './lib.mjs';

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
};
const ITEM_KEYS = ['VariantName', 'DesiredWeight', 'DesiredInstanceCount', 'ServerlessUpdateConfig'];

const state = loadState();
const argv = process.argv.slice(2);
state.calls.push({ cli: CLI, argv });
state.sagemaker ??= {};

const usage = (message) => fail(state, `${USAGE}\n${message}`, 252);
const [service, operation, ...rest] = argv;
if (!service) usage('aws: error: the following arguments are required: command');
if (service !== 'sagemaker') fail(state, 'stand-in: only `aws sagemaker` is implemented', 3);
const spec = OPERATIONS[operation];
if (!operation) usage('aws: error: the following arguments are required: operation');
if (!spec)
  usage(
    `aws: error: argument operation: Invalid choice, valid choices are:\n\n${Object.keys(OPERATIONS).join(' | ')}`,
  );

// The shorthand list of --desired-weights-and-capacities takes several words: collect them.
const words = [];
let desiredWords;
for (let i = 0; i < rest.length; i++) {
  if (rest[i] === '--desired-weights-and-capacities') {
    desiredWords = [];
    while (i + 1 < rest.length && !rest[i + 1].startsWith('--')) desiredWords.push(rest[++i]);
    if (desiredWords.length === 0)
      usage('aws: error: argument --desired-weights-and-capacities: expected at least one argument');
  } else words.push(rest[i]);
}
const parsed = parseFlags(words, { ...GLOBAL, ...spec.flags });
if (parsed.unknown) usage(`Unknown options: ${parsed.arg}`);
if (parsed.missing) usage(`aws: error: argument ${parsed.missing}: expected one argument`);
if (parsed.positionals.length > 0) usage(`Unknown options: ${parsed.positionals.join(', ')}`);
const { flags } = parsed;
if (desiredWords) flags.desired = desiredWords;
const missing = spec.required.filter((f) => flags[spec.flags[f].name] === undefined);
if (missing.length > 0) usage(`aws: error: the following arguments are required: ${missing.join(', ')}`);
if (flags.output !== undefined && !['json', 'text', 'table', 'yaml', 'yaml-stream'].includes(flags.output)) {
  usage(
    `aws: error: argument --output: Invalid choice, valid choices are:\n\njson | text | table | yaml | yaml-stream`,
  );
}
if ((flags.output ?? 'json') !== 'json') fail(state, 'stand-in: only --output json is implemented', 3);
const region = flags.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
if (!region)
  fail(
    state,
    'You must specify a region. You can also configure your region by running "aws configure".',
    253,
  );

const serviceError = (code, message, retries = '') =>
  fail(
    state,
    `\nAn error occurred (${code}) when calling the ${spec.api} operation${retries}: ${message}`,
    254,
  );

const fault = takeFault(state, CLI, operation, ['throttle', 'timeout', 'fail']);
if (fault?.kind === 'timeout') hang(state);
else if (fault?.kind === 'throttle')
  serviceError('ThrottlingException', 'Rate exceeded', ' (reached max retries: 2)');
else if (fault?.kind === 'fail')
  serviceError('InternalFailure', fault.message ?? 'An internal error occurred.');
else run();

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
  return update();
}

function describe() {
  const endpoint = endpointOrFail();
  if (endpoint.EndpointStatus === 'Updating') {
    endpoint._pendingGets = (endpoint._pendingGets ?? 1) - 1;
    if (endpoint._pendingGets < 0) finishUpdate(endpoint);
  }
  const { _pendingGets, _next, ...shown } = endpoint;
  succeed(state, JSON.stringify(shown, null, 4));
}

function finishUpdate(endpoint) {
  const next = endpoint._next ?? {};
  for (const variant of endpoint.ProductionVariants) {
    if (next[variant.VariantName] !== undefined) {
      variant.CurrentWeight = next[variant.VariantName];
      variant.DesiredWeight = next[variant.VariantName];
    }
  }
  delete endpoint._next;
  delete endpoint._pendingGets;
  endpoint.EndpointStatus = 'InService';
  endpoint.LastModifiedTime = '2026-01-01T00:00:00Z';
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
  const partial = takeFault(state, CLI, operation, ['partial']);
  const next = {};
  const applied = partial ? items.slice(0, 1) : items;
  for (const item of applied)
    if (item.DesiredWeight !== undefined) next[item.VariantName] = item.DesiredWeight;
  for (const variant of endpoint.ProductionVariants) {
    if (next[variant.VariantName] !== undefined) variant.DesiredWeight = next[variant.VariantName];
  }
  // A silent revert: the update is accepted and runs, but the old weights come back.
  endpoint._next = revert
    ? Object.fromEntries(endpoint.ProductionVariants.map((v) => [v.VariantName, v.CurrentWeight]))
    : next;
  endpoint.EndpointStatus = 'Updating';
  endpoint._pendingGets = state.settleGets ?? 0;
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
