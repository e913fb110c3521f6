/**
 * One recorded look at one gate (a line of an observation log, docs/observations.md), parsed
 * and judged by the same judges the gates use. Counts are cumulative over the step.
 */
import { z } from 'zod';
import { configErrorMap, describeValue } from '../config/messages.js';
import { checkedBuckets } from '../metrics/bucket-checks.js';
import type { Bucket } from '../metrics/histogram.js';
import { judgeConversion } from './conversion.js';
import { judgeCounts } from './counts.js';
import { judgeDrift } from './drift.js';
import type { Judgment } from './judgment.js';
import { judgeMannWhitney, KAYENTA_CONFIDENCE } from './kayenta.js';
import { judgeLatency, type LatencyData, stepReference } from './latency.js';
import { form, kindError, mapping, observationProblems, oneOf, requiredFor } from './observation-messages.js';
import { judgeSrm } from './srm.js';

/**
 * A count: beyond Number.MAX_SAFE_INTEGER doubles stop holding whole numbers, and the judges'
 * sums and searches over counts that large never end (1e22) or read them as no requests (1e308).
 */
const exactCount = z
  .number()
  .nonnegative()
  .max(Number.MAX_SAFE_INTEGER, {
    error: (issue) =>
      `expected a count of at most ${Number.MAX_SAFE_INTEGER} (Number.MAX_SAFE_INTEGER: larger counts are not exact), got ${describeValue(issue.input)}`,
  });
/** A count, or null for a value the source did not have (judged as missing data). */
const count = exactCount.nullable();
const fraction = z.number().gt(0).lt(1);
const bucket = z.object({ le: oneOf([z.number(), z.literal('+Inf')]), count: exactCount });
/**
 * A cumulative histogram, sorted by `le` and refused as the live metric sources refuse it (no
 * `+Inf`, an `le` twice, counts not cumulative: checkedBuckets); `[]` is an arm without one (no data).
 */
const buckets = z.array(bucket).transform((list, ctx): Bucket[] => {
  if (list.length === 0) return list;
  const checked = checkedBuckets(list);
  if ('buckets' in checked) return checked.buckets;
  ctx.issues.push({ code: 'custom', message: checked.problem, input: list });
  return z.NEVER;
});
const distribution = oneOf([form({ buckets }), form({ samples: z.array(z.number().nullable()) })]);
type Distribution = z.infer<typeof distribution>;

/**
 * Drift compares the arms' distributions point by point: both histograms or both samples. An arm
 * with an empty list is no data (the look is inconclusive) whatever its form.
 */
function sameForm(line: { canary: Distribution; baseline: Distribution }, ctx: z.core.$RefinementCtx) {
  const formOf = (d: Distribution) => ('buckets' in d ? 'buckets' : 'samples');
  const empty = (d: Distribution) => ('buckets' in d ? d.buckets : d.samples).length === 0;
  const { canary, baseline } = line;
  if (formOf(canary) === formOf(baseline) || empty(canary) || empty(baseline)) return;
  ctx.addIssue({
    code: 'custom',
    path: ['baseline'],
    message: `expected ${formOf(canary)} as the canary's, got ${formOf(baseline)}: a drift line's arms are both buckets or both samples`,
    input: baseline,
  });
}

/** A look's time in epoch milliseconds: NaN for a number no date holds, or text Date.parse cannot read. */
export const timeMs = (time: number | string): number =>
  typeof time === 'number' ? new Date(time).getTime() : Date.parse(time);

/** Two looks are in the same step when their `step` labels read the same (`10` and `"10"`), or neither has one. */
export const sameStep = (a: string | number | undefined, b: string | number | undefined) =>
  a === undefined || b === undefined ? a === b : String(a) === String(b);

