import { z } from 'zod';
import { AGREEMENT_TOLERANCES, agreementWithinQuery } from '../metrics/agreement-within.js';
import {
  always,
  asRecord,
  dottedKey,
  duration,
  finite,
  httpHeaders,
  httpUrl,
  limit,
  percent,
  repoPath,
  strict,
  unknownVariant,
} from './fields.js';
import { SANDBOX_NAMED } from './gate-queries.js';
import { describeValue, fractionErrorMap, listOf } from './messages.js';
import { formatPercent, fractionHint } from './percent.js';
import {
  type GateConfig,
  SANDBOX_BUCKET_QUERIES,
  SANDBOX_COUNT_QUERIES,
  SANDBOX_QUERIES,
  type SandboxQuery,
} from './types.js';

// ── gates ───────────────────────────────────────────────────────────────────────────────

const GATE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const gateName = z
  .string()
  .regex(GATE_NAME, {
    error: (issue) =>
      `expected a gate name (letters, digits, '.', '_' and '-', 1-63 characters, starting with a letter or digit), got ${describeValue(issue.input)}`,
  })
  .describe('Unique within the model; shown in reports.');

/** "At least one of `bounds`" as JSON Schema says it, for the published schema. */
const needsOneOf = (bounds: readonly string[]) => bounds.map((b) => ({ required: [b] }));

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

/** How a description says that a field left out is the sandbox's name, on the sources that take it so. */
const sandboxDefaultNote = (name: string) =>
  ` (default on the sandbox and file sources: "${name}"; required on the others)`;

/**
 * A query whose default is the sandbox's name: filled in (withSandboxNames) only once the config
 * is known to read it from the sandbox or a file; schema.ts refuses it left out elsewhere.
 */
export const sandboxNamed = (name: string, description: string) =>
  z
    .string()
    .min(1)
    .optional()
    .describe(`${description}${sandboxDefaultNote(name)}.`);

/** A histogram query (the latency's, the predictions'), with the sandbox's name as default. */
const bucketsQuery = (name: string, of: string) =>
  sandboxNamed(
    name,
    `Histogram query of ${of} of one slot; for the sandbox source one of: ${SANDBOX_BUCKET_QUERIES.join(', ')}`,
  );

/** Looks that gave no verdict (no data, a query error), tolerated before a gate fails. */
const lookLimits = {
  'inconclusive-limit': limit(
    'Inconclusive looks (no or NaN data) tolerated in a step before the gate fails; default: until the step deadline.',
  ).optional(),
  'consecutive-error-limit': limit(
    'Consecutive query errors tolerated in a step before the gate fails.',
  ).default(4),
};
const lookLimitsOf = (g: { 'inconclusive-limit'?: number; 'consecutive-error-limit': number }) => ({
  ...(g['inconclusive-limit'] === undefined ? {} : { inconclusiveLimit: g['inconclusive-limit'] }),
  consecutiveErrorLimit: g['consecutive-error-limit'],
});
const limitsOf = (g: {
  'failure-limit': number;
  'inconclusive-limit'?: number;
  'consecutive-error-limit': number;
}) => ({
  failureLimit: g['failure-limit'],
  ...lookLimitsOf(g),
});

/**
 * The sandbox queries whose value is a share from 0 to 1. Elsewhere a name ending in `rate` may be
 * a percent or a throughput, so only these bounds are known to be fractions.
 */
export const SANDBOX_SHARES: readonly SandboxQuery[] = [
  'error-rate',
  'null-rate',
  'agreement',
  'conversion-rate',
  'accuracy',
];

/**
 * A threshold's `max: 5` on a share is 500%, which nothing reaches: the gate passes a broken
 * candidate. Refused on the sandbox source, whose shares are known, with the fraction to write.
 */
export function checkShareBounds(gates: unknown[], path: (string | number)[], ctx: z.core.$RefinementCtx) {
  gates.forEach((entry, i) => {
    const gate = asRecord(entry);
    const query = gate?.query;
    if (gate?.kind !== 'threshold' || !SANDBOX_SHARES.some((q) => q === query)) return;
    for (const bound of ['max', 'min'] as const) {
      const value = gate[bound];
      if (!finite(value) || (value >= 0 && value <= 1)) continue;
      const write = fractionHint(value) ?? 'write a fraction from 0 to 1, e.g. 0.05 for 5%';
      ctx.addIssue({
        code: 'custom',
        input: value,
        path: [...path, i, bound],
        message: `${value} on ${query}, a share from 0 to 1: ${write}`,
      });
    }
  });
}

