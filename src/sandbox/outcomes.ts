/**
 * Delayed outcome feedback: a label or a conversion reported after a prediction, credited to the
 * arm and version that served it.
 *
 * The business side is simulated here, in the server, not by the client: feedback that omits
 * `converted` gets a conversion drawn with probability `conversionRate × conversionFactor` of the
 * serving artifact. So a client (the traffic generator, a test) needs to know nothing about the
 * artifacts, and a version's conversion effect stays a property of the version. The draw is a
 * hash of (seed, model, request id), not a shared stream: it does not depend on the order in
 * which feedback arrives, so a seeded run converts the same requests every time. A request the
 * model failed (HTTP 500) never converts by draw: a failed prediction cannot lead to the outcome,
 * so a candidate that errors shows it in its conversions too (the A/B conversion gate sees it).
 */

import { stickyPoint } from './router.js';
import type { ServedRequest } from './served-log.js';

/** Default probability that a request converts, before the serving version's factor. */
export const DEFAULT_CONVERSION_RATE = 0.1;

/**
 * The base rate of the demo and of `model-gate sandbox`: high enough that an A/B release of the
 * example config (a 10% non-inferiority margin) is decided within its 60 s step at a few hundred
 * requests a second; at 0.1 it needs several minutes.
 */
export const DEMO_CONVERSION_RATE = 0.3;

export interface Feedback {
  id: string;
  label?: 0 | 1;
  converted?: boolean;
}

export interface OutcomeRecord {
  /** Undefined when the feedback carried no label. */
  correct: boolean | undefined;
  converted: boolean;
}

export function outcomeOf(
  feedback: Feedback,
  served: ServedRequest,
  draw: { seed: number; model: string; conversionRate: number },
): OutcomeRecord {
  const correct = feedback.label === undefined ? undefined : served.prediction === feedback.label;
  // An outcome the client reports is its fact and is kept; only the simulated draw knows the error.
  const converted =
    feedback.converted ??
    (served.prediction !== undefined &&
      conversionPoint(draw.seed, draw.model, feedback.id) < draw.conversionRate * served.conversionFactor);
  return { correct, converted };
}

/** Uniform in [0, 1), fixed for a (seed, model, id). */
export const conversionPoint = (seed: number, model: string, id: string): number =>
  stickyPoint(JSON.stringify(['conversion', seed, model, id])) / 100;
