import { z } from 'zod';
import { BUCKET_SOURCES, NO_BUCKETS } from '../metrics/capabilities.js';
import { templateProblem } from '../metrics/template.js';
import { type StrategyRefusal, strategyRefusal } from '../targets/capabilities.js';
import { driftWatchSchema } from './drift-watch-schema.js';
import { always, asRecord, dottedKey, MODEL_NAME_RULE, modelName, repoPath, strict } from './fields.js';
import { checkSourceQueries, SANDBOX_NAMED } from './gate-queries.js';
import { checkAgreementTolerance, checkShareBounds, gatesSchema, withSandboxNames } from './gate-schema.js';
import { describeValue, formatPath } from './messages.js';
import { metricsSchema } from './metrics-schema.js';
import { checkSandboxNames } from './sandbox-names.js';
import { checkSharedTargets } from './shared-target.js';
import { checkAbGates, checkAbSplit, checkFirstPhaseFull, checkGatesForStrategy } from './strategy-gates.js';
import { strategySchema } from './strategy-schema.js';
import { keyNameProblem, targetSchema } from './target-schema.js';
import { type Config, type MetricsConfig, SIDE_BY_SIDE_KINDS } from './types.js';

/**
 * The schema of `.github/model-gate.yml` as users write it (kebab-case keys, durations and
 * percentages as text) whose output is the normalised `Config` of types.ts. The JSON Schema
 * for editors is exported from this same schema (json-schema.ts).
 *
 * Cross-field checks use `when: always` so that every problem is reported in one pass, even
 * when a sibling field is already wrong; they therefore read their input defensively.
 */

// ── models ──────────────────────────────────────────────────────────────────────────────

const sourceSchema = strict({
  file: repoPath('YAML or JSON file that declares the version, relative to the repository root.'),
  key: dottedKey('Dotted key of the version in that file, e.g. "version" or "model.version".'),
}).describe('Where the PR declares the model version.');

const onMerge = z
  .enum(['require-pass', 'analyze-then-promote'])
  .describe(
    'On merge, promote only a candidate that passed (require-pass) or analyse first (analyze-then-promote).',
  );

const mustHaveData = z
  .boolean()
  .describe(
    'Missing data is inconclusive until the step deadline, then a failure (true) or ignored (false).',
  );

const modelSchema = strict({
  source: sourceSchema,
  target: targetSchema.optional(),
  metrics: metricsSchema.optional(),
  strategy: strategySchema.optional(),
  gates: gatesSchema,
  'on-merge': onMerge.optional(),
  'must-have-data': mustHaveData.optional(),
  'drift-watch': driftWatchSchema.optional(),
}).describe('One model: where its version is declared, where it is served, how it is released and gated.');

const defaultsSchema = strict({
  target: targetSchema.optional(),
  metrics: metricsSchema.optional(),
  strategy: strategySchema.optional(),
  'on-merge': onMerge.optional(),
  'must-have-data': mustHaveData.optional(),
}).describe('Used as a whole by every model that omits the same field.');

const INHERITED = ['target', 'metrics', 'strategy'] as const;

