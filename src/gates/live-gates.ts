import type { GateConfig } from '../config/types.js';
import type { GateState } from '../release/types.js';
import { foldMeasurement, type MeasureContext, measureThreshold } from './threshold-gate.js';

/** Gate kinds judged on live metrics during a phase (the rest are checked before deploying). */
export const isLiveGate = (gate: GateConfig): boolean => gate.kind !== 'offline';

/**
 * One look at one live gate over the current phase: measure it and fold the result
 * into its standing. One case per live gate kind.
 */
export async function lookAtGate(
  gate: GateConfig,
  state: GateState,
  ctx: MeasureContext,
): Promise<GateState> {
  switch (gate.kind) {
    case 'threshold':
      return foldMeasurement(state, gate, await measureThreshold(gate, ctx));
    case 'offline':
      return state;
  }
}