const time = oneOf([z.number(), z.string()]).superRefine((t, ctx) => {
  if (Number.isNaN(timeMs(t))) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a date: epoch milliseconds (within ±8.64e15) or an ISO 8601 time such as "2026-11-28T10:05:00Z", got ${describeValue(t)}`,
      input: t,
    });
  }
});

/**
 * The release that wrote the line (docs/observations.md): its model, the version it released and
 * when it started. A log is one release's: analyze refuses a file holding two (logs `cat` together).
 */
const release = mapping({
  model: z.string().min(1),
  version: z.string().min(1),
  started: z.string().min(1),
});
export type ObservationRelease = z.infer<typeof release>;

const common = {
  time,
  gate: z.string().min(1, { error: 'a gate name is required, got ""' }),
  /** Configured candidate share of requests: what `srm` checks (count judges use the requests). */
  split: fraction.optional(),
  /** The level this look is judged at, overriding the file's (split) alpha. */
  alpha: fraction.optional(),
  step: oneOf([z.string(), z.number()]).optional(),
  /**
   * The gate's `failure-limit` and `inconclusive-limit`: the failed (inconclusive) looks of a step
   * its release tolerated before failing the gate. Absent: none tolerated, and no inconclusive limit.
   */
  failureLimit: z.number().int().nonnegative().optional(),
  inconclusiveLimit: z.number().int().nonnegative().optional(),
  /** Absent in logs written before releases named themselves on each line. */
  release: release.optional(),
  /**
   * The look its step's deadline judged: the release passed the gate on it if it saw the data
   * without a regression (not a conversion gate), else failed it. Absent on every other look.
   */
  deadline: z.boolean().optional(),
};

// A kind's own fields say so when missing, `canary: required for kind "ratio"` (a distribution,
// latency's and drift's, just says `required`).
const arm = mapping({ events: count, total: count }, requiredFor('ratio'));
const conversions = mapping({ conversions: count, total: count }, requiredFor('conversion'));
const split = z
  .number({ error: requiredFor('srm') })
  .gt(0)
  .lt(1);
const totals = mapping({ total: count }, requiredFor('srm'));
const samples = mapping({ samples: z.array(z.number().nullable()) }, requiredFor('mann-whitney'));

export const observationSchema = z.discriminatedUnion(
  'kind',
  [
    mapping({
      ...common,
      kind: z.literal('ratio'),
      canary: arm,
      baseline: arm,
      maxIncrease: z.number().nonnegative().default(0.1),
    }),
    mapping({
      ...common,
      kind: z.literal('latency'),
      canary: distribution,
      baseline: distribution,
      reference: distribution.optional(),
      /** The latencies' unit for the notes (`ms`, `s`); without it they print bare, as a live gate's whose query does not say. */
      unit: z.string().optional(),
      quantile: fraction.default(0.95),
      maxIncrease: z.number().nonnegative().default(0.1),
    }),
    mapping({
      ...common,
      kind: z.literal('conversion'),
      canary: conversions,
      baseline: conversions,
      direction: z.enum(['decrease', 'increase', 'either']).default('decrease'),
      margin: z.number().nonnegative().lt(1).default(0),
      // The gate's `min-detectable-effect` and `power`: the sample size planned (where an A/B ends).
      minDetectableEffect: z.number().gt(0).default(0.1),
      power: fraction.default(0.8),
    }),
    mapping({
      ...common,
      kind: z.literal('srm'),
      split,
      canary: totals,
      baseline: totals,
      /** What the totals count, as the notes name it (`users` for a gate with `units`); absent: requests. */
      units: z.string().min(1).optional(),
      maxMismatch: z.number().gt(0).lt(1).default(0.1),
    }),
    mapping({
      ...common,
      kind: z.literal('drift'),
      canary: distribution,
      baseline: distribution,
      maxDistance: z.number().gt(0).lt(1).default(0.1),
    }).superRefine(sameForm),
    mapping({
      ...common,
      kind: z.literal('mann-whitney'),
      canary: samples,
      baseline: samples,
      direction: z.enum(['increase', 'decrease', 'either']).default('increase'),
      confidence: fraction.default(KAYENTA_CONFIDENCE),
      tolerance: z.number().nonnegative().default(0.25),
      // The live gate's max-increase: Kayenta's allowedIncrease on the mean ratio (1 + it).
      maxIncrease: z.number().nonnegative().optional(),
    }),
  ],
  { error: kindError },
);

export type Observation = z.infer<typeof observationSchema>;

/**
 * One line of an observation log, or what is wrong with it as `field: message` lines
 * (`split: required for kind "srm"`; just the message when the whole line is wrong).
 */
export function parseObservation(
  value: unknown,
): { success: true; data: Observation } | { success: false; problems: string[] } {
  const parsed = observationSchema.safeParse(value, { error: configErrorMap, reportInput: true });
  return parsed.success
    ? { success: true, data: parsed.data }
    : { success: false, problems: observationProblems(parsed.error.issues) };
}

const num = (x: number | null) => (x === null ? Number.NaN : x);
const samplesOf = (xs: (number | null)[]) => xs.map(num);
function data(d: Distribution): LatencyData {
  return 'buckets' in d ? { buckets: d.buckets } : { samples: samplesOf(d.samples) };
}

/** The judgment of one look at level `alpha` (the observation's own `alpha` wins). */
export function judgeObservation(o: Observation, alpha: number): Judgment {
  const level = o.alpha ?? alpha;
  switch (o.kind) {
    case 'ratio':
      return judgeCounts({
        canary: { events: num(o.canary.events), total: num(o.canary.total) },
        baseline: { events: num(o.baseline.events), total: num(o.baseline.total) },
        maxIncrease: o.maxIncrease,
        alpha: level,
      });
    case 'latency': {
      const bad = [o.canary, o.baseline].some((d) => 'samples' in d && d.samples.some((x) => x === null));
      if (bad)
        return {
          verdict: 'inconclusive',
          evidence: { method: 'sequential-exceedance' },
          note: 'NaN or null latencies',
        };
      return judgeLatency({
        canary: data(o.canary),
        baseline: data(o.baseline),
        // As the gate: a reference with too few requests beyond the quantile leaves it to the baseline.
        reference: stepReference(o.reference && data(o.reference), data(o.baseline), o.quantile),
        quantile: o.quantile,
        maxIncrease: o.maxIncrease,
        alpha: level,
        unit: o.unit ?? '',
      });
    }
    case 'conversion':
      return judgeConversion({
        canary: { conversions: num(o.canary.conversions), total: num(o.canary.total) },
        baseline: { conversions: num(o.baseline.conversions), total: num(o.baseline.total) },
        direction: o.direction,
        margin: o.margin,
        alpha: level,
        mde: o.minDetectableEffect,
        power: o.power,
      });
    case 'srm':
      return judgeSrm({
        observed: [num(o.canary.total), num(o.baseline.total)],
        expected: [o.split, 1 - o.split],
        alpha: level,
        maxMismatch: o.maxMismatch,
        ...(o.units === undefined ? {} : { units: o.units }),
      });
    case 'drift':
      return judgeDrift({
        canary: data(o.canary),
        baseline: data(o.baseline),
        alpha: level,
        maxDistance: o.maxDistance,
      });
    case 'mann-whitney':
      return judgeMannWhitney(samplesOf(o.baseline.samples), samplesOf(o.canary.samples), {
        direction: o.direction,
        confidence: o.confidence,
        tolerance: o.tolerance,
        ...(o.maxIncrease === undefined ? {} : { allowedIncrease: 1 + o.maxIncrease }),
      });
  }
}

/** A line as a release writes it (the schema's input: defaults may be left out). */
export type ObservationLine = z.input<typeof observationSchema>;

/**
 * One line of an observation log, as `parseObservation` reads it back: a count the source did not
 * have (NaN) is `null`, a bucket bound of Infinity is `"+Inf"`. No newline inside.
 */
export function observationText(line: ObservationLine): string {
  return JSON.stringify(line, (key, value) => {
    if (key === 'le' && value === Number.POSITIVE_INFINITY) return '+Inf';
    return typeof value === 'number' && !Number.isFinite(value) ? null : value;
  });
}
