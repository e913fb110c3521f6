import { NoDataError } from './no-data.js';
import type { MetricWindow } from './source.js';

/**
 * A count query that matched nothing for one arm: no data, never 0 (SPEC section 4). A misspelt
 * metric, label or tag matches nothing too, and read as 0 events it would pass a failing
 * candidate. The message names the arm and the query, and `advice` says what to check and how
 * to write a zero that is meant (each backend has its own idiom).
 */
export function matchedNothing(
  source: string,
  what: string,
  w: MetricWindow,
  advice: string,
  shownQuery: string,
): NoDataError {
  return new NoDataError(
    `${source}: ${what} matched nothing for the ${w.slot} slot (version ${w.version}), which is no data, not 0: ${advice}: ${shownQuery}`,
  );
}
