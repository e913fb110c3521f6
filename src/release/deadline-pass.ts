import { toleratedAtDeadline } from '../gates/threshold-gate.js';
import type { GateState, Measurement } from './types.js';

// How a step's deadline decides a gate still pending: the engine's (tick.ts settle) and
// `model-gate analyze`'s replay of a look marked `deadline` use the same rule.

/**
 * A statistical guard that saw the data without finding a regression. Not a conversion gate: an
 * A/B candidate is promoted only as a significant winner (or shown non-inferior), never for want
 * of evidence against it.
 */
export const judgedWithoutRegression = (g: GateState, look: Measurement | undefined) =>
  g.kind !== 'conversion' &&
  look?.verdict === 'waiting' &&
  (look.evidence?.eValue !== undefined ||
    look.evidence?.pValue !== undefined ||
    look.evidence?.interval !== undefined);

/**
 * Not a conversion gate's tolerated failure: an A/B promotes only a shown winner (or non-inferior
 * one), and a tolerated regression is neither.
 */
export const passesAtDeadline = (g: GateState, look: Measurement | undefined) =>
  judgedWithoutRegression(g, look) || (g.kind !== 'conversion' && toleratedAtDeadline(g, look));