/** Checks that need `defaults` and a model together. */
function checkModels(value: unknown, ctx: z.core.$RefinementCtx) {
  const root = asRecord(value);
  const models = asRecord(root?.models);
  if (!root || !models) return;
  const defaults = asRecord(root.defaults);
  checkAbSplit(asRecord(defaults?.strategy), ['defaults', 'strategy'], ctx);
  checkSharedTargets(models, defaults, ctx);
  for (const [name, entry] of Object.entries(models)) {
    const model = asRecord(entry);
    if (!model) continue;
    checkAbSplit(asRecord(model.strategy), ['models', name, 'strategy'], ctx);
    for (const field of INHERITED) {
      if (model[field] === undefined && defaults?.[field] === undefined) {
        ctx.addIssue({
          code: 'custom',
          input: undefined,
          path: ['models', name, field],
          message: `required (or set defaults.${field})`,
        });
      }
    }
    const keyName = keyNameProblem(model.target ?? defaults?.target, name, model.target === undefined);
    if (keyName) {
      ctx.addIssue({ code: 'custom', input: undefined, message: keyName, path: ['models', name, 'target'] });
    }
    // A strategy the platform cannot do is refused now, with the reason, not mid-release.
    const refusal = strategyRefusal(model.target ?? defaults?.target, model.strategy ?? defaults?.strategy);
    if (refusal) ctx.addIssue(refusalIssue(refusal, name, model.strategy !== undefined));
    const smokeWithoutUrl = missingSmokeUrl(
      model.target ?? defaults?.target,
      model.strategy ?? defaults?.strategy,
    );
    if (smokeWithoutUrl) {
      ctx.addIssue({
        code: 'custom',
        input: undefined,
        message: smokeWithoutUrl,
        path: [
          ...(model.strategy !== undefined ? ['models', name] : ['defaults']),
          'strategy',
          'smoke',
          'url',
        ],
      });
    }
    const metrics = asRecord(model.metrics ?? defaults?.metrics);
    checkMetricsServe(metrics, model, ['models', name], ctx);
    checkSourceQueries(metrics, model, asRecord(model.strategy ?? defaults?.strategy), ['models', name], ctx);
    if (!Array.isArray(model.gates)) continue;
    const strategy = asRecord(model.strategy ?? defaults?.strategy);
    const gatesPath = ['models', name, 'gates'];
    checkBakeGates(strategy, model.gates, gatesPath, ctx);
    checkGatesForStrategy(strategy, model.gates, metrics?.type, gatesPath, ctx);
    checkAbGates(
      strategy,
      model.gates,
      metrics?.type,
      asRecord(model.target ?? defaults?.target),
      gatesPath,
      ctx,
    );
    const strategyPath =
      model.strategy !== undefined ? ['models', name, 'strategy'] : ['defaults', 'strategy'];
    checkFirstPhaseFull(strategy, model.gates, strategyPath, gatesPath, ctx);
    checkAgreementTolerance(model.gates, metrics?.type, gatesPath, ctx);
    if (metrics?.type !== 'sandbox') {
      checkGateTemplates(model.gates, ['models', name, 'gates'], ctx);
      continue;
    }
    checkShareBounds(model.gates, gatesPath, ctx);
    checkSandboxNames(model, ['models', name], ctx);
  }
}

/**
 * Where a refusal is reported: at the value to blame (`steps[1]`) in the model's own strategy; else
 * at the strategy, or at the model's target when the strategy is the defaults' (another model's
 * target may take it), naming the value in `defaults`. Kept under the model, so that a run of
 * another model (a matrix job, load.ts `only`) is not stopped by it.
 */
function refusalIssue(refusal: StrategyRefusal, name: string, ownStrategy: boolean) {
  const issue = { code: 'custom' as const, input: undefined };
  if (refusal.at === undefined) {
    return {
      ...issue,
      message: refusal.message,
      path: ['models', name, ownStrategy ? 'strategy' : 'target'],
    };
  }
  if (ownStrategy)
    return { ...issue, message: refusal.message, path: ['models', name, 'strategy', ...refusal.at] };
  return {
    ...issue,
    message: `${refusal.message} (in ${formatPath(['defaults', 'strategy', ...refusal.at])}, which this model takes)`,
    path: ['models', name, 'target'],
  };
}

/**
 * A gate (or drift watch) the metric source cannot serve would error at every look and roll the
 * release back, blaming the metrics: refused now, with what to use instead.
 */
function checkMetricsServe(
  metrics: Record<string, unknown> | undefined,
  model: Record<string, unknown>,
  path: (string | number)[],
  ctx: z.core.$RefinementCtx,
) {
  const type = metrics?.type;
  const instead = typeof type === 'string' ? NO_BUCKETS[type as MetricsConfig['type']] : undefined;
  if (!instead) return;
  const missing = `the ${type} metric source has no histogram buckets`;
  const gates = Array.isArray(model.gates) ? model.gates : [];
  gates.forEach((entry, i) => {
    const kind = asRecord(entry)?.kind;
    if (kind !== 'latency' && kind !== 'drift') return;
    const fix = kind === 'latency' ? `use kind: threshold with ${instead}, or ` : 'use ';
    ctx.addIssue({
      code: 'custom',
      input: kind,
      path: [...path, 'gates', i, 'kind'],
      message: `${missing}, which a ${kind} gate needs; ${fix}a ${BUCKET_SOURCES} metric source`,
    });
  });
  if (model['drift-watch'] !== undefined) {
    ctx.addIssue({
      code: 'custom',
      input: undefined,
      path: [...path, 'drift-watch'],
      message: `${missing}, which a drift watch compares; use a ${BUCKET_SOURCES} metric source for this model`,
    });
  }
}

/**
 * A blue-green bake sends all live traffic to green: no stable traffic runs beside it, so a gate
 * that compares the two at the same time could never judge, and would fail every bake.
 */
function checkBakeGates(
  strategy: Record<string, unknown> | undefined,
  gates: unknown[],
  path: (string | number)[],
  ctx: z.core.$RefinementCtx,
) {
  if (strategy?.type !== 'blue-green') return;
  gates.forEach((entry, i) => {
    const kind = asRecord(entry)?.kind;
    if (!SIDE_BY_SIDE_KINDS.some((k) => k === kind)) return;
    ctx.addIssue({
      code: 'custom',
      input: kind,
      path: [...path, i, 'kind'],
      message: `a ${kind} gate compares green with blue's traffic at the same time, but the blue-green bake sends all traffic to green; use a threshold gate (max-increase compares with blue just before the switch)`,
    });
  });
}

