import { MetricsError } from '../core/errors.js';
import { NoDataError } from '../metrics/no-data.js';
import type { Measurement } from '../release/types.js';

/**
 * A look the metric source could not answer: a partial answer is no data (inconclusive, never a
 * pass), any other metrics failure an error the gate counts against its consecutive-error-limit.
 * Anything else is a defect and propagates.
 */
export function unansweredLook(at: number, err: unknown): Measurement {
  if (err instanceof NoDataError) return { at, verdict: 'inconclusive', note: err.message };
  if (err instanceof MetricsError) return { at, verdict: 'error', note: err.message };
  throw err;
}
