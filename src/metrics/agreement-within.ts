/**
 * An agreement gate with a `tolerance`, on the sandbox source: a shadow copy agrees when its score
 * is within the tolerance of stable's. The gate is judged as a threshold gate on one query, so the
 * config hands the tolerance to the sandbox source in that query, `agreement within 0.05`, which
 * the report's row then shows as it is.
 */
import { SCORE_DIFF_BOUNDS } from '../sandbox/histogram.js';

/**
 * The tolerances the sandbox answers exactly: the bounds of its score-difference histogram. One
 * between two bounds would have to guess how many copies of that bucket it holds.
 */
export const AGREEMENT_TOLERANCES: readonly number[] = SCORE_DIFF_BOUNDS;

const PREFIX = 'agreement within ';

export const agreementWithinQuery = (tolerance: number): string => `${PREFIX}${tolerance}`;

/** The tolerance of an `agreement within <tolerance>` query, or undefined for any other query. */
export function toleranceOf(query: string): number | undefined {
  if (!query.startsWith(PREFIX)) return undefined;
  const text = query.slice(PREFIX.length);
  const tolerance = Number(text);
  return text !== '' && Number.isFinite(tolerance) ? tolerance : undefined;
}
