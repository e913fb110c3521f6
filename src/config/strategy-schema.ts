import { z } from 'zod';
import { MAX_INSTANCES } from '../sandbox/request-bodies.js';
import { dividesEvenly, linearStepCount, linearSteps, MAX_LINEAR_STEPS } from '../strategies/canary.js';
import { formatDuration } from './duration.js';
import { always, duration, finite, type Loose, strict, unknownVariant } from './fields.js';
import { describeValue } from './messages.js';
import { formatPercent, parsePercent } from './percent.js';
import { smokeSchema } from './smoke-schema.js';

// ── strategies ──────────────────────────────────────────────────────────────────────────

/** Percent of traffic as a bare number or text: `10` or `"10%"`, more than 0 and at most 100. */
const TRAFFIC_PERCENT = /^(?!0*(?:\.0*)?%$)(?:100(?:\.0{1,9})?|\d{1,2}(?:\.\d{1,9})?)%$/;

function trafficPercentMessage(input: unknown, noun: string, fractionIsMistake: boolean): string {
  if (fractionIsMistake && typeof input === 'number' && input > 0 && input < 1) {
    const whole = Number((input * 100).toPrecision(12));
    const part = input === 0.5 ? 'for half' : `for ${input} of the ${noun}`;
    return `expected a percentage of the ${noun}, got the bare number ${input}, which means ${input}%: write ${whole}% ${part}, or ${input}% if you mean it`;
  }
  if (typeof input === 'number')
    return `expected a number between 0 and 100${input === 0 ? ' (more than 0)' : ''}, got ${input}`;
  // "0%" is refused for the reason a bare 0 is, and says so.
  if (typeof input === 'string' && parsePercent(input) === 0)
    return `expected a percentage between 0% and 100% (more than 0%), got ${describeValue(input)}`;
  return `expected a number between 0 and 100 or a percentage such as "10%", got ${describeValue(input)}`;
}

/**
 * Percent of live traffic: `10` or `"10%"` -> 10. Where a bare number below 1 is a fraction
 * written by mistake (a split, a share, a linear step-size or max-weight: half the traffic would
 * otherwise silently mean 0.5%), it is refused, and the JSON Schema's minimum says so too.
 */
function trafficPercent(description: string, noun: string, fractions: 'allowed' | 'refused' = 'allowed') {
  const fractionIsMistake = fractions === 'refused';
  const error = (issue: { input?: unknown }) => trafficPercentMessage(issue.input, noun, fractionIsMistake);
  const bare = fractionIsMistake
    ? z.number({ error }).gte(1, { error }).lte(100, { error })
    : z.number({ error }).gt(0, { error }).lte(100, { error });
  return z
    .union([bare, z.string({ error }).regex(TRAFFIC_PERCENT, { error })], { error })
    .transform((value) => (typeof value === 'number' ? value : Number(value.slice(0, -1))))
    .describe(description);
}

const step = trafficPercent('Percent of live traffic, e.g. 10 or "10%".', 'traffic');

/**
 * `steps: [0.1, 0.25, 0.5]`: fractions meant as 10%, 25%, 50% that would run as 0.1%, 0.25%,
 * 0.5%. Refused only when every step is a bare number below 1: a real small first step
 * (`[0.5, 5, 25]`) or percent text (`"0.5%"`) says percent is meant.
 */
function refuseFractionSteps(raw: unknown, ctx: z.core.$RefinementCtx): unknown {
  if (!Array.isArray(raw) || raw.length === 0) return raw;
  if (!raw.every((v) => typeof v === 'number' && v > 0 && v < 1)) return raw;
  const asPercent = (v: number) => `${Number((v * 100).toPrecision(12))}%`;
  const written = raw.map((v) => `${v}%`).join(', ');
  ctx.addIssue({
    code: 'custom',
    input: raw,
    message: `expected percentages of the traffic, got bare numbers below 1 (read as ${written}): write [${raw.map(asPercent).join(', ')}] for those fractions of the traffic, or [${written}] if you mean them`,
  });
  return raw;
}