const watchWithSandboxName = <W extends { buckets?: string }>(watch: W) => ({
  ...watch,
  buckets: watch.buckets ?? SANDBOX_NAMED['drift-watch'].buckets,
});

function inherited<T>(own: T | undefined, fallback: T | undefined): T {
  const value = own ?? fallback;
  // checkModels has already refused a model with neither.
  if (value === undefined) throw new Error('model-gate: unreachable: a required field has no default');
  return value;
}

/** Gate fields that are query templates of the metric source (not names, as on the sandbox). */
const QUERY_FIELDS = ['query', 'events', 'total', 'buckets', 'conversions', 'exposures'] as const;

/** A typo such as {{slott}} in a gate's query is refused now, not at the first look mid-release. */
function checkGateTemplates(gates: unknown[], path: (string | number)[], ctx: z.core.$RefinementCtx) {
  gates.forEach((entry, i) => {
    const gate = asRecord(entry);
    for (const field of QUERY_FIELDS) {
      const text = gate?.[field];
      const problem = typeof text === 'string' ? templateProblem(text) : undefined;
      if (problem) ctx.addIssue({ code: 'custom', input: text, path: [...path, i, field], message: problem });
    }
  });
}

/** Only the sandbox has a known route to one version; elsewhere the smoke test needs its URL. */
function missingSmokeUrl(target: unknown, strategy: unknown): string | undefined {
  const type = asRecord(target)?.type;
  const smoke = asRecord(asRecord(strategy)?.smoke);
  if (!smoke || smoke.url !== undefined || type === 'sandbox' || typeof type !== 'string') return undefined;
  return `required with the ${type} target: the URL where green (the candidate) answers directly, with {{model}} and {{version}} filled in, e.g. https://models.example.com/{{model}}/{{version}}/predict`;
}

export const configSchema = strict({
  version: z
    .literal(1, {
      error: (issue) =>
        issue.input === undefined
          ? 'required (write "version: 1")'
          : `expected 1 (the only config version so far), got ${describeValue(issue.input)}`,
    })
    .describe('Version of this file format: 1.'),
  defaults: defaultsSchema.optional(),
  'allow-forks': z
    .boolean()
    .default(false)
    .describe(
      'Deploy candidates from pull requests opened from forks (their code is not trusted by default).',
    ),
  models: z
    .record(modelName, modelSchema, {
      error: (issue) =>
        issue.code === 'invalid_type' && issue.input === undefined
          ? 'required (a mapping from each model name to its settings)'
          : undefined,
    })
    .superRefine(
      (models, ctx) => {
        if (asRecord(models) && Object.keys(models).length === 0) {
          ctx.addIssue({ code: 'custom', input: models, message: 'expected at least one model, got none' });
        }
        // A model refused for its name is not missing: it has its own message.
      },
      { when: (payload) => !payload.issues.some((issue) => issue.code === 'invalid_key') },
    )
    // The superRefine's "at least one model", said to editors too.
    .meta({ description: `The models to release, by name (${MODEL_NAME_RULE}).`, minProperties: 1 }),
})
  .superRefine(checkModels, always)
  .transform((raw) => {
    const defaults = raw.defaults;
    const models = Object.fromEntries(
      Object.entries(raw.models).map(([name, m]) => [
        name,
        {
          name,
          source: m.source,
          target: inherited(m.target, defaults?.target),
          metrics: inherited(m.metrics, defaults?.metrics),
          strategy: inherited(m.strategy, defaults?.strategy),
          // Queries left out take the sandbox's names only where checkSourceQueries allowed it.
          gates: m.gates.map(withSandboxNames),
          onMerge: m['on-merge'] ?? defaults?.['on-merge'] ?? 'require-pass',
          mustHaveData: m['must-have-data'] ?? defaults?.['must-have-data'] ?? true,
          ...(m['drift-watch'] ? { driftWatch: watchWithSandboxName(m['drift-watch']) } : {}),
        },
      ]),
    );
    return { version: raw.version, allowForks: raw['allow-forks'], models };
  })
  .describe('model-gate configuration (.github/model-gate.yml): gated releases of ML models.');

// The schema's output is exactly the engine's `Config`, checked both ways at compile time.
type Assert<T extends true> = T;
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type ConfigSchemaOutputIsConfig = Assert<Mutual<z.output<typeof configSchema>, Config>>;
