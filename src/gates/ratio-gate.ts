import type { GateConfig, RatioGateConfig, SrmGateConfig, ThresholdGateConfig } from '../config/types.js';
import { MetricsError } from '../core/errors.js';
import { armName, TooFewScrapesError } from '../metrics/matched-nothing.js';
import { NoDataError } from '../metrics/no-data.js';
import { InvalidCountError } from '../metrics/reduce.js';
import type { MetricSource, MetricWindow } from '../metrics/source.js';
import type { Evidence, GateState, Measurement } from '../release/types.js';
import { judgeCounts } from '../stats/counts.js';
import type { Judgment } from '../stats/judgment.js';
import type { ObservationLine } from '../stats/observation.js';
import { judgeSrm } from '../stats/srm.js';
import { mannWhitneyLook, minuteReader, thresholdLook } from './judge-looks.js';
import { observeLook } from './observed-look.js';
import { foldMeasurement, type MeasureContext } from './threshold-gate.js';
import { unansweredLook } from './unanswered-look.js';

/**
 * What a statistical gate may also know about the step: the candidate's configured share of
 * live traffic, in percent (PhaseRecord.weight). Only the split check uses it (without it, it
 * cannot judge); the count judges weigh the arms by the requests each served (counts.ts).
 */
export type StatisticalContext = MeasureContext & {
  weight?: number;
  /** The phase's name, written as `step` on the look's observation line. */
  step?: string;
  /** Where the release keeps an observation log: each judged look's inputs, as `model-gate analyze` reads them. */
  observe?: (line: ObservationLine) => void;
};

type StatisticalGate = Exclude<GateConfig, { kind: 'threshold' | 'offline' }>;

export function slotWindow(
  ctx: MeasureContext,
  slot: 'stable' | 'canary',
  since = ctx.since,
  until = ctx.now,
): MetricWindow {
  // 'canary' names the candidate's arm, which is the shadow slot while it is mirrored.
  const where = slot === 'canary' ? (ctx.candidateSlot ?? 'canary') : 'stable';
  const version = slot === 'canary' ? ctx.candidate : ctx.stable;
  return {
    model: ctx.model,
    slot: where,
    version,
    name: ctx.nameOf?.(version) ?? version,
    since,
    until,
  };
}

/** The arms as a judge's note names them: the versions, as the release's headline does. */
export const armNames = (ctx: MeasureContext) => ({ candidate: ctx.candidate, baseline: ctx.stable });

/** The judge's evidence as a measurement keeps it (the arms are the measurement's own fields). */
export function evidenceOf(j: Judgment): Evidence {
  const { method, effect, interval, eValue, pValue } = j.evidence;
  return {
    method,
    ...(effect === undefined || !Number.isFinite(effect) ? {} : { effect }),
    ...(interval ? { interval } : {}),
    ...(eValue === undefined ? {} : { eValue }),
    ...(pValue === undefined ? {} : { pValue }),
  };
}

/**
 * A judgment as a look's verdict: undecided with evidence computed is `waiting` (the data is
 * there, the evidence is not yet strong either way); undecided without it is `inconclusive`
 * (missing, empty or NaN data), which `inconclusive-limit` counts.
 */
export function verdictOf(j: Judgment): Measurement['verdict'] {
  if (j.verdict !== 'inconclusive') return j.verdict;
  return j.evidence.eValue !== undefined || j.evidence.pValue !== undefined ? 'waiting' : 'inconclusive';
}

/**
 * What foldStatistical reads of a gate: a statistical gate's config, or a replayed gate's name, kind
 * and the limits its log's lines carry (analyze-replay.ts). No `failureLimit` (srm, webhook): none tolerated.
 */
export type FoldedGate = Pick<StatisticalGate, 'name' | 'inconclusiveLimit' | 'consecutiveErrorLimit'> & {
  kind: string;
  failureLimit?: number;
};

/** Fold a statistical gate's look with the threshold gate's limits (a sequential failure is final by default). */
export function foldStatistical(state: GateState, gate: FoldedGate, m: Measurement): GateState {
  const limits: ThresholdGateConfig = {
    kind: 'threshold',
    name: gate.name,
    query: gate.kind,
    failureLimit: gate.failureLimit ?? 0,
    ...(gate.inconclusiveLimit === undefined ? {} : { inconclusiveLimit: gate.inconclusiveLimit }),
    consecutiveErrorLimit: gate.consecutiveErrorLimit,
  };
  return foldMeasurement(state, limits, m);
}

/**
 * A look whose counts' ranges hold fewer than two scrapes yet (TooFewScrapesError): `waiting`,
 * not inconclusive, since the data is on its way; undefined for anything else.
 */
