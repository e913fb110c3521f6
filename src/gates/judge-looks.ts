import type { Measurement } from '../release/types.js';
import { fmt } from '../stats/counts.js';
import { judgeMannWhitney } from '../stats/kayenta.js';
import { boundViolations } from './bounds.js';
import { type LookLimits, observeLook } from './observed-look.js';
import { evidenceOf, type StatisticalContext, verdictOf } from './ratio-gate.js';
import type { MeasureContext } from './threshold-gate.js';

/** The Kayenta-style judge compares one-minute values: it judges from this many on. */
export const MANN_WHITNEY_MIN_INTERVALS = 10;
const MINUTE = 60_000;
/** The whole minutes of the step so far, as windows [start, end]. */
export function minuteWindows(ctx: MeasureContext): [number, number][] {
  const n = Math.floor((ctx.now - ctx.since) / MINUTE);
  return Array.from({ length: n }, (_, i) => [ctx.since + i * MINUTE, ctx.since + (i + 1) * MINUTE]);
}

/**
 * How far back a minute is read when the minute alone gives no data: two minutes hold two
 * scrapes of a 60 s scrape interval, where increase() over one minute sees one sample and gives
 * nothing (every minute missing, the judge never judged).
 */
export const MINUTE_READ_SPAN = 2 * MINUTE;

/**
 * A minute's reading: `read` over the minute, and when that gives no data (undefined), over the
 * MINUTE_READ_SPAN up to the minute's end, never before the step's start. Only a minute without
 * data is read again, so minutes of a faster scrape keep their own one-minute values.
 */
export function minuteReader<T>(
  ctx: Pick<MeasureContext, 'since'>,
  read: (from: number, to: number) => Promise<T | undefined>,
): (from: number, to: number) => Promise<T | undefined> {
  return async (from, to) => {
    const value = await read(from, to);
    const wider = Math.max(ctx.since, to - MINUTE_READ_SPAN);
    return value === undefined && wider < from ? read(wider, to) : value;
  };
}

/** What a look saw, before a judge gave its verdict. */
export type Seen = Omit<Measurement, 'verdict'>;

/** `judge: threshold`: the candidate's value against the baseline's times (1 + max-increase), look by look. */
export function thresholdLook(seen: Seen, query: string, maxIncrease: number, what: string): Measurement {
  if (seen.canary === undefined || seen.baseline === undefined) {
    return { ...seen, verdict: 'inconclusive', note: `no ${what} for one of the slots` };
  }
  const violations = boundViolations(query, { maxIncrease }, seen.canary, seen.baseline);
  return violations.length > 0
    ? { ...seen, verdict: 'fail', note: violations.join('; ') }
    : { ...seen, verdict: 'pass' };
}

/**
 * `judge: mann-whitney`: Kayenta's classifier on one value per whole minute of each arm,
 * from `valueAt(slot, from, to)`, at Kayenta's confidence (KAYENTA_CONFIDENCE): a fixed-horizon
 * judge, outside the alpha budget. The gate's `maxIncrease` is Kayenta's `allowedIncrease` on the
 * mean ratio: a credible upward shift fails only when the canary's mean is at least the
 * baseline's × (1 + maxIncrease). The series judged go to the observation log as `gate`'s line
 * (named, with its limits).
 */
export async function mannWhitneyLook(
  ctx: StatisticalContext,
  seen: Seen,
  valueAt: (slot: 'stable' | 'canary', from: number, to: number) => Promise<number>,
  maxIncrease: number,
  gate?: { name: string } & LookLimits,
): Promise<Measurement> {
  const minutes = minuteWindows(ctx);
  if (minutes.length < MANN_WHITNEY_MIN_INTERVALS) {
    return {
      ...seen,
      verdict: 'waiting',
      note: `${minutes.length} of ${MANN_WHITNEY_MIN_INTERVALS} one-minute intervals for the Mann-Whitney judge`,
    };
  }
  const series = async (slot: 'stable' | 'canary') => {
    const values: number[] = [];
    for (const [from, to] of minutes) values.push(await valueAt(slot, from, to));
    return values;
  };
  const allowedIncrease = 1 + maxIncrease;
  const baseline = await series('stable');
  const canary = await series('canary');
  const j = judgeMannWhitney(baseline, canary, { direction: 'increase', allowedIncrease });
  if (gate !== undefined)
    observeLook(ctx, gate, {
      gate: gate.name,
      kind: 'mann-whitney',
      canary: { samples: canary },
      baseline: { samples: baseline },
      direction: 'increase',
      maxIncrease,
    });
  // The note's meanRatio is what the tolerance applies to: say what it tolerates.
  const note =
    j.verdict === 'inconclusive'
      ? (noMinutes(seen, { baseline, canary }) ?? j.note)
      : `${j.note}; tolerated meanRatio ${fmt(allowedIncrease)}`;
  return { ...seen, verdict: verdictOf(j), note, evidence: evidenceOf(j) };
}

/**
 * Why an arm has no minute at all while the step's totals have values for both: each minute is
 * read over at most MINUTE_READ_SPAN, which holds fewer than two scrapes when Prometheus scrapes
 * less often than every minute. Undefined otherwise (Kayenta's own note says what it lacks).
 */
function noMinutes(seen: Seen, series: { baseline: number[]; canary: number[] }): string | undefined {
  if (seen.canary === undefined || seen.baseline === undefined) return undefined;
  const empty = (['canary', 'baseline'] as const).filter((arm) => !series[arm].some(Number.isFinite));
  if (empty.length === 0) return undefined;
  return `no one-minute value for the ${empty.join(' or the ')} though the step's totals have values: each minute is read over at most the ${MINUTE_READ_SPAN / MINUTE} minutes up to its end, which holds fewer than two scrapes of these series; check their job's scrape_interval (Status > Targets in Prometheus): the Mann-Whitney judge needs one of 1 minute or less, or use judge: sequential`;
}
