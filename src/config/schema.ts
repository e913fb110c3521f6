import { z } from 'zod';
import { DURATION_PATTERN, formatDuration, parseDuration } from './duration.js';
import { describeValue, didYouMean, listOf, unknownKeyMessage } from './messages.js';
import { PERCENT_PATTERN, parsePercent } from './percent.js';
import { relativePathProblem } from './relative-path.js';
import { type Config, SANDBOX_QUERIES } from './types.js';

/**
 * The schema of `.github/model-gate.yml` as users write it (kebab-case keys, durations and
 * percentages as text) whose output is the normalised `Config` of types.ts. The JSON Schema
 * for editors is exported from this same schema (json-schema.ts).
 *
 * Cross-field checks use `when: always` so that every problem is reported in one pass, even
 * when a sibling field is already wrong; they therefore read their input defensively.
 */

const always = { when: () => true };

type Loose = Record<string, unknown>;
const asRecord = (value: unknown): Loose | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Loose) : undefined;
const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** A mapping that refuses unknown keys, with a "did you mean" hint for near misses. */
function strict<S extends z.core.$ZodLooseShape>(shape: S) {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? // One line per key; parseConfig splits them and points at each key.
          issue.keys.map((key) => unknownKeyMessage(key, allowed)).join('\n')
        : undefined,
  });
}

/** The message for an unknown or missing `type:` / `kind:` of a discriminated union. */
function unknownVariant(noun: string) {
  return (issue: z.core.$ZodRawIssue): string | undefined => {
    if (issue.code !== 'invalid_union' || !('discriminator' in issue)) return undefined;
    const options = (issue as { options?: unknown[] }).options ?? [];
    const found = asRecord(issue.input)?.[String(issue.discriminator)];
    if (found === undefined) return `required (${noun}: ${listOf(options)})`;
    return `unknown ${noun} ${describeValue(found)} (known: ${listOf(options)})`;
  };
}

const DURATION_EXAMPLES = '"500ms", "30s", "10m", "1h30m" or "2d"';

/** Text such as `10m` -> milliseconds, more than zero. */
function duration(description: string) {
  return z
    .string({
      error: (issue) =>
        typeof issue.input === 'number'
          ? `expected a duration such as ${DURATION_EXAMPLES}, got the bare number ${issue.input} (add a unit: ms, s, m, h or d)`
          : undefined,
    })
    .regex(DURATION_PATTERN, {
      error: (issue) => `expected a duration such as ${DURATION_EXAMPLES}, got ${describeValue(issue.input)}`,
    })
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined || ms === 0) {
        ctx.issues.push({
          code: 'custom',
          input: text,
          message: `expected a duration longer than 0s and shorter than a lifetime, got ${describeValue(text)}`,
        });
        return z.NEVER;
      }
      return ms;
    })
    .describe(description);
}

/** Text such as `10%` -> 0.1. Bare numbers are refused: `10` and `0.1` are both plausible. */
function percent(description: string, max?: number) {
  return z
    .string({
      error: (issue) => {
        if (typeof issue.input !== 'number') return undefined;
        const n = issue.input;
        const asFraction =
          n > 0 && n < 1 ? ` (or "${Number((n * 100).toPrecision(12))}%" if ${n} is a fraction)` : '';
        return `expected a percentage such as "10%", got the bare number ${n}; write "${n}%"${asFraction}`;
      },
    })
    .regex(PERCENT_PATTERN, {
      error: (issue) => `expected a percentage such as "10%" or "12.5%", got ${describeValue(issue.input)}`,
    })
    .transform((text, ctx) => {
      const fraction = parsePercent(text) ?? Number.NaN;
      if (max !== undefined && fraction > max) {
        ctx.issues.push({
          code: 'custom',
          input: text,
          message: `expected a percentage of at most ${max * 100}%, got ${describeValue(text)}`,
        });
        return z.NEVER;
      }
      return fraction;
    })
    .describe(description);
}

