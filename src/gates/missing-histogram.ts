import type { Bucket } from '../metrics/histogram.js';
import { armName } from '../metrics/matched-nothing.js';
import { showQuery } from '../metrics/show-query.js';
import type { MetricWindow } from '../metrics/source.js';

/** Requests a cumulative histogram counted: its last bucket's count (0 for none). */
export const histogramTotal = (b: Bucket[] | undefined): number => b?.at(-1)?.count ?? 0;

/**
 * The note of a look where an arm's histogram is missing or empty: which arm, and the query as
 * written, so a misspelt metric or label is found from the report (`no latency histogram for the
 * canary slot (version v2): "sum by (le) (…)"`). Undefined when both arms have one.
 */
export function noHistogramNote(
  what: string,
  query: string,
  arms: readonly { buckets: Bucket[] | undefined; window: Pick<MetricWindow, 'slot' | 'version'> }[],
): string | undefined {
  const empty = arms.filter((arm) => histogramTotal(arm.buckets) === 0);
  if (empty.length === 0) return undefined;
  return `no ${what} for ${empty.map((arm) => armName(arm.window)).join(' nor ')}: ${showQuery(query)}`;
}
