import { formatElapsed } from '../config/duration.js';
import type { Measurement } from '../release/types.js';
import type { MeasureContext } from './threshold-gate.js';

/**
 * The candidate requests the split must have brought since its count was first seen still for
 * that count to read as stopped. Requests arrive about as a Poisson stream: P(none | 20 due) =
 * e^-20, about 2e-9, and still under 1e-4 where the platform gives the candidate half its
 * configured share. A low-share canary whose few requests leave its count still between looks
 * stays below it.
 */
export const STOPPED_MIN_DUE = 20;

/**
 * How long the candidate's count must have stood still before it reads as stopped: twice a 60 s
 * scrape interval. Prometheus scrapes each arm at its own moment, so between two scrapes of the
 * candidate its count stands still while the stable version's grows at its scrape: a healthy
 * candidate's count is seen still for up to one scrape interval (longer with a missed scrape).
 */
export const STALL_MIN_MS = 120_000;

type Stall = NonNullable<Measurement['stall']>;

/** What the check reads of a look's context: the versions' names for its note, the phase and its split. */
export type StallContext = Pick<
  MeasureContext,
  'candidate' | 'stable' | 'since' | 'weight' | 'candidateSlot'
>;

const counted = (x: number | undefined): x is number => x !== undefined && Number.isFinite(x);

/**
 * A look that could pass (a pass, or waiting on evidence that passes at the deadline) whose
 * candidate request count has not grown for STALL_MIN_MS, while the stable version's grew by enough
 * in that time that the configured split owed the candidate at least STOPPED_MIN_DUE requests: it
 * shows nothing new, as a crashed candidate or one whose metrics stopped shows its last counts (a
 * cumulative increase() over the phase stays put). Such a look is inconclusive, so the step's
 * deadline fails for want of data instead of passing on what the candidate did before it stopped.
 * Every look carries the stall (`stall`, from `previous`, the gate's look before in the same phase)
 * while the count stays put, so that it is measured from when it began, across runs too (the
 * ledger stores it). A failed look stands (a regression seen is evidence), and a split the gate
 * cannot weigh is left alone: a shadow (the mirror share is not the phase's weight), 100% of live
 * traffic (the baseline is the time before the phase).
 */
export function stoppedCandidate(
  m: Measurement,
  previous: Measurement | undefined,
  ctx: StallContext,
): Measurement {
  const weight = ctx.weight;
  if (ctx.candidateSlot === 'shadow' || weight === undefined || !(weight > 0 && weight < 100)) return m;
  const { stall: _, ...look } = m;
  const stall = stallSince(look, previous, ctx.since);
  if (!stall) return look;
  const seen = { ...look, stall };
  if (m.verdict !== 'pass' && m.verdict !== 'waiting') return seen;
  const { canaryRequests: now, baselineRequests: baselineNow } = m;
  if (!counted(now) || !counted(baselineNow)) return seen;
  const lasted = m.at - stall.since;
  const grew = baselineNow - stall.baseline;
  const due = (grew * weight) / (100 - weight);
  if (lasted < STALL_MIN_MS || due < STOPPED_MIN_DUE) return seen;
  const { evidence: __, ...shown } = seen;
  return {
    ...shown,
    verdict: 'inconclusive',
    note:
      `${ctx.candidate}'s request count stayed at ${Math.round(now)} for ${formatElapsed(lasted)} while ` +
      `${ctx.stable}'s grew by ${Math.round(grew)}, when about ${Math.round(due)} were due to it at ` +
      `${weight}% of live traffic: its metrics or the candidate itself stopped`,
  };
}

/**
 * Since when the candidate's count has stood still (`previous`'s stall, or `previous` itself when
 * it is the first look that saw the count now seen); none once it grew, or with nothing to compare.
 */
function stallSince(m: Measurement, previous: Measurement | undefined, since: number): Stall | undefined {
  if (!previous || previous.at <= since || previous.at >= m.at) return undefined;
  const { canaryRequests: now } = m;
  const { canaryRequests: before, baselineRequests: baselineBefore } = previous;
  if (!counted(now) || !counted(before) || now > before) return undefined;
  if (previous.stall && previous.stall.since > since) return previous.stall;
  return counted(baselineBefore) ? { since: previous.at, baseline: baselineBefore } : undefined;
}