/** A file in the repository: relative, without `..`. */
function repoPath(description: string) {
  return z
    .string()
    .superRefine((path, ctx) => {
      const problem = relativePathProblem(path);
      if (problem) {
        ctx.addIssue({
          code: 'custom',
          input: path,
          message: `expected a path relative to the repository root without "..", got ${describeValue(path)} (it ${problem})`,
        });
      }
    })
    .describe(description);
}

const DOTTED_KEY = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

function dottedKey(description: string) {
  return z
    .string()
    .regex(DOTTED_KEY, {
      error: (issue) =>
        `expected a key or a dotted path such as "model.version" (letters, digits, _ and - between dots), got ${describeValue(issue.input)}`,
    })
    .describe(description);
}

const httpUrl = z
  .string()
  .superRefine((text, ctx) => {
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      ctx.addIssue({
        code: 'custom',
        input: text,
        message: `expected an http:// or https:// URL, got ${describeValue(text)}`,
      });
    }
  })
  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${NAME} is config syntax, not a template
  .describe('Base URL (http or https); "${NAME}" reads it from the environment.');

const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const MODEL_NAME_RULE =
  "lowercase letters, digits, '-', '_' and '.', 1-63 characters, starting with a letter or digit";

const modelName = z.string().regex(MODEL_NAME, {
  error: (issue) => `invalid model name ${describeValue(issue.input)} (${MODEL_NAME_RULE})`,
});

const servedModelName = z
  .string()
  .regex(MODEL_NAME, {
    error: (issue) => `expected a model name (${MODEL_NAME_RULE}), got ${describeValue(issue.input)}`,
  })
  .describe("Name of the model on the platform; defaults to the model's key under `models:`.");

// ── targets and metric sources ──────────────────────────────────────────────────────────

const sandboxTarget = strict({
  type: z.literal('sandbox').describe('The embedded serving router of `model-gate sandbox`.'),
  url: httpUrl,
  model: servedModelName.optional(),
}).describe('A running `model-gate sandbox` (or the one the demo starts).');

/** Serving platforms. Add a variant here (and to types.ts) for a new `type:`. */
const targetSchema = z
  .discriminatedUnion('type', [sandboxTarget], { error: unknownVariant('target type') })
  .describe('The serving platform the candidate is deployed to.');

const sandboxMetrics = strict({
  type: z.literal('sandbox').describe('The metrics of a `model-gate sandbox`.'),
  url: httpUrl,
  model: servedModelName.optional(),
}).describe('Metrics from a running `model-gate sandbox`.');

/** Metric sources. Add a variant here (and to types.ts) for a new `type:`. */
const metricsSchema = z
  .discriminatedUnion('type', [sandboxMetrics], { error: unknownVariant('metrics type') })
  .describe('Where the gates read live metrics.');

// ── strategies ──────────────────────────────────────────────────────────────────────────

const stepMessage = (input: unknown) =>
  `expected a number between 0 and 100${input === 0 ? ' (more than 0)' : ''}, got ${describeValue(input)}`;
const step = z
  .number({ error: (issue) => stepMessage(issue.input) })
  .gt(0, { error: (issue) => stepMessage(issue.input) })
  .lte(100, { error: (issue) => stepMessage(issue.input) });

const steps = z
  .array(step)
  .min(1, { error: 'expected at least one step, got an empty list' })
  .superRefine((values, ctx) => {
    let highest: number | undefined;
    values.forEach((value, i) => {
      if (!finite(value) || value <= 0 || value > 100) return;
      if (highest !== undefined && value <= highest) {
        ctx.addIssue({
          code: 'custom',
          input: value,
          path: [i],
          message: `expected more than ${highest} (steps must increase), got ${value}`,
        });
      }
      highest = Math.max(highest ?? value, value);
    });
  }, always)
  .describe('Percent of live traffic on the candidate at each step: strictly increasing, each in (0, 100].');