// A preprocess, as the check needs the steps as written; the published schema is the list's.
const steps = z.preprocess(
  refuseFractionSteps,
  z
    .array(step)
    .min(1, { error: 'expected at least one step, got an empty list' })
    .superRefine((values, ctx) => {
      // `always` runs this on input the array check refused too (steps: 10): that has its own issue.
      if (!Array.isArray(values)) return;
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
    .describe(
      'Percent of live traffic on the candidate at each step: strictly increasing, each in (0, 100].',
    ),
);

/** Timing every strategy shares: how long a phase may last, the sample it needs, how often gates look. */
const timing = {
  'step-duration': duration(
    'Longest a phase may last (e.g. "10m"); a phase ends early once every gate has passed.',
  ).prefault('10m'),
  'min-requests': z
    .int()
    .min(0)
    .default(100)
    .describe('Candidate requests needed in a phase before its gates can pass.'),
  interval: duration(
    'How often the gates are measured (e.g. "30s"); shorter than the phase: step-duration, or a shadow\'s duration / a blue-green bake-duration when longer.',
  ).prefault('30s'),
};

/**
 * Runs a check across fields only when those fields parsed: a bad `step-duration: 10` gets
 * one error, not a second one from comparing the raw 10 with the interval.
 */
const whenParsed = (...keys: string[]) => ({
  when: (payload: z.core.ParsePayload) => !payload.issues.some((i) => keys.includes(String(i.path?.[0]))),
});

/**
 * The interval must be shorter than the phase it measures. A phase with a hold (a shadow's
 * duration, blue-green's bake-duration) lasts the longer of it and step-duration (tick.ts): a
 * 3-day shadow looked at every 10m is fine with the default step-duration of 10m. The error
 * names the field the interval is compared with.
 */
const checkIntervalAgainst =
  (hold?: 'duration' | 'bake-duration') => (value: unknown, ctx: z.core.$RefinementCtx) => {
    const fields = value as Loose;
    const { 'step-duration': stepMs, interval } = fields;
    const holdMs = hold === undefined ? undefined : fields[hold];
    const [field, phaseMs] =
      finite(holdMs) && finite(stepMs) && holdMs > stepMs ? [hold, holdMs] : ['step-duration', stepMs];
    if (finite(phaseMs) && finite(interval) && interval >= phaseMs) {
      ctx.addIssue({
        code: 'custom',
        input: interval,
        path: ['interval'],
        message: `expected less than ${field} (${formatDuration(phaseMs)}), got ${formatDuration(interval)}`,
      });
    }
  };

const checkInterval = checkIntervalAgainst();

/**
 * Linear steps are equal: max-weight must be a whole number of step-sizes, counted at the 9
 * decimals a share is written with, so each step is more than the last (10 then 50.000000001
 * would end in two steps of 50).
 */
function checkEqualSteps(value: unknown, ctx: z.core.$RefinementCtx) {
  const { 'step-size': step, 'max-weight': max } = value as Loose;
  if (!finite(step) || !finite(max) || step <= 0) return;
  const count = linearStepCount(step, max);
  if (count > MAX_LINEAR_STEPS) {
    ctx.addIssue({
      code: 'custom',
      input: step,
      path: ['step-size'],
      message: `expected a step-size that makes at most ${MAX_LINEAR_STEPS} steps up to max-weight (${max}), got one that makes ${count}; set step-size: ${max / MAX_LINEAR_STEPS} or more`,
    });
    return;
  }
  if (dividesEvenly(step, max)) return;
  const steps = linearSteps(step, max);
  const lastWhole = steps.at(-2);
  ctx.addIssue({
    code: 'custom',
    input: step,
    path: ['step-size'],
    message:
      lastWhole === undefined
        ? `expected at most max-weight (${max}), got ${step}`
        : `expected a step-size that divides max-weight (${max}) into equal steps, got ${step} (steps ${steps.join(', ')}); or set max-weight: ${lastWhole}`,
  });
}

const timingOf = (s: { 'step-duration': number; 'min-requests': number; interval: number }) => ({
  stepDurationMs: s['step-duration'],
  minRequests: s['min-requests'],
  intervalMs: s.interval,
});

const canaryStrategy = strict(
  {
    type: z.literal('canary').describe('Shift live traffic to the candidate in steps.'),
    steps,
    ...timing,
  },
  foreignKey('canary'),
)
  .superRefine(checkInterval, whenParsed('step-duration', 'interval'))
  .transform((s) => ({ type: s.type, steps: s.steps, ...timingOf(s) }))
  .describe('A canary: the candidate gets `steps` percent of live traffic in turn; gates decide each step.');

const linearStrategy = strict(
  {
    type: z.literal('linear').describe('A canary with equal steps.'),
    'step-size': trafficPercent(
      'Percent of live traffic added at each step, e.g. 10 or "10%".',
      'traffic',
      'refused',
    ),
    'max-weight': trafficPercent(
      'The last step, in percent of live traffic, e.g. 50 or "50%" (default 50).',
      'traffic',
      'refused',
    ).default(50),
    ...timing,
  },
  foreignKey('linear'),
)
  .superRefine(checkInterval, whenParsed('step-duration', 'interval'))
  .superRefine(checkEqualSteps, whenParsed('step-size', 'max-weight'))
  .transform((s) => ({ type: s.type, stepSize: s['step-size'], maxWeight: s['max-weight'], ...timingOf(s) }))
  .describe('Linear: step-size, 2 x step-size, ... up to max-weight percent of live traffic.');

const blueGreenStrategy = strict(
  {
    type: z
      .literal('blue-green')
      .describe('Deploy green beside blue, switch all traffic at once, bake, keep blue warm.'),
    'bake-duration': duration(
      'How long green serves all traffic under the gates before it passes (e.g. "10m").',
    ).prefault('10m'),
    'rollback-window': duration(
      'How long blue stays deployed (warm, no traffic) after a promotion; the first schedule tick after it removes blue.',
    ).prefault('1h'),
    smoke: smokeSchema
      .optional()
      .describe('Synthetic requests sent straight to green before the switch; a failure rolls back.'),
    ...timing,
  },
  foreignKey('blue-green'),
)
  .superRefine(
    checkIntervalAgainst('bake-duration'),
    whenParsed('step-duration', 'bake-duration', 'interval'),
  )
  .transform((s) => ({
    type: s.type,
    bakeDurationMs: s['bake-duration'],
    rollbackWindowMs: s['rollback-window'],
    ...(s.smoke === undefined ? {} : { smoke: s.smoke }),
    ...timingOf(s),
  }))
  .describe(
    'Blue-green: the switch to 100% is one call; a bake period with gates; blue kept warm for rollback.',
  );

/** Percent of live requests a shadow copies when `share` is not given. */
export const SHADOW_SHARE_DEFAULT = 100;

const shadowStrategy = strict(
  {
    type: z
      .literal('shadow')
      .describe('Mirror live requests to the candidate; its answers are never returned.'),
    share: trafficPercent(
      'Percent of live requests copied to the candidate, e.g. 100 or "10%" (default 100); a bare 0.5 is refused (write 50% or 0.5%).',
      'requests',
      'refused',
    ).default(SHADOW_SHARE_DEFAULT),
    duration: duration('How long to shadow (hours or days: drive it with schedule ticks).').prefault('1h'),
    ...timing,
  },
  foreignKey('shadow'),
)
  .superRefine(checkIntervalAgainst('duration'), whenParsed('step-duration', 'duration', 'interval'))
  .transform((s) => ({ type: s.type, share: s.share, durationMs: s.duration, ...timingOf(s) }))
  .describe('Shadow: a copy of `share` percent of live requests goes to the candidate for `duration`.');

/**
 * An A/B ends when its undecided conversion gates reach their planned sample size (where the
 * always-valid test has the design's power), which on real traffic takes days: step-duration only
 * caps it. Two weeks by default, two
 * full weekly cycles (weekday and weekend users differ), a usual longest run for an A/B; set it to
 * stop sooner. Schedule ticks drive it.
 */
export const AB_STEP_DURATION_DEFAULT = '14d';

const abTiming = {
  ...timing,
  'step-duration': duration(
    `Longest the A/B may last (default ${AB_STEP_DURATION_DEFAULT}: two weekly cycles): it ends sooner once its conversion gates decide or reach their planned sample size; drive it with schedule ticks.`,
  ).prefault(AB_STEP_DURATION_DEFAULT),
};

const abStrategy = strict(
  {
    type: z.literal('ab').describe('Split users by a sticky key and compare a business outcome.'),
    split: trafficPercent(
      'Percent of users on the candidate, e.g. 50 or "50%" (default 50); a bare 0.5 is refused (write 50% or 0.5%).',
      'users',
      'refused',
    ).default(50),
    'sticky-header': z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/, {
        error: (i) => `expected an HTTP header name, got ${describeValue(i.input)}`,
      })
      .default('x-user-id')
      .describe('Request header whose value keeps a user on one arm.'),
    ...abTiming,
  },
  foreignKey('ab'),
)
  .superRefine(checkInterval, whenParsed('step-duration', 'interval'))
  .transform((s) => ({ type: s.type, split: s.split, stickyHeader: s['sticky-header'], ...timingOf(s) }))
  .describe('A/B: a sticky split by user; conversion and srm gates decide.');

/**
 * batch-size counts instances; a share (`"25%"`, `0.25`) is the likely slip there, so the message
 * turns it into a count, on the fewest instances where that share is a whole batch.
 */
function batchSizeMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== 'invalid_type') return undefined;
  const { input } = issue;
  const expected = `expected a whole number of instances, got ${describeValue(input)}`;
  const share = typeof input === 'string' ? parsePercent(input) : finite(input) ? input : undefined;
  if (share === undefined || share <= 0 || share >= 1) return expected;
  for (let instances = 2; instances <= MAX_INSTANCES; instances++) {
    const batch = Number((instances * share).toPrecision(12));
    if (Number.isInteger(batch))
      return `${expected}: for ${formatPercent(share)} of ${instances} instances write ${batch}`;
  }
  return expected;
}