const thresholdGate = strict({
  name: gateName,
  kind: z.literal('threshold').describe('A scalar per slot against bounds.'),
  query: z
    .string()
    .min(1)
    .describe(`The metric; for the sandbox source one of: ${SANDBOX_QUERIES.join(', ')}.`),
  max: z
    .number()
    .optional()
    .describe(
      "Upper bound on the candidate's value, in the query's unit: a share (error-rate) as a fraction, 0.05 for 5%.",
    ),
  min: z
    .number()
    .optional()
    .describe(
      "Lower bound on the candidate's value, in the query's unit: a share (accuracy) as a fraction, 0.9 for 90%.",
    ),
  'max-increase': percent(
    'Largest tolerated increase over the stable (baseline) value, e.g. "10%".',
  ).optional(),
  'max-decrease': percent(
    'Largest tolerated decrease below the stable (baseline) value, e.g. "5%" (at most 100%).',
    1,
  ).optional(),
  'failure-limit': limit('Failed measurements tolerated in a step before the gate fails.').default(0),
  'inconclusive-limit': limit(
    'Inconclusive measurements (no or NaN data) tolerated before the gate fails; default: until the step deadline.',
  ).optional(),
  'consecutive-error-limit': limit(
    'Consecutive query errors tolerated in a step before the gate fails.',
  ).default(4),
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
    ...limitsOf(g),
  }))
  .meta({
    description: 'Live metric per slot against absolute bounds and/or relative to the stable baseline.',
    anyOf: needsOneOf(['max', 'min', 'max-increase', 'max-decrease']),
  });

/** The shadow's agreement with stable, as SPEC names it: a threshold gate on the agreement query. */
const agreementGate = strict({
  name: gateName,
  kind: z
    .literal('agreement')
    .describe(
      'Share of identical (or, with a tolerance, close) predictions, candidate vs stable (a shadow): a lower bound.',
    ),
  query: sandboxNamed(
    SANDBOX_NAMED.agreement.query,
    'The agreement share of one slot; the sandbox source answers "agreement"',
  ),
  min: z
    .number()
    .gt(0)
    .lte(1, { error: fractionErrorMap })
    .default(0.95)
    .describe('Lowest tolerated share of agreeing predictions.'),
  tolerance: z
    .number()
    .min(0)
    .optional()
    .describe(
      `Largest absolute score difference from stable that still agrees, whatever the labels; a failed candidate answer still disagrees. Left out: only identical predictions agree. Sandbox source only, and one of the bounds it counts score differences by: ${AGREEMENT_TOLERANCES.join(', ')}. Another source's query says what agreeing is: write the tolerance into it.`,
    ),
  'failure-limit': thresholdGate.in.shape['failure-limit'],
  'inconclusive-limit': thresholdGate.in.shape['inconclusive-limit'],
  'consecutive-error-limit': thresholdGate.in.shape['consecutive-error-limit'],
})
  // Still `agreement` for the checks that need the source; withSandboxNames makes it a threshold gate.
  .transform((g) => ({
    kind: g.kind,
    name: g.name,
    query: g.query,
    min: g.min,
    ...(g.tolerance === undefined ? {} : { tolerance: g.tolerance }),
    ...limitsOf(g),
  }))
  .describe('Agreement of a shadow with stable; judged as a threshold gate on the agreement query.');

/**
 * A tolerance is the sandbox's to apply, on its agreement query, and exactly only at the bounds
 * of its score-difference histogram (agreement-within.ts). Elsewhere the query defines agreement,
 * and a tolerance beside it would be silently ignored: refused, with where to put it instead.
 */
export function checkAgreementTolerance(
  gates: unknown[],
  source: unknown,
  path: (string | number)[],
  ctx: z.core.$RefinementCtx,
) {
  gates.forEach((entry, i) => {
    const gate = asRecord(entry);
    const tolerance = gate?.tolerance;
    // Below 0 is the schema's to refuse.
    if (gate?.kind !== 'agreement' || !finite(tolerance) || tolerance < 0) return;
    const problem = toleranceProblem(tolerance, source, gate.query);
    if (problem)
      ctx.addIssue({ code: 'custom', input: tolerance, path: [...path, i, 'tolerance'], message: problem });
  });
}