const canaryStrategy = strict({
  type: z.literal('canary').describe('Shift live traffic to the candidate in steps.'),
  steps,
  'step-duration': duration(
    'Longest a step may last (e.g. "10m"); a step ends early once every gate has passed.',
  ).prefault('10m'),
  'min-requests': z
    .int()
    .min(0)
    .default(100)
    .describe('Candidate requests needed in a step before its gates can pass.'),
  interval: duration('How often the gates are measured (e.g. "30s"); shorter than step-duration.').prefault(
    '30s',
  ),
})
  .superRefine((value, ctx) => {
    const { 'step-duration': stepMs, interval } = value as Loose;
    if (finite(stepMs) && finite(interval) && interval >= stepMs) {
      ctx.addIssue({
        code: 'custom',
        input: interval,
        path: ['interval'],
        message: `expected less than step-duration (${formatDuration(stepMs)}), got ${formatDuration(interval)}`,
      });
    }
  }, always)
  .transform((s) => ({
    type: s.type,
    steps: s.steps,
    stepDurationMs: s['step-duration'],
    minRequests: s['min-requests'],
    intervalMs: s.interval,
  }))
  .describe('A canary: the candidate gets `steps` percent of live traffic in turn; gates decide each step.');

/** Release strategies. Add a variant here (and to types.ts) for a new `type:`. */
const strategySchema = z
  .discriminatedUnion('type', [canaryStrategy], { error: unknownVariant('strategy type') })
  .describe('How traffic moves to the candidate.');

// ── gates ───────────────────────────────────────────────────────────────────────────────

const GATE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const gateName = z
  .string()
  .regex(GATE_NAME, {
    error: (issue) =>
      `expected a gate name (letters, digits, '.', '_' and '-', 1-63 characters, starting with a letter or digit), got ${describeValue(issue.input)}`,
  })
  .describe('Unique within the model; shown in reports.');

/** `min <= max`, and at least one of `bounds` present. */
function checkBounds(kind: string, bounds: readonly string[]) {
  return (value: unknown, ctx: z.core.$RefinementCtx) => {
    const gate = asRecord(value);
    if (!gate) return;
    if (bounds.every((b) => gate[b] === undefined)) {
      ctx.addIssue({
        code: 'custom',
        input: value,
        message: `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} gate needs at least one of ${listOf(bounds).replaceAll('"', '')}`,
      });
    }
    if (finite(gate.min) && finite(gate.max) && gate.min > gate.max) {
      ctx.addIssue({
        code: 'custom',
        input: gate.min,
        path: ['min'],
        message: `expected at most max (${gate.max}), got ${gate.min}`,
      });
    }
  };
}

const limit = (description: string) => z.int().min(0).describe(description);

const thresholdGate = strict({
  name: gateName,
  kind: z.literal('threshold').describe('A scalar per slot against bounds.'),
  query: z
    .string()
    .min(1)
    .describe(`The metric; for the sandbox source one of: ${SANDBOX_QUERIES.join(', ')}.`),
  max: z.number().optional().describe("Upper bound on the candidate's value."),
  min: z.number().optional().describe("Lower bound on the candidate's value."),
  'max-increase': percent(
    'Largest tolerated increase over the stable (baseline) value, e.g. "10%".',
  ).optional(),
  'max-decrease': percent(
    'Largest tolerated decrease below the stable (baseline) value, e.g. "5%" (at most 100%).',
    1,
  ).optional(),
  'failure-limit': limit('Failed measurements tolerated before the gate fails.').default(0),
  'inconclusive-limit': limit(
    'Inconclusive measurements (no or NaN data) tolerated before the gate fails; default: until the step deadline.',
  ).optional(),
  'consecutive-error-limit': limit('Consecutive query errors tolerated before the gate fails.').default(4),
})
  .superRefine(checkBounds('threshold', ['max', 'min', 'max-increase', 'max-decrease']), always)
  .transform((g) => ({
    kind: g.kind,
    name: g.name,
    query: g.query,
    ...(g.max === undefined ? {} : { max: g.max }),
    ...(g.min === undefined ? {} : { min: g.min }),
    ...(g['max-increase'] === undefined ? {} : { maxIncrease: g['max-increase'] }),
    ...(g['max-decrease'] === undefined ? {} : { maxDecrease: g['max-decrease'] }),
    failureLimit: g['failure-limit'],
    ...(g['inconclusive-limit'] === undefined ? {} : { inconclusiveLimit: g['inconclusive-limit'] }),
    consecutiveErrorLimit: g['consecutive-error-limit'],
  }))
  .describe('Live metric per slot against absolute bounds and/or relative to the stable baseline.');

