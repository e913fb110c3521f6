import type { ThresholdGateConfig } from '../config/types.js';
import { counted } from '../core/text.js';
import { noNumber } from '../metrics/matched-nothing.js';
import { NoDataError } from '../metrics/no-data.js';
import type { MetricSource, MetricWindow } from '../metrics/source.js';
import type { GateState, LiveSpan, Measurement } from '../release/types.js';
import { boundViolations, needsBaseline, relativeBoundNames } from './bounds.js';
import {
  type ArmQuantile,
  beyondBucketsLook,
  floorsOf,
  isFloor,
  limitAboveBucketsNote,
} from './quantile-beyond-buckets.js';
import { slotWindow } from './ratio-gate.js';
import { unansweredLook } from './unanswered-look.js';

export interface MeasureContext {
  metrics: MetricSource;
  model: string;
  stable: string;
  candidate: string;
  /** What the platform calls a version (Target.platformName), for `{{name}}`; absent: the version. */
  nameOf?: (version: string) => string;
  since: number;
  /**
   * When the platform took the phase's traffic, where before `since` (a run lost right after its
   * switch: the next run entered the phase later, tick.ts enterPhase). Absent: at `since`.
   */
  switchedAt?: number;
  /**
   * When earlier candidates had live traffic against the same stable version (Release.earlierLive):
   * at 100% of live traffic the stable version's baseline never reaches into them. Absent: none.
   */
  earlierLive?: readonly LiveSpan[];
  now: number;
  /** Candidate requests needed before a measurement may judge at all. */
  minRequests: number;
  /** The candidate's configured share of live traffic in this phase, percent (for split-aware judges). */
  weight?: number;
  /** Where the candidate's metrics are: the canary slot (default) or the shadow slot of a mirror. */
  candidateSlot?: 'canary' | 'shadow';
}

/** One look: the candidate's value against the gate's bounds over the phase so far. */
export async function measureThreshold(gate: ThresholdGateConfig, ctx: MeasureContext): Promise<Measurement> {
  const window = (slot: 'stable' | 'canary'): MetricWindow => slotWindow(ctx, slot);
  const at = ctx.now;
  try {
    const canaryRequests = await ctx.metrics.requests(window('canary'));
    if (canaryRequests < ctx.minRequests) {
      return {
        at,
        verdict: 'waiting',
        canaryRequests,
        note: `${canaryRequests} of ${ctx.minRequests} candidate requests`,
      };
    }
    const canary = await ctx.metrics.value(gate.query, window('canary'));
    // With all live traffic on the candidate (blue-green), the stable version's baseline is
    // the same length of time just before the switch: after it, the stable version served nothing.
    const beforeSwitch = (ctx.weight ?? 0) >= 100;
    const switched = Math.min(ctx.switchedAt ?? ctx.since, ctx.since);
    const length = ctx.now - ctx.since;
    // Nor does it reach into time an earlier candidate had that traffic (a push during the bake).
    const end = stableAloneUntil(switched, length, ctx.earlierLive);
    const reference = beforeSwitch
      ? slotWindow(ctx, 'stable', Math.max(0, end.until - length), end.until)
      : window('stable');
    // A stable answer without data (CloudWatch's partial one) leaves absolute bounds to judge the
    // candidate alone, as a stable value that is missing does; a relative bound says why it cannot.
    let noBaseline: string | undefined;
    const baseline = await ctx.metrics.value(gate.query, reference).catch((err: unknown) => {
      if (!(err instanceof NoDataError)) throw err;
      noBaseline = err.message;
      return undefined;
    });
    const baselineRequests = await shownRequests(ctx.metrics, reference);
    const seen = {
      at,
      canary: clean(canary),
      baseline: clean(baseline),
      canaryRequests,
      ...(baselineRequests === undefined ? {} : { baselineRequests }),
      // Said in the report: beside "100% of live traffic", a baseline with requests needs its span.
      ...(beforeSwitch
        ? {
            baselineWindow: {
              since: reference.since,
              until: reference.until,
              ...(end.switchOf === undefined ? {} : { switchOf: end.switchOf }),
            },
          }
        : {}),
    };
    if (seen.canary === undefined) {
      return {
        ...seen,
        verdict: 'inconclusive',
        note: `no data for the candidate: ${noNumber(gate.query, window('canary'))}`,
      };
    }
    // A histogram_quantile's value may be the largest bucket bound standing in for a quantile
    // beyond it: the arms' own buckets tell (Prometheus; other sources read no such query).
    const arm = async (value: number, w: MetricWindow): Promise<ArmQuantile> => {
      const read = await ctx.metrics.quantileBounds?.(gate.query, w);
      return read ? { value, bounds: read } : { value };
    };
    const canaryArm = await arm(seen.canary, window('canary'));
    const baselineArm =
      seen.baseline === undefined
        ? undefined
        : needsBaseline(gate)
          ? await arm(seen.baseline, reference)
          : { value: seen.baseline };
    // The report shows an arm's floor as `> L`, never L bare as if measured (Measurement.floors).
    const shown = { ...seen, ...floorsOf(isFloor(canaryArm), isFloor(baselineArm)) };
    const beyond = beyondBucketsLook(gate.query, gate, canaryArm, baselineArm);
    if (beyond && beyond.verdict !== 'pass') return { ...shown, ...beyond };
    // Absolute bounds need no baseline: a candidate over `max` fails whatever the stable shows.
    const violations = boundViolations(gate.query, gate, seen.canary, seen.baseline);
    if (violations.length > 0) return { ...shown, verdict: 'fail', note: violations.join('; ') };
    if (needsBaseline(gate) && seen.baseline === undefined) {
      return {
        ...shown,
        verdict: 'inconclusive',
        note: `no baseline data from the stable version to judge ${relativeBoundNames(gate)}${noBaseline ? `: ${noBaseline}` : ''}`,
      };
    }
    // Beyond the bound but within every bound (a min under it): said; else a limit no reading can pass.
    const note = beyond ? beyond.note : limitAboveBucketsNote(gate.query, gate, canaryArm, baselineArm);
    return { ...shown, verdict: 'pass', ...(note ? { note } : {}) };
  } catch (err) {
    return unansweredLook(at, err);
  }
}

