import { NoDataError } from './no-data.js';
import { showQuery } from './show-query.js';
import type { MetricWindow } from './source.js';

/** How notes name one arm of a look: `the canary slot (version v2)`. */
export const armName = (w: Pick<MetricWindow, 'slot' | 'version'>): string =>
  `the ${w.slot} slot (version ${w.version})`;

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
    `${source}: ${what} matched nothing for ${armName(w)}, which is no data, not 0: ${advice}: ${shownQuery}`,
  );
}

/**
 * A gate's query that gave no number for one arm (nothing matched, NaN, partial data): what a
 * look's note says, naming the query as written, as the count queries' notes do.
 */
export const noNumber = (query: string, w: Pick<MetricWindow, 'slot' | 'version'>): string =>
  `the query gave no number for ${armName(w)}: ${showQuery(query)}`;