function toleranceProblem(tolerance: number, source: unknown, query: unknown): string | undefined {
  if (typeof source !== 'string') return undefined; // the missing metrics have their own message
  if (source !== 'sandbox') {
    return `tolerance is applied by the sandbox metric source only: with the ${source} source your query says what agreeing is, so count predictions within ${tolerance} of stable's as agreeing in the query itself, and remove tolerance`;
  }
  if (query !== undefined && query !== SANDBOX_NAMED.agreement.query) {
    return `tolerance applies to the sandbox's agreement query only, not ${describeValue(query)}: remove the query (or the tolerance)`;
  }
  if (AGREEMENT_TOLERANCES.includes(tolerance)) return undefined;
  const below = AGREEMENT_TOLERANCES.filter((t) => t < tolerance).at(-1);
  const above = AGREEMENT_TOLERANCES.find((t) => t > tolerance);
  const near = [below, above].filter((t) => t !== undefined).join(' or ');
  return `expected one of ${AGREEMENT_TOLERANCES.join(', ')} on the sandbox source, got ${tolerance}: it counts score differences up to these bounds only, so a tolerance between two would guess; use ${near}`;
}

const offlineGate = strict({
  name: gateName,
  kind: z.literal('offline').describe("A value from a file the PR's own evaluation produced."),
  file: repoPath(
    "YAML or JSON file in the PR, relative to the repository root. The PR must add or change it: left as the base branch has it, it is the serving model's evaluation, and the gate fails.",
  ),
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
  .meta({
    description: 'Checked before anything is deployed: a number from a file in the PR against bounds.',
    anyOf: needsOneOf(['min', 'max']),
  });

// ── statistical gates: ratio, latency, srm ──────────────────────────────────────────────

const judge = z
  .enum(['sequential', 'mann-whitney', 'threshold'])
  .default('sequential')
  .describe(
    'Who decides: "sequential" (anytime-valid: may stop after any look, false alarms at most alpha), "mann-whitney" (Kayenta\'s classifier on one-minute values) or "threshold" (the tolerance look by look).',
  );
const alpha = z
  .number()
  .gt(0)
  .lt(1, { error: fractionErrorMap })
  .default(0.05)
  .describe(
    "False alarm budget, e.g. 0.05; divided by the model's number of gates that spend it (Bonferroni: not those on judge threshold or mann-whitney), so a healthy candidate fails any of them with probability at most this.",
  );
const statisticalLimits = {
  'failure-limit': limit(
    'Failed looks tolerated before the gate fails (a sequential failure is final: keep 0).',
  ).default(0),
  ...lookLimits,
};

const ratioGate = strict({
  name: gateName,
  kind: z
    .literal('ratio')
    .describe('Event counts per slot (errors, null predictions, timeouts) against the baseline.'),
  events: z
    .string()
    .min(1)
    .describe(
      `Count query of the events; for the sandbox source one of: ${SANDBOX_COUNT_QUERIES.join(', ')}.`,
    ),
  total: z
    .string()
    .min(1)
    .default('requests')
    .describe(
      'Count query of what the events are out of (default "requests"; "answered" for null predictions).',
    ),
  'max-increase': percent(
    'Largest tolerated increase of the candidate\'s rate over the baseline\'s, e.g. "10%".',
  ),
  judge,
  alpha,
  ...statisticalLimits,
})
  .transform((g) => ({
    kind: g.kind,
    name: g.name,
    events: g.events,
    total: g.total,
    maxIncrease: g['max-increase'],
    judge: g.judge,
    alpha: g.alpha,
    ...limitsOf(g),
  }))
  .describe(
    'Event rates per slot compared with the baseline: fails on a credible increase beyond max-increase.',
  );

const latencyGate = strict({
  name: gateName,
  kind: z
    .literal('latency')
    .describe('A latency quantile per slot, from histogram buckets, against the baseline.'),
  buckets: bucketsQuery(SANDBOX_NAMED.latency.buckets, 'the latency'),
  quantile: z
    .number()
    .gt(0)
    .lt(1, { error: fractionErrorMap })
    .describe('The quantile judged, e.g. 0.95 for p95.'),
  'max-increase': percent(
    'Largest tolerated increase of the share of candidate requests slower than the baseline\'s quantile, e.g. "10%" (5% of requests slower than the baseline p95 may become 5.5%).',
  ),
  reference: duration(
    "Stable-only traffic before the step the baseline's quantile is read from (default 10m; the step's own baseline when there is too little).",
  ).optional(),
  judge,
  alpha,
  ...statisticalLimits,
})
  .transform((g) => ({
    kind: g.kind,
    name: g.name,
    buckets: g.buckets,
    quantile: g.quantile,
    maxIncrease: g['max-increase'],
    referenceMs: g.reference ?? 600_000,
    judge: g.judge,
    alpha: g.alpha,
    ...limitsOf(g),
  }))
  .describe(
    'Latency per slot compared with the baseline: fails when credibly more requests are slower than its quantile.',
  );

const driftGate = strict({
  name: gateName,
  kind: z
    .literal('drift')
    .describe("The candidate's prediction distribution against the baseline's (e.g. shadow scores)."),
  buckets: bucketsQuery(SANDBOX_NAMED.drift.buckets, 'the predictions'),
  'max-distance': z
    .number()
    .gt(0)
    .lt(1, { error: fractionErrorMap })
    .default(0.1)
    .describe('Tolerated Kolmogorov-Smirnov distance between the two distributions (default 0.1).'),
  alpha,
  ...statisticalLimits,
})
  .transform((g) => ({
    kind: g.kind,
    name: g.name,
    buckets: g.buckets,
    maxDistance: g['max-distance'],
    alpha: g.alpha,
    ...limitsOf(g),
  }))
  .describe(
    'Prediction drift, candidate vs baseline: a time-uniform KS test; fails when the distance credibly exceeds max-distance.',
  );

const webhookGate = strict({
  name: gateName,
  kind: z
    .literal('webhook')
    .describe('An external check (a load test, a manual approval) answering pass, fail or waiting.'),
  url: httpUrl.describe('Where each look POSTs its check (docs/webhook-gate.openapi.yaml).'),
  headers: httpHeaders(
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${NAME} is config syntax, not a template
    'Headers sent with every check, e.g. "authorization: Bearer ${CHECK_TOKEN}" (masked in logs).',
  ).default({}),
  timeout: duration('How long one check may take before it counts as an error.').prefault('10s'),
  ...lookLimits,
})
  .transform((g) => ({
    kind: g.kind,
    name: g.name,
    url: g.url,
    headers: g.headers,
    timeoutMs: g.timeout,
    ...lookLimitsOf(g),
  }))
  .describe('A webhook decides: waiting keeps the phase open; still waiting at the deadline fails it.');

const srmGate = strict({
  name: gateName,
  kind: z
    .literal('srm')
    .describe("The observed split of requests (or of `units`) against the step's configured one."),
  units: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Count query of the randomised units per slot (distinct users for a key-split A/B), e.g. on Prometheus count(count by (user_id) (increase(requests_total{slot="{{slot}}"}[{{window}}]) > 0)); on the sandbox: users; default: the source\'s request count. Where the target picks an arm per request (sagemaker, azureml, vertex, seldon), leave it out unless your callers pin each user to one arm.',
    ),
  'max-mismatch': percent(
    "Relative deviation of the candidate's share within which the split counts as verified (default 10%).",
    1,
  ).optional(),
  alpha,
  ...lookLimits,
})
  .transform((g) => ({
    kind: g.kind,
    name: g.name,
    ...(g.units === undefined ? {} : { units: g.units }),
    maxMismatch: g['max-mismatch'] ?? 0.1,
    alpha: g.alpha,
    ...lookLimitsOf(g),
  }))
  .describe(
    'Sample ratio mismatch: a split other than the configured one invalidates the analysis and fails the step.',
  );

const conversionGate = strict({
  name: gateName,
  kind: z.literal('conversion').describe('A business outcome per arm (A/B), e.g. conversions per exposure.'),
  conversions: sandboxNamed(
    SANDBOX_NAMED.conversion.conversions,
    'Count query of the conversions of one slot',
  ),
  exposures: sandboxNamed(
    SANDBOX_NAMED.conversion.exposures,
    'Count query of what the conversions are out of',
  ),
  direction: z
    .enum(['decrease', 'increase', 'either'])
    .default('decrease')
    .describe(
      'Which change is a regression: "decrease" (default: the candidate converts worse, one-sided), "increase" (one-sided, for a rate where lower is better) or "either" (two-sided, alpha split over both sides: a significant rise passes, a significant drop fails).',
    ),
  margin: percent(
    'Non-inferiority margin: "2%" passes a candidate shown to be no more than 2% worse (relative; a drop, or a rise with direction "increase"). Default 0%: only a significant winner passes.',
  ).optional(),
  'min-detectable-effect': percent(
    'Relative effect the reported sample size is for (default "10%").',
  ).optional(),
  power: z
    .number()
    .gt(0)
    .lt(1, { error: fractionErrorMap })
    .default(0.8)
    .describe('Power the reported sample size is for (default 0.8).'),
  alpha,
  ...statisticalLimits,
})
  .superRefine((g, ctx) => {
    // A drop of 100% is a candidate that never converts: a margin that tolerates it passes anything.
    if (g.direction !== 'increase' && g.margin !== undefined && g.margin >= 1)
      ctx.addIssue({
        code: 'custom',
        input: g.margin,
        path: ['margin'],
        message: `expected below 100% with direction "${g.direction}" (a drop that large passes even a candidate that never converts), got ${formatPercent(g.margin)}`,
      });
  }, always)
  .transform((g) => ({
    kind: g.kind,
    name: g.name,
    conversions: g.conversions,
    exposures: g.exposures,
    direction: g.direction,
    margin: g.margin ?? 0,
    mde: g['min-detectable-effect'] ?? 0.1,
    power: g.power,
    alpha: g.alpha,
    ...limitsOf(g),
  }))
  .describe(
    'Conversions per arm compared with an always-valid mixture SPRT; the sample size needed is shown.',
  );

/**
 * A gate that spends the model's alpha: one with an alpha, judged by its own test at that alpha.
 * Not a `threshold` judge (no test) nor `mann-whitney` (Kayenta's fixed confidence, outside the budget).
 */
export const isStatistical = (g: object): boolean =>
  'alpha' in g &&
  g.alpha !== undefined &&
  !('judge' in g && (g.judge === 'threshold' || g.judge === 'mann-whitney'));

/** Each gate that spends alpha is judged at its alpha divided by the number of them (Bonferroni). */
function splitAlpha<G extends { kind: string; judge?: string; alpha?: number }>(gates: G[]): G[] {
  const k = gates.filter(isStatistical).length;
  return gates.map((g) => (isStatistical(g) && k > 1 ? { ...g, alpha: (g.alpha as number) / k } : g));
}

type ParsedGate = z.output<typeof gatesSchema>[number];

/** The sandbox's names for the query fields left out: only on the sources that read them (schema.ts). */
export function withSandboxNames(gate: ParsedGate): GateConfig {
  switch (gate.kind) {
    case 'agreement': {
      // checkAgreementTolerance let a tolerance through only on the sandbox's agreement query.
      const { tolerance, ...threshold } = gate;
      const query = gate.query ?? SANDBOX_NAMED.agreement.query;
      return {
        ...threshold,
        kind: 'threshold',
        query: tolerance === undefined ? query : agreementWithinQuery(tolerance),
      };
    }
    case 'latency':
      return { ...gate, buckets: gate.buckets ?? SANDBOX_NAMED.latency.buckets };
    case 'drift':
      return { ...gate, buckets: gate.buckets ?? SANDBOX_NAMED.drift.buckets };
    case 'conversion':
      return {
        ...gate,
        conversions: gate.conversions ?? SANDBOX_NAMED.conversion.conversions,
        exposures: gate.exposures ?? SANDBOX_NAMED.conversion.exposures,
      };
    default:
      return gate;
  }
}

export const gatesSchema = z
  .array(
    z.discriminatedUnion(
      'kind',
      [
        thresholdGate,
        agreementGate,
        offlineGate,
        ratioGate,
        latencyGate,
        srmGate,
        conversionGate,
        driftGate,
        webhookGate,
      ],
      {
        error: unknownVariant('gate kind'),
      },
    ),
  )
  .superRefine((gates, ctx) => {
    // zod runs this on a missing `gates` too: its "required" is reported already.
    if (!Array.isArray(gates)) return;
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
  .transform(splitAlpha)
  .describe('The checks that decide each step; `[]` for none.');