const rollingStrategy = strict(
  {
    type: z.literal('rolling').describe('Replace instances in batches, with gates between batches.'),
    instances: z
      .int()
      .min(1)
      .max(MAX_INSTANCES, {
        error: (issue) =>
          `expected at most ${MAX_INSTANCES} (the sandbox, the one target that does rolling, runs at most ${MAX_INSTANCES} instances), got ${issue.input}`,
      })
      .default(4)
      .describe(`Instances serving the model, at most ${MAX_INSTANCES}.`),
    'batch-size': z
      .int({ error: batchSizeMessage })
      .min(1)
      .default(1)
      .describe('Instances replaced at each step.'),
    'min-available': z
      .int()
      .min(0)
      .optional()
      .describe(
        'Instances that must keep serving while a batch is replaced (default: instances - batch-size).',
      ),
    ...timing,
  },
  foreignKey('rolling'),
)
  .superRefine(checkInterval, whenParsed('step-duration', 'interval'))
  .superRefine(
    (value, ctx) => {
      const { instances, 'batch-size': batch, 'min-available': min } = value as Loose;
      if (finite(instances) && finite(batch) && batch > instances) {
        ctx.addIssue({
          code: 'custom',
          input: batch,
          path: ['batch-size'],
          message: `expected at most instances (${instances}), got ${batch}`,
        });
      } else if (finite(instances) && finite(min) && min >= instances) {
        ctx.addIssue({
          code: 'custom',
          input: min,
          path: ['min-available'],
          message: `expected fewer than instances (${instances}), got ${min}: a rolling update replaces at least one instance at a time`,
        });
      } else if (finite(instances) && finite(batch) && finite(min) && instances - batch < min) {
        ctx.addIssue({
          code: 'custom',
          input: batch,
          path: ['batch-size'],
          message: `replacing ${batch} of ${instances} instances at once leaves fewer than min-available (${min}) serving; use a batch-size of at most ${instances - min}`,
        });
      }
    },
    whenParsed('instances', 'batch-size', 'min-available'),
  )
  .transform((s) => ({
    type: s.type,
    instances: s.instances,
    batchSize: s['batch-size'],
    minAvailable: s['min-available'] ?? s.instances - s['batch-size'],
    ...timingOf(s),
  }))
  .describe('Rolling: batch-size instances at a time run the candidate; gates decide each batch.');

/**
 * The message for a key another strategy takes (`bake-duration` on a canary), naming the types
 * that take it. Called while a config is checked, once every strategy here exists.
 */
function foreignKey(type: string): (key: string) => string | undefined {
  return (key) => {
    const shapes = strategySchema.options.map((option) => option.in.shape);
    const owners = shapes.filter((shape) => Object.hasOwn(shape, key)).map((shape) => shape.type.value);
    if (owners.length === 0) return undefined;
    const own = shapes.find((shape) => shape.type.value === type) ?? {};
    return `only type: ${owners.join(' or ')} takes this key (${type} takes: ${Object.keys(own).join(', ')})`;
  };
}

/** Release strategies. Add a variant here (and to types.ts) for a new `type:`. */
export const strategySchema = z
  .discriminatedUnion(
    'type',
    [canaryStrategy, linearStrategy, blueGreenStrategy, shadowStrategy, abStrategy, rollingStrategy],
    {
      error: unknownVariant('strategy type'),
    },
  )
  .describe('How traffic moves to the candidate.');