/**
 * Where the stable version's baseline of `length` before the switch at `switched` ends: there, or
 * where it would reach into time an earlier candidate had live traffic (a push during the bake
 * superseded it just now), before that candidate's switch (`switchOf`), as often as spans follow.
 */
function stableAloneUntil(
  switched: number,
  length: number,
  spans: readonly LiveSpan[] = [],
): { until: number; switchOf?: string } {
  let end: { until: number; switchOf?: string } = { until: switched };
  for (const span of [...spans].sort((a, b) => b.since - a.since)) {
    if (span.since < end.until && span.until > end.until - length)
      end = { until: span.since, switchOf: span.version };
  }
  return end;
}

/**
 * The stable version's requests, shown beside its value; undefined when its requests query matched
 * nothing (no bound needs them, and the candidate's own were counted first).
 */
async function shownRequests(metrics: MetricSource, w: MetricWindow): Promise<number | undefined> {
  try {
    return await metrics.requests(w);
  } catch (err) {
    if (err instanceof NoDataError) return undefined;
    throw err;
  }
}

/** NaN and infinities are missing data, never a value that could pass. */
const clean = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? undefined : x);

/**
 * Fold a measurement into the gate's standing, with Argo Rollouts' limits: the gate
 * fails once failures exceed `failure-limit`, inconclusive looks exceed
 * `inconclusive-limit`, or consecutive query errors exceed `consecutive-error-limit`
 * (the counts are per step: the release engine resets them when a step begins).
 * A tolerated failed look leaves the gate pending: it must pass again to end a step early, and
 * at the step's deadline it passes (`toleratedAtDeadline`).
 * A tolerated query error changes nothing the gate had established: a passed gate stays
 * passed, and the look before the error is kept (`lastUsable`) for the step's deadline.
 */
