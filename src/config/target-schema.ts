import { z } from 'zod';
import { TARGET_STRATEGIES, targetCapabilities } from '../targets/capabilities.js';
import { COMMAND_VALUES } from '../targets/command-values.js';
import { formatDuration } from './duration.js';
import {
  always,
  asRecord,
  duration,
  finite,
  httpHeaders,
  httpUrl,
  type Loose,
  servedModelName,
  strict,
  unknownVariant,
} from './fields.js';
import { describeValue, listOf } from './messages.js';
import type { TargetStrategy } from './types.js';

// ── targets ─────────────────────────────────────────────────────────────────────────────

const sandboxTarget = strict({
  type: z.literal('sandbox').describe('The embedded serving router of `model-gate sandbox`.'),
  url: httpUrl,
  model: servedModelName.optional(),
}).describe('A running `model-gate sandbox` (or the one the demo starts).');

/** `{{version}}` (and optionally `{{model}}`) in a platform name; nothing else in braces. */
function nameTemplate(description: string, fallback: string) {
  return z
    .string()
    .min(1)
    .superRefine((text, ctx) => {
      const unknown = [...text.matchAll(/\{\{([^}]*)\}\}/g)]
        .map((m) => m[1])
        .filter((name) => name !== 'version' && name !== 'model');
      if (unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          input: text,
          message: `unknown placeholder {{${unknown[0]}}} in ${describeValue(text)} (known: {{version}}, {{model}})`,
        });
      } else if (!text.includes('{{version}}')) {
        ctx.addIssue({
          code: 'custom',
          input: text,
          message: `expected a name containing {{version}} (each version needs its own name), got ${describeValue(text)}`,
        });
      }
    })
    .default(fallback)
    .describe(
      `${description} \`{{version}}\` is the version, \`{{model}}\` the model's key. Default "${fallback}".`,
    );
}

const label = (what: string, pattern: RegExp, rule: string) =>
  z
    .string()
    .regex(pattern, { error: (issue) => `expected ${what} (${rule}), got ${describeValue(issue.input)}` });

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_RULE = "lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit";
/** KServe's webhook refuses an InferenceService name that starts with a digit (IsvcNameFmt: a DNS-1035 label). */
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_1035_RULE =
  "lowercase letters, digits and '-', at most 63, starting with a letter and ending with a letter or digit";
const namespace = label('a Kubernetes namespace', DNS_LABEL, DNS_RULE).describe('Kubernetes namespace.');
const kubeObject = (description: string) =>
  label('a Kubernetes object name', DNS_LABEL, DNS_RULE).describe(description);

/** Targets that name their object after the model's key when its own name field is left out. */
const NAMED_AFTER_KEY: Record<string, { field: string; what: string; pattern: RegExp; refusal: string }> = {
  kserve: {
    field: 'name',
    what: 'InferenceService name',
    pattern: DNS_1035_LABEL,
    refusal: `which KServe refuses (${DNS_1035_RULE})`,
  },
  seldon: {
    field: 'experiment',
    what: 'Experiment name',
    pattern: DNS_LABEL,
    refusal: `which is not a Kubernetes object name (${DNS_RULE})`,
  },
};

/**
 * A KServe or Seldon target without its own name uses the model's key (`fraud_detector`), which
 * model names allow and Kubernetes does not: refused now, as the same name written out would be,
 * not at the first kubectl call. `inherited`: the target is the defaults' one.
 */
export function keyNameProblem(target: unknown, modelKey: string, inherited: boolean): string | undefined {
  const config = asRecord(target);
  const type = config?.type;
  if (typeof type !== 'string' || !Object.hasOwn(NAMED_AFTER_KEY, type)) return undefined;
  const named = NAMED_AFTER_KEY[type];
  if (!named || config?.[named.field] !== undefined || named.pattern.test(modelKey)) return undefined;
  const fix = inherited
    ? `give this model its own target, with target.${named.field} set (defaults.target uses each model's key)`
    : `set target.${named.field}`;
  return `the ${named.what} defaults to the model's key ${describeValue(modelKey)}, ${named.refusal}; ${fix}`;
}

const context = z
  .string()
  .min(1)
  .regex(/^[^\s]+$/, {
    error: (issue) => `expected a kubeconfig context name, got ${describeValue(issue.input)}`,
  })
  .describe('kubeconfig context to use; the current context when absent.');
const cloudId = (what: string, pattern: RegExp, rule: string, description: string) =>
  label(what, pattern, rule).describe(description);