export function waitingForScrapes(at: number, err: unknown): Measurement | undefined {
  return err instanceof TooFewScrapesError ? { at, verdict: 'waiting', note: err.message } : undefined;
}

/**
 * `waiting` until the candidate has served `min-requests` in the step, as for every gate, and
 * while the requests query's range is too young to hold two scrapes.
 */
export async function waitForRequests(ctx: MeasureContext): Promise<Measurement | number> {
  let canaryRequests: number;
  try {
    canaryRequests = await ctx.metrics.requests(slotWindow(ctx, 'canary'));
  } catch (err) {
    const waiting = waitingForScrapes(ctx.now, err);
    if (waiting) return waiting;
    throw err;
  }
  if (canaryRequests >= ctx.minRequests) return canaryRequests;
  return {
    at: ctx.now,
    verdict: 'waiting',
    canaryRequests,
    note: `${canaryRequests} of ${ctx.minRequests} candidate requests`,
  };
}

const NO_COUNTS = 'the metrics source has no event counts (ratio gates need count queries)';

/**
 * A gate's count query (`field`: events, total, units) for one arm; NaN for no data. A query that
 * matched nothing is no data too (the sources' NoDataError), its note prefixed with the field.
 */
async function counted(
  metrics: MetricSource,
  field: string,
  query: string,
  w: MetricWindow,
): Promise<number> {
  if (!metrics.count) throw new MetricsError(NO_COUNTS);
  try {
    return (await metrics.count(query, w)) ?? Number.NaN;
  } catch (err) {
    if (err instanceof TooFewScrapesError) throw new TooFewScrapesError(`${field}: ${err.message}`);
    if (err instanceof NoDataError) throw new NoDataError(`${field}: ${err.message}`);
    if (err instanceof InvalidCountError) throw new InvalidCountError(`${field}: ${err.message}`);
    throw err;
  }
}

interface ArmCounts {
  events: number;
  total: number;
}

/** An arm's rate, undefined without requests or with more events than requests (no rate at all). */
const rateOf = (a: ArmCounts): number | undefined =>
  Number.isFinite(a.events) && a.total > 0 && a.events <= a.total ? a.events / a.total : undefined;

/**
 * More events than requests: the events query counts something else (another label, a query of
 * another metric), or total does. No rate comes of it, and under `judge: threshold` a baseline
 * rate of 5 passed a candidate with 30% errors; what the look's note says instead.
 */
function overCounted(a: ArmCounts, w: MetricWindow): string | undefined {
  if (!(a.events > a.total)) return undefined;
  return `${armName(w)}: ${a.events} events of ${a.total} requests: more events than requests, the events query counts something else`;
}

/** One look at a ratio gate: the arms' event rates over the step so far, judged by the gate's judge. */
export async function measureRatio(gate: RatioGateConfig, ctx: StatisticalContext): Promise<Measurement> {
  const at = ctx.now;
  try {
    if (!ctx.metrics.count) return { at, verdict: 'error', note: NO_COUNTS };
    const waited = await waitForRequests(ctx);
    if (typeof waited !== 'number') return waited;
    const arm = async (slot: 'stable' | 'canary', since = ctx.since, until = ctx.now) => {
      const w = slotWindow(ctx, slot, since, until);
      return {
        events: await counted(ctx.metrics, 'events', gate.events, w),
        total: await counted(ctx.metrics, 'total', gate.total, w),
      };
    };
    const canary = await arm('canary');
    const baseline = await arm('stable');
    const seen = {
      at,
      canary: rateOf(canary),
      baseline: rateOf(baseline),
      canaryRequests: waited,
      ...(Number.isFinite(baseline.total) ? { baselineRequests: baseline.total } : {}),
    };
    if (gate.judge === 'sequential')
      observeLook(ctx, gate, {
        gate: gate.name,
        kind: 'ratio',
        canary,
        baseline,
        maxIncrease: gate.maxIncrease,
        alpha: gate.alpha,
      });
    // Inconsistent counts are no rate for any judge: inconclusive, never a pass.
    const inconsistent = [
      overCounted(canary, slotWindow(ctx, 'canary')),
      overCounted(baseline, slotWindow(ctx, 'stable')),
    ].filter((n) => n !== undefined);
    if (inconsistent.length > 0) return { ...seen, verdict: 'inconclusive', note: inconsistent.join('; ') };
    const query = `${gate.events}-rate`;
    switch (gate.judge) {
      case 'sequential': {
        // Per-request rates: each arm's events against the requests it served in the window, not
        // against the configured split, which real traffic misses (sticky keys, a window across a
        // weight change, rounded weights); the srm gate reports that miss as a mismatch.
        const j = judgeCounts({
          canary,
          baseline,
          maxIncrease: gate.maxIncrease,
          alpha: gate.alpha,
          names: armNames(ctx),
        });
        return { ...seen, verdict: verdictOf(j), note: j.note, evidence: evidenceOf(j) };
      }
      case 'threshold':
        return thresholdLook(seen, query, gate.maxIncrease, 'rate');
      case 'mann-whitney':
        return mannWhitneyLook(
          ctx,
          seen,
          async (slot, from, to) => {
            // A minute an arm has no data for is missing from its series, as Kayenta leaves it out.
            const a = await minuteReader(ctx, (since, until) =>
              arm(slot, since, until).catch((err) => {
                if (err instanceof NoDataError) return undefined;
                throw err;
              }),
            )(from, to);
            return (a && rateOf(a)) ?? Number.NaN;
          },
          gate.maxIncrease,
          gate,
        );
    }
  } catch (err) {
    return waitingForScrapes(at, err) ?? unansweredLook(at, err);
  }
}