const offlineGate = strict({
  name: gateName,
  kind: z.literal('offline').describe("A value from a file the PR's own evaluation produced."),
  file: repoPath('YAML or JSON file in the PR, relative to the repository root.'),
  key: dottedKey('Dotted key of the number in that file, e.g. "metrics.auc".'),
  min: z.number().optional().describe('Lowest acceptable value.'),
  max: z.number().optional().describe('Highest acceptable value.'),
})
  .superRefine(checkBounds('offline', ['min', 'max']), always)
  .transform((g) => ({
    kind: g.kind,
    name: g.name,
    file: g.file,
    key: g.key,
    ...(g.min === undefined ? {} : { min: g.min }),
    ...(g.max === undefined ? {} : { max: g.max }),
  }))
  .describe('Checked before anything is deployed: a number from a file in the PR against bounds.');

const gatesSchema = z
  .array(z.discriminatedUnion('kind', [thresholdGate, offlineGate], { error: unknownVariant('gate kind') }))
  .superRefine((gates, ctx) => {
    const seen = new Map<string, number>();
    gates.forEach((gate, i) => {
      const name = asRecord(gate)?.name;
      if (typeof name !== 'string') return;
      const first = seen.get(name);
      if (first === undefined) seen.set(name, i);
      else {
        ctx.addIssue({
          code: 'custom',
          input: name,
          path: [i, 'name'],
          message: `duplicate gate name ${describeValue(name)} (also gates[${first}])`,
        });
      }
    });
  }, always)
  .describe('The checks that decide each step; `[]` for none.');

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
  for (const [name, entry] of Object.entries(models)) {
    const model = asRecord(entry);
    if (!model) continue;
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
    const metrics = asRecord(model.metrics ?? defaults?.metrics);
    if (metrics?.type !== 'sandbox' || !Array.isArray(model.gates)) continue;
    model.gates.forEach((entry, i) => {
      const gate = asRecord(entry);
      const query = gate?.query;
      if (gate?.kind !== 'threshold' || typeof query !== 'string' || query === '') return;
      if ((SANDBOX_QUERIES as readonly string[]).includes(query)) return;
      const hint = didYouMean(query, SANDBOX_QUERIES);
      ctx.addIssue({
        code: 'custom',
        input: query,
        path: ['models', name, 'gates', i, 'query'],
        message: `unknown sandbox query ${describeValue(query)}${hint ? `, did you mean "${hint}"?` : ''} (known: ${SANDBOX_QUERIES.join(', ')})`,
      });
    });
  }
}

function inherited<T>(own: T | undefined, fallback: T | undefined): T {
  const value = own ?? fallback;
  // checkModels has already refused a model with neither.
  if (value === undefined) throw new Error('model-gate: unreachable: a required field has no default');
  return value;
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
    .describe(`The models to release, by name (${MODEL_NAME_RULE}).`),
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
          gates: m.gates,
          onMerge: m['on-merge'] ?? defaults?.['on-merge'] ?? 'require-pass',
          mustHaveData: m['must-have-data'] ?? defaults?.['must-have-data'] ?? true,
        },
      ]),
    );
    return { version: raw.version, models };
  })
  .describe('model-gate configuration (.github/model-gate.yml): gated releases of ML models.');

// The schema's output is exactly the engine's `Config`, checked both ways at compile time.
type Assert<T extends true> = T;
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type ConfigSchemaOutputIsConfig = Assert<Mutual<z.output<typeof configSchema>, Config>>;