/** Timing of CLI/HTTP targets: kebab-case keys in, `...Ms` out. */
const timingShape = {
  timeout: duration('Longest one CLI call or HTTP request may take (default "60s").').prefault('60s'),
  'settle-timeout': duration(
    'Longest one traffic change may take, from its start to its read-back: waiting for another change holding the platform to end, retries, and the platform finishing the update (default "10m").',
  ).prefault('10m'),
  'poll-interval': duration('How often to look while waiting (default "10s").').prefault('10s'),
};

function checkTiming(value: unknown, ctx: z.core.$RefinementCtx) {
  const { 'settle-timeout': settle, 'poll-interval': poll } = value as Loose;
  if (finite(settle) && finite(poll) && poll > settle) {
    ctx.addIssue({
      code: 'custom',
      input: poll,
      path: ['poll-interval'],
      message: `expected at most settle-timeout (${formatDuration(settle)}), got ${formatDuration(poll)}`,
    });
  }
}

const timing = (t: { timeout: number; 'settle-timeout': number; 'poll-interval': number }) => ({
  timeoutMs: t.timeout,
  settleTimeoutMs: t['settle-timeout'],
  pollIntervalMs: t['poll-interval'],
});

const kserveTarget = strict({
  type: z
    .literal('kserve')
    .describe('A KServe InferenceService in Knative (formerly Serverless) mode, driven with kubectl.'),
  name: label('an InferenceService name', DNS_1035_LABEL, DNS_1035_RULE)
    .describe("InferenceService name; defaults to the model's key.")
    .optional(),
  namespace,
  context: context.optional(),
  'storage-uri': z
    .string()
    .superRefine((text, ctx) => {
      if (!text.includes('{{version}}')) {
        ctx.addIssue({
          code: 'custom',
          input: text,
          message: `expected a storage URI containing {{version}}, e.g. "gs://models/fraud/{{version}}", got ${describeValue(text)}`,
        });
      }
    })
    .describe("The predictor's storageUri for a version, containing {{version}} (and optionally {{model}})."),
  ...timingShape,
})
  .superRefine(checkTiming, always)
  .transform((t) => ({
    type: t.type,
    ...(t.name === undefined ? {} : { name: t.name }),
    namespace: t.namespace,
    ...(t.context === undefined ? {} : { context: t.context }),
    storageUri: t['storage-uri'],
    ...timing(t),
  }))
  .describe('KServe: canaryTrafficPercent on an InferenceService, read back from its status.');

const sagemakerTarget = strict({
  type: z.literal('sagemaker').describe('A SageMaker real-time endpoint, driven with the AWS CLI.'),
  endpoint: cloudId(
    'a SageMaker endpoint name',
    /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/,
    "letters, digits and '-', at most 63",
    'SageMaker endpoint name.',
  ),
  region: cloudId(
    'an AWS region',
    /^[a-z]{2}(-[a-z]+)+-\d$/,
    'e.g. us-east-1',
    'AWS region; the CLI default when absent.',
  ).optional(),
  profile: z.string().min(1).describe('AWS CLI profile; the default credentials when absent.').optional(),
  variant: nameTemplate('Production variant that serves a version.', '{{version}}'),
  ...timingShape,
})
  .superRefine(checkTiming, always)
  .transform((t) => ({
    type: t.type,
    endpoint: t.endpoint,
    ...(t.region === undefined ? {} : { region: t.region }),
    ...(t.profile === undefined ? {} : { profile: t.profile }),
    variant: t.variant,
    ...timing(t),
  }))
  .describe(
    'SageMaker: production variant weights (update-endpoint-weights-and-capacities); a shadow variant through a copy of the endpoint config (create-endpoint-config, update-endpoint); read back with describe-endpoint.',
  );

/**
 * Azure lowercases a deployment's name when it creates it (Azure/azure-sdk-for-python#28715), so
 * a template with capitals names deployments Azure never reports. The version and model key put
 * in are lowercased by the target; the template's own text must already be.
 */
function lowercaseDeployment(text: string, ctx: z.core.$RefinementCtx) {
  const own = text.replaceAll('{{version}}', '').replaceAll('{{model}}', '');
  if (own === own.toLowerCase()) return;
  const lower = text
    .split(/(\{\{(?:version|model)\}\})/)
    .map((part, i) => (i % 2 === 1 ? part : part.toLowerCase()))
    .join('');
  ctx.addIssue({
    code: 'custom',
    input: text,
    message: `expected a lowercase name template, as Azure ML lowercases deployment names (it creates ${describeValue(text)} as ${describeValue(lower)}, which model-gate would not find): write ${describeValue(lower)}, got ${describeValue(text)}`,
  });
}