export function foldMeasurement(state: GateState, gate: ThresholdGateConfig, m: Measurement): GateState {
  const { lastUsable, ...rest } = state;
  if (m.verdict === 'error') {
    const consecutiveErrors = state.consecutiveErrors + (waitingOutRateLimit(state.last, m) ? 0 : 1);
    const failed = consecutiveErrors > gate.consecutiveErrorLimit;
    const usable = state.last && state.last.verdict !== 'error' ? state.last : lastUsable;
    return {
      ...rest,
      last: m,
      ...(usable ? { lastUsable: usable } : {}),
      consecutiveErrors,
      verdict: failed ? 'fail' : state.verdict,
      reason: failed
        ? `${gate.name}: ${gate.query === 'webhook' ? 'the webhook' : 'metrics'} failed ${consecutiveErrors} times in a row (${m.note})`
        : undefined,
    };
  }
  const next: GateState = { ...rest, last: m };
  switch (m.verdict) {
    case 'pass':
      return { ...next, verdict: 'pass', consecutiveErrors: 0 };
    case 'waiting':
      return { ...next, verdict: 'pending', consecutiveErrors: 0 };
    case 'fail': {
      const failures = state.failures + 1;
      const failed = failures > gate.failureLimit;
      return {
        ...next,
        failures,
        consecutiveErrors: 0,
        verdict: failed ? 'fail' : 'pending',
        // With looks tolerated, the last one alone does not say why this one failed the gate.
        reason: failed
          ? `${gate.name}: ${m.note}${gate.failureLimit > 0 ? `; ${overLimitText(state.kind, failures, gate.failureLimit)}` : ''}`
          : undefined,
      };
    }
    case 'inconclusive': {
      const inconclusives = state.inconclusives + 1;
      const failed = gate.inconclusiveLimit !== undefined && inconclusives > gate.inconclusiveLimit;
      return {
        ...next,
        inconclusives,
        consecutiveErrors: 0,
        verdict: failed ? 'fail' : 'pending',
        reason: failed
          ? `${gate.name}: ${m.note} in ${inconclusives} looks (limit ${gate.inconclusiveLimit})`
          : undefined,
      };
    }
  }
}

/**
 * A look the metric source's rate limit refused (HTTP 429, saying when it resets) is not counted
 * against consecutive-error-limit: a healthy candidate is not rolled back because others share the
 * API's quota. Only until the reset: refused again on a look after an earlier refusal's reset, the
 * limit did not lift, and that look counts, so a source that never answers still ends the release
 * (SPEC section 9).
 */
function waitingOutRateLimit(last: Measurement | undefined, m: Measurement): boolean {
  if (m.rateLimitedUntil === undefined) return false;
  const reset = last?.verdict === 'error' ? last.rateLimitedUntil : undefined;
  return reset === undefined || m.at < reset;
}

/**
 * The look of the step that began at `since` that a deadline judges: the last one that was not a
 * query error, or none when every look of the step was one.
 */
export function usableLook(state: GateState, since: number): Measurement | undefined {
  const look = state.last?.verdict === 'error' ? state.lastUsable : state.last;
  return look && look.at > since ? look : undefined;
}

/**
 * A gate whose step ends on a failed look its `failure-limit` tolerated (`look`: the one the
 * deadline judges): it passes, as an Argo Rollouts analysis whose failures stay within
 * failureLimit is Successful. A last look without data is not one: must-have-data decides that.
 */
export const toleratedAtDeadline = (state: GateState, look: Measurement | undefined): boolean =>
  state.verdict === 'pending' && state.failures > 0 && look?.verdict === 'fail';

/** What a gate passed with at its deadline: `1 look over the bound, within failure-limit 1`. */
export function toleratedText(state: GateState, failureLimit: number): string {
  return `${failedLooks(state.kind, state.failures)}, within failure-limit ${failureLimit}`;
}

/** Why a gate failed past its failure-limit: `3 looks over the bound in this step, over failure-limit 2`. */
const overLimitText = (kind: string, failures: number, failureLimit: number): string =>
  `${failedLooks(kind, failures)} in this step, over failure-limit ${failureLimit}`;

/** `2 looks over the bound` (a threshold gate), `1 look showing a regression` (a statistical one). */
const failedLooks = (kind: string, failures: number): string =>
  `${counted(failures, 'look')} ${kind === 'threshold' ? 'over the bound' : 'showing a regression'}`;
