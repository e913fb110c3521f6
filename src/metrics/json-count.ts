/**
 * Counts selected out of JSON (the http-json and file sources): the request count and a gate's
 * count queries. A selector that picks no number is no data, never 0 (SPEC section 4): a misspelt
 * `requests` selector read as 0 requests held every gate at "0 of 100 candidate requests" until
 * the deadline, and an srm gate judged the candidate's 0 a sample ratio mismatch. The NoDataError
 * names the selector and the arm, as the Prometheus source's does for its count queries.
 */
import { hideUrlSecrets } from '../core/safe-url.js';
import { armName, matchedNothing } from './matched-nothing.js';
import { NoDataError } from './no-data.js';
import { countQueryName, REQUESTS_QUERY, requestCount } from './reduce.js';
import { select, selectNumber } from './selector.js';
import { showQuery, snippet } from './show-query.js';
import type { MetricWindow } from './source.js';

export interface CountPlace {
  /** `http-json` or `file`: how the message starts. */
  source: string;
  /** How messages about the document's content name it (selectNumber's `where`). */
  where: string;
  /** The document as the advice names it: `the answer of https://...`, `the canary entry of m.json`. */
  document: string;
  /** What to do about a negative count (NEGATIVE_COUNT_ADVICE when absent). */
  negativeAdvice?: string;
}

/**
 * The count `selector` picks out of `doc`: whole; a negative one is an error naming the selector,
 * none a NoDataError.
 */
export function selectCount(
  doc: unknown,
  selector: string,
  what: string,
  w: MetricWindow,
  place: CountPlace,
): number {
  const n = selectNumber(doc, selector, place.where);
  if (n !== undefined) {
    return requestCount(n, {
      named: `${place.where}: ${what}`,
      shownQuery: showQuery(selector),
      ...(place.negativeAdvice ? { advice: place.negativeAdvice } : {}),
    });
  }
  const said = endpointSays(doc, selector, place.where, what, w, checkAdvice(what));
  if (said) throw said;
  const held = heldThere(select(doc, selector));
  throw matchedNothing(
    place.source,
    what,
    w,
    `${place.document} ${held}; ${checkAdvice(what)}`,
    showQuery(selector),
  );
}

/**
 * An answer with nothing at the selector but a top-level `error` or `message` text (a 2xx that
 * reports a failure: `{"error": "model fraud is still loading"}`): no data, quoting its words
 * first, since they say why; undefined for any other answer. `advice`: what to check if the
 * endpoint answers so on success too.
 */
export function endpointSays(
  doc: unknown,
  selector: string,
  where: string,
  what: string,
  w: MetricWindow,
  advice: string,
): NoDataError | undefined {
  if (select(doc, selector) !== undefined || doc === null || typeof doc !== 'object') return undefined;
  const field = ['error', 'message'].find((k) => typeof (doc as Record<string, unknown>)[k] === 'string');
  if (field === undefined) return undefined;
  // A server may echo the request URL, with the api_key it carries, in its error.
  const words = hideUrlSecrets(snippet((doc as Record<string, string>)[field] as string, 120));
  return new NoDataError(
    `${where} says ${JSON.stringify(words)} (its "${field}"), with nothing at ${what}'s selector for ${armName(w)}, which is no data: look into what it reports; if it answers this way when healthy too, ${advice}: ${showQuery(selector)}`,
  );
}

/**
 * What the document holds where a count was looked for. JSON's 1e999 parses as an infinity,
 * which JSON.stringify writes as null.
 */
function heldThere(found: unknown): string {
  if (found === undefined) return 'has nothing there';
  if (typeof found === 'number' && !Number.isFinite(found))
    return `holds ${Number.isNaN(found) ? 'NaN' : found > 0 ? 'an infinity' : 'a negative infinity'} there`;
  return `holds ${JSON.stringify(found)} there`;
}

/** A document without an entry for the arm at all (a file without the slot, or of another version). */
export function noEntry(source: string, what: string, w: MetricWindow, why: string, selector: string) {
  return matchedNothing(source, what, w, `${why}; ${checkAdvice(what)}`, showQuery(selector));
}

const checkAdvice = (what: string) =>
  what === countQueryName(REQUESTS_QUERY)
    ? 'check the selector (metrics.requests); a count of 0 must be written as 0'
    : 'check the selector; a count of 0 must be written as 0';