const azuremlTarget = strict({
  type: z.literal('azureml').describe('An Azure ML managed online endpoint, driven with `az ml`.'),
  endpoint: cloudId(
    'an online endpoint name',
    /^[a-zA-Z][a-zA-Z0-9-]{1,31}$/,
    "a letter, then letters, digits and '-', 2-32 characters",
    'Online endpoint name.',
  ),
  'resource-group': z.string().min(1).describe('Resource group of the workspace.'),
  workspace: z.string().min(1).describe('Azure ML workspace name.'),
  subscription: z
    .string()
    .min(1)
    .describe('Subscription name or ID; the CLI default when absent.')
    .optional(),
  deployment: nameTemplate('Deployment that serves a version.', '{{version}}').superRefine(
    lowercaseDeployment,
  ),
  ...timingShape,
})
  .superRefine(checkTiming, always)
  .transform((t) => ({
    type: t.type,
    endpoint: t.endpoint,
    resourceGroup: t['resource-group'],
    workspace: t.workspace,
    ...(t.subscription === undefined ? {} : { subscription: t.subscription }),
    deployment: t.deployment,
    ...timing(t),
  }))
  .describe('Azure ML: the endpoint traffic between deployments (az ml online-endpoint update --traffic).');

const vertexTarget = strict({
  type: z.literal('vertex').describe('A Vertex AI endpoint, driven with `gcloud ai endpoints`.'),
  endpoint: z
    .string()
    .regex(/^(\d+|projects\/[^/\s]+\/locations\/[^/\s]+\/endpoints\/\d+)$/, {
      error: (issue) =>
        `expected an endpoint ID (digits) or "projects/P/locations/L/endpoints/ID", got ${describeValue(issue.input)}`,
    })
    .describe('Endpoint ID or full resource name.'),
  region: cloudId(
    'a Google Cloud region',
    /^[a-z]+-[a-z]+\d+$/,
    'e.g. us-central1',
    'Region of the endpoint.',
  ),
  project: z.string().min(1).describe('Project ID; the gcloud default when absent.').optional(),
  'deployed-model': nameTemplate('Display name of the deployed model that serves a version.', '{{version}}'),
  ...timingShape,
})
  .superRefine(checkTiming, always)
  .transform((t) => ({
    type: t.type,
    endpoint: t.endpoint,
    region: t.region,
    ...(t.project === undefined ? {} : { project: t.project }),
    deployedModel: t['deployed-model'],
    ...timing(t),
  }))
  .describe(
    'Vertex AI: the endpoint traffic split by deployed model ID (gcloud ai endpoints update --traffic-split).',
  );

const seldonTarget = strict({
  type: z.literal('seldon').describe('A Seldon Core v2 Experiment, driven with kubectl.'),
  experiment: kubeObject(
    "Experiment name; defaults to the model's key. Clients call `<experiment>.experiment`.",
  ).optional(),
  namespace,
  context: context.optional(),
  'model-name': nameTemplate('Seldon Model that serves a version.', '{{model}}-{{version}}'),
  ...timingShape,
})
  .superRefine(checkTiming, always)
  .transform((t) => ({
    type: t.type,
    ...(t.experiment === undefined ? {} : { experiment: t.experiment }),
    namespace: t.namespace,
    ...(t.context === undefined ? {} : { context: t.context }),
    modelName: t['model-name'],
    ...timing(t),
  }))
  .describe('Seldon Core v2: candidate weights of an Experiment (kubectl apply), read back with its status.');

/** `strategies:` of a target that does what it declares, less what no such target can do (rolling). */
function declaredStrategies(type: 'http' | 'command') {
  const { refused } = targetCapabilities(type);
  const declarable = TARGET_STRATEGIES.filter((s) => !refused[s]) as [TargetStrategy, ...TargetStrategy[]];
  return z
    .array(
      z.enum(declarable, {
        error: (issue) => {
          const why = refused[issue.input as TargetStrategy];
          return why
            ? `the ${type} target cannot do ${issue.input}, so remove it from target.strategies: ${why}`
            : `unknown strategy ${describeValue(issue.input)} (known: ${listOf([...declarable])})`;
        },
      }),
    )
    .min(1, { error: 'expected at least one strategy' })
    .default(['canary'])
    .describe(
      `Strategies your ${type === 'http' ? 'serving layer' : 'commands'} can carry out (default [canary]); never ${Object.keys(refused).join(', ')} (docs/targets/${type}.md).`,
    );
}

