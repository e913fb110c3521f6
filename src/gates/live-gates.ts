import type { GateConfig } from '../config/types.js';
import type { GateState, Measurement } from '../release/types.js';
import { measureConversion } from './conversion-gate.js';
import { measureDrift } from './drift-gate.js';
import { measureLatency } from './latency-gate.js';
import {
  foldStatistical,
  measureRatio,
  measureSrm,
  type StatisticalContext,
  slotWindow,
} from './ratio-gate.js';
import { stoppedCandidate } from './stopped-candidate.js';
import { foldMeasurement, type MeasureContext, measureThreshold, usableLook } from './threshold-gate.js';
import { measureWebhook } from './webhook-gate.js';

/** Gate kinds judged on live metrics during a phase (the rest are checked before deploying). */
export const isLiveGate = (gate: GateConfig): boolean => gate.kind !== 'offline';

/**
 * One look at one live gate over the current phase: measure it and fold the result
 * into its standing. One case per live gate kind. A look on the candidate's arm whose counts
 * stood still for longer than a scrape offset explains, while the split owed it requests, is no
 * evidence (stoppedCandidate); not the split check's (a stopped arm is the mismatch it judges) nor
 * an A/B's conversion (its pass is the decision on the data seen, and sticky users make request
 * counts lumpy).
 */
export async function lookAtGate(
  gate: GateConfig,
  state: GateState,
  ctx: MeasureContext | StatisticalContext,
): Promise<GateState> {
  const next = await measured(gate, state, ctx);
  // A gate that kept its standing (offline) made no look of this window.
  return next.last === state.last ? next : withDroppedCopies(next, ctx);
}

async function measured(
  gate: GateConfig,
  state: GateState,
  ctx: MeasureContext | StatisticalContext,
): Promise<GateState> {
  const checked = (m: Measurement) => stoppedCandidate(m, usableLook(state, ctx.since), ctx);
  switch (gate.kind) {
    case 'threshold':
      return foldMeasurement(state, gate, checked(await measureThreshold(gate, ctx)));
    case 'ratio':
      return foldStatistical(state, gate, checked(await measureRatio(gate, ctx)));
    case 'latency':
      return foldStatistical(state, gate, checked(await measureLatency(gate, ctx)));
    case 'srm':
      return foldStatistical(state, gate, await measureSrm(gate, ctx));
    case 'conversion':
      return foldStatistical(state, gate, await measureConversion(gate, ctx));
    case 'drift':
      return foldStatistical(state, gate, checked(await measureDrift(gate, ctx)));
    case 'webhook':
      return foldStatistical(state, gate, await measureWebhook(gate, ctx));
    case 'offline':
      return state;
  }
}

/**
 * A shadow's look with the copies its mirror dropped over the same window, where the source counts
 * them: its `canaryRequests` are only the copies run, and a slow candidate under heavy traffic
 * runs few of them, which the report must say. A source that cannot tell leaves the look as it is.
 */
async function withDroppedCopies(state: GateState, ctx: MeasureContext): Promise<GateState> {
  const look = state.last;
  if (ctx.candidateSlot !== 'shadow' || !ctx.metrics.droppedCopies || look?.canaryRequests === undefined)
    return state;
  const dropped = await ctx.metrics.droppedCopies(slotWindow(ctx, 'canary')).catch(() => undefined);
  return dropped === undefined ? state : { ...state, last: { ...look, dropped } };
}
