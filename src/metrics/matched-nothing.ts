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

/**
 * A count query that matched nothing because its range holds fewer than two scrapes yet:
 * increase() and rate() need two samples, so a step's first looks match nothing where Prometheus
 * scrapes less often than they come (60 s scrapes, 30 s looks). The series are there: the look
 * waits for data (never counted as inconclusive), and the note says what to check if it lasts.
 */
export class TooFewScrapesError extends NoDataError {}

/** What a probe of one range selector found: its samples over the range plus the lookback. */
export interface ScrapeProbe {
  selector: string;
  /** The selector's offset and @ modifiers as written (empty: none). */
  modifiers: string;
  /** The selector's range as written, in seconds. */
  rangeS: number;
  /** The most samples one of its series has in `probedS` seconds up to the window's end. */
  samples: number;
  probedS: number;
}

export function tooFewScrapes(what: string, w: MetricWindow, p: ScrapeProbe): TooFewScrapesError {
  return new TooFewScrapesError(
    `prometheus: ${what} has no number for ${armName(w)} yet: its ${p.rangeS}s range holds fewer than two scrapes of ${showQuery(p.selector)} (${p.samples} in the last ${p.probedS}s), and increase() needs two: waiting for data; if the looks keep waiting, Prometheus scrapes these series less often than the look interval: check their job's scrape_interval (Status > Targets in Prometheus) and set the model's strategy interval to at least twice it`,
  );
}

/** Epoch ms as UTC to the second: `2026-05-04T10:31:07Z`. */
const utc = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * A count query that matched nothing because the arm's series stopped: their range holds too few
 * scrapes, as a young series' does, but Prometheus has no current sample of them any more (it
 * marks a series stale at the first failed scrape of its target, and a target removed from its
 * scrape config or service discovery a few intervals later). Not waiting for data that is on its
 * way: no data, inconclusive, saying since when the series has not been scraped.
 */
export function seriesStopped(what: string, w: MetricWindow, p: ScrapeProbe, lastAt: number): NoDataError {
  return new NoDataError(
    `prometheus: ${what} matched nothing for ${armName(w)}: Prometheus last scraped ${showQuery(p.selector)} at ${utc(lastAt)} and has no current sample of it (its target stopped answering or was removed), so ${armName(w)} or its metrics stopped; no data, not waiting for it: check that its pods are running and that their target is up (Status > Targets in Prometheus)`,
  );
}
