import { SIDE_BY_SIDE_KINDS } from '../config/types.js';
import type { Phase } from '../strategies/strategy.js';
import type { GateState, Measurement } from './types.js';

// At 100% of live traffic no stable traffic runs beside the candidate: a gate that compares the
// two cannot judge there, and only a pass an earlier phase gave it stands in for it.

export const atFullTraffic = (phase: { weight: number } | undefined) => (phase?.weight ?? 0) >= 100;

/** A gate that compares the candidate with stable traffic over the same window. */
export const isSideBySide = (g: { kind: GateState['kind'] }) => SIDE_BY_SIDE_KINDS.includes(g.kind);

/**
 * A side-by-side gate that passed the phase before one at 100% of live traffic (a rolling release's
 * last batch): with no stable traffic left to compare with, that pass is the last word on it.
 */
export const carriesPass = (g: GateState, phase: Phase) =>
  atFullTraffic(phase) && isSideBySide(g) && g.verdict === 'pass';

/**
 * The look that says an earlier phase's pass stands at 100% of traffic; `redefined`: the config
 * defines the gate otherwise now, and that pass was judged under its earlier definition.
 */
export const carriedLook = (now: number, redefined = false): Measurement => ({
  at: now,
  verdict: 'pass',
  note: `not judged at 100% of traffic: no stable traffic left to compare with (judged in the earlier phases${redefined ? ', under its earlier definition' : ''})`,
});