const httpTarget = strict({
  type: z.literal('http').describe('Your own serving layer implementing docs/http-target.openapi.yaml.'),
  url: httpUrl,
  headers: httpHeaders(
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${NAME} is config syntax, not a template
    'Headers sent with every request, e.g. Authorization: "Bearer ${SERVING_TOKEN}".',
  ).default({}),
  strategies: declaredStrategies('http'),
  ...timingShape,
})
  .superRefine(checkTiming, always)
  .transform((t) => ({
    type: t.type,
    url: t.url,
    headers: t.headers,
    strategies: t.strategies,
    ...timing(t),
  }))
  .describe('HTTP: GET/PUT {url}/traffic and GET {url}/capabilities (docs/http-target.openapi.yaml).');

const PLACEHOLDERS = Object.keys(COMMAND_VALUES).map((name) => `{{${name}}}`);

/**
 * Why an argument with braces is not one of the placeholders. One that is a placeholder on its
 * own already has its own list item: the name is unknown (`{{model}}`), or spaced (`{{ weight }}`).
 */
function misplacedPlaceholder(arg: string): string {
  const single = /^\{\{([^{}]*)\}\}$/.exec(arg);
  if (single) {
    const name = (single[1] ?? '').trim();
    if (PLACEHOLDERS.includes(`{{${name}}}`))
      return `write {{${name}}} without spaces inside the braces, got ${describeValue(arg)}`;
    return `unknown placeholder ${describeValue(arg)} (known: ${PLACEHOLDERS.join(', ')})`;
  }
  return `placeholders are replaced as whole arguments only (${PLACEHOLDERS.join(', ')}): put each in its own list item, got ${describeValue(arg)}`;
}
/** Why `apply`'s argument is refused: braces that are not a placeholder on its own. */
const applyArgumentProblem = (arg: string) =>
  !PLACEHOLDERS.includes(arg) && /\{\{|\}\}/.test(arg) ? misplacedPlaceholder(arg) : undefined;

/** Why `read`'s argument is refused: any braces, since read's arguments are passed as written. */
const readArgumentProblem = (arg: string) =>
  /\{\{|\}\}/.test(arg)
    ? `read is given no placeholders; it prints what serves, whatever was asked: remove ${describeValue(arg)}`
    : undefined;

/** A program and its arguments; `problemOf` says why an argument is refused. */
const argv = (description: string, problemOf: (arg: string) => string | undefined) =>
  z
    .array(z.string().min(1, { error: 'expected a non-empty argument' }))
    .min(1, { error: 'expected a program and its arguments, got an empty list' })
    .superRefine((args, ctx) => {
      args.forEach((arg, i) => {
        if (typeof arg !== 'string') return;
        const message =
          i === 0 && PLACEHOLDERS.includes(arg)
            ? `expected a program, got the placeholder ${arg}`
            : problemOf(arg);
        if (message) ctx.addIssue({ code: 'custom', input: arg, path: [i], message });
      });
    })
    .describe(description);

const commandTarget = strict({
  type: z.literal('command').describe('Your own commands, run without a shell.'),
  apply: argv(
    'Program and arguments that make the platform serve a traffic state: {{stable}}, {{candidate}} (empty when none), {{weight}} (percent), {{mirror}} and {{mirror-share}} (a shadow), {{sticky-header}} (an A/B key) are replaced as whole arguments; also in MODEL_GATE_STABLE, MODEL_GATE_CANDIDATE, MODEL_GATE_WEIGHT, MODEL_GATE_MIRROR, MODEL_GATE_MIRROR_SHARE, MODEL_GATE_STICKY_HEADER.',
    applyArgumentProblem,
  ),
  read: argv(
    'Program and arguments that print the served state as JSON: {"stable":{"version":"v1"},"canary":{"version":"v2","weight":10}}, with "mirror":{"version","share"} and "sticky":{"header"} when served.',
    readArgumentProblem,
  ),
  timeout: duration('Longest one command may take (default "60s").').prefault('60s'),
  'settle-timeout': duration(
    'Longest one traffic change may take: every apply (run again every poll-interval while one exits 75, busy: another change holds the platform) and the read after them (default "10m").',
  ).prefault('10m'),
  'poll-interval': timingShape['poll-interval'],
  strategies: declaredStrategies('command'),
})
  .superRefine(checkTiming, always)
  .transform((t) => ({
    type: t.type,
    apply: t.apply,
    read: t.read,
    ...timing(t),
    strategies: t.strategies,
  }))
  .describe('Command: your apply and read commands, with the versions and weight as arguments.');

/** Serving platforms. Add a variant here (and to types.ts) for a new `type:`. */
export const targetSchema = z
  .discriminatedUnion(
    'type',
    [
      sandboxTarget,
      kserveTarget,
      sagemakerTarget,
      azuremlTarget,
      vertexTarget,
      seldonTarget,
      httpTarget,
      commandTarget,
    ],
    { error: unknownVariant('target type') },
  )
  .describe('The serving platform the candidate is deployed to.');
