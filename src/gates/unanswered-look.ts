import { MetricsError } from '../core/errors.js';
import { NoDataError } from '../metrics/no-data.js';
import { RateLimitedError } from '../metrics/passing-fault.js';
import type { Measurement } from '../release/types.js';

/**
 * What a defect in model-gate's own code throws while looking (a TypeError on a missing field, a
 * SyntaxError out of JSON.parse), as opposed to the job itself failing.
 */
const DEFECTS = [TypeError, SyntaxError, RangeError, ReferenceError];

/**
 * A look the metric source could not answer: a partial answer is no data (inconclusive, never a
 * pass), any other metrics failure an error the gate counts against its consecutive-error-limit
 * (one a rate limit refused, not before the limit resets: threshold-gate.ts foldMeasurement).
 * A defect is an error look too, saying so: thrown, it stopped the run with the candidate's live
 * traffic left on, and a schedule tick stopped there every time; counted, the gate ends the
 * release at its limit and the candidate is withdrawn. Anything else propagates.
 */
export function unansweredLook(at: number, err: unknown): Measurement {
  if (err instanceof NoDataError) return { at, verdict: 'inconclusive', note: err.message };
  if (err instanceof RateLimitedError)
    return { at, verdict: 'error', note: err.message, rateLimitedUntil: err.until };
  if (err instanceof MetricsError) return { at, verdict: 'error', note: err.message };
  if (!DEFECTS.some((kind) => err instanceof kind)) throw err;
  const { name, message } = err as Error;
  return {
    at,
    verdict: 'error',
    note: `model-gate could not take this look (${name}: ${message}); a defect in model-gate, please report it`,
  };
}