const NO_SPLIT_IN_SHADOW =
  'a shadow has no split of live traffic to check: its candidate answers no caller; remove the srm gate from this model';

/**
 * What a split check counts and how its notes name it: `units` (the randomised units, users for a
 * key split) when configured, else the requests. A key split randomises users, so heavy users move
 * the request split of a correct user split: counting requests there flags false mismatches.
 */
async function splitCounts(gate: SrmGateConfig, ctx: StatisticalContext, requests: [number, number]) {
  if (gate.units === undefined) return { observed: requests, unitName: 'requests' };
  const observed: [number, number] = [
    await counted(ctx.metrics, 'units', gate.units, slotWindow(ctx, 'canary')),
    await counted(ctx.metrics, 'units', gate.units, slotWindow(ctx, 'stable')),
  ];
  return { observed, unitName: 'users' };
}

/**
 * One look at the split check: the slots' requests (or `units`) over the step against the
 * configured split. It counts both arms, not the candidate's alone: a candidate that gets none is
 * the plainest mismatch, flagged as soon as the e-value says so (anytime-valid from the first
 * request, so looking early costs no false alarms). Otherwise the look waits, without evidence,
 * until the candidate should have served `min-requests` (requests, whatever is counted) by the
 * configured split.
 */
export async function measureSrm(gate: SrmGateConfig, ctx: StatisticalContext): Promise<Measurement> {
  const at = ctx.now;
  try {
    if (ctx.candidateSlot === 'shadow') return { at, verdict: 'inconclusive', note: NO_SPLIT_IN_SHADOW };
    if (ctx.weight === undefined || !(ctx.weight > 0 && ctx.weight < 100)) {
      const waited = await waitForRequests(ctx);
      if (typeof waited !== 'number') return waited;
      return {
        at,
        canaryRequests: waited,
        baselineRequests: await ctx.metrics.requests(slotWindow(ctx, 'stable')),
        verdict: 'inconclusive',
        note: "the step's configured split is not known to the gate",
      };
    }
    const canaryRequests = await ctx.metrics.requests(slotWindow(ctx, 'canary'));
    const baselineRequests = await ctx.metrics.requests(slotWindow(ctx, 'stable'));
    const { observed, unitName } = await splitCounts(gate, ctx, [canaryRequests, baselineRequests]);
    const [canaryCount, baselineCount] = observed;
    const seen = { at, canaryRequests: canaryCount, baselineRequests: baselineCount };
    const j = judgeSrm({
      observed,
      expected: [ctx.weight / 100, 1 - ctx.weight / 100],
      alpha: gate.alpha,
      maxMismatch: gate.maxMismatch,
      units: unitName,
    });
    const total = canaryRequests + baselineRequests;
    const due = Math.floor((total * ctx.weight) / 100);
    if (j.verdict !== 'fail' && due < ctx.minRequests) {
      return {
        ...seen,
        verdict: 'waiting',
        note: `checks the split once ${ctx.minRequests} requests are due to the candidate at ${ctx.weight}%: ${due} so far (it served ${canaryRequests} of ${total})`,
      };
    }
    observeLook(ctx, gate, {
      gate: gate.name,
      kind: 'srm',
      canary: { total: canaryCount },
      baseline: { total: baselineCount },
      // What the counts are, for the replay's note (users); requests are the format's default.
      ...(gate.units === undefined ? {} : { units: unitName }),
      maxMismatch: gate.maxMismatch,
      alpha: gate.alpha,
    });
    const units = canaryCount + baselineCount;
    return {
      ...seen,
      ...(units > 0 ? { canary: canaryCount / units, baseline: ctx.weight / 100 } : {}),
      verdict: verdictOf(j),
      note: j.note,
      evidence: evidenceOf(j),
    };
  } catch (err) {
    return waitingForScrapes(at, err) ?? unansweredLook(at, err);
  }
}
