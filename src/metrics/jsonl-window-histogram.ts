/**
 * A histogram over a window from JSONL lines (file-source.ts). Each line holds running totals, as
 * a Prometheus counter does, so the window's histogram is their increase: the last line at or
 * before `until` minus the last line at or before `since` (none: the totals began inside the
 * window), as Prometheus' increase() reads a counter. Read as the last line alone, cumulative
 * lines diluted a drift watch's recent hour into everything counted before it.
 */
import { MetricsError } from '../core/errors.js';
import type { Bucket } from './histogram.js';
import { NoDataError } from './no-data.js';
import { selectBuckets } from './selector.js';
import type { MetricWindow } from './source.js';

/** A line of the window's slot (and model and version, where stated): its place in the file and time. */
export interface SlotLine {
  entry: Record<string, unknown>;
  /** 1-based line number in the file. */
  line: number;
  /** Epoch ms of its "time"; undefined where the line has none. */
  at?: number;
}

/**
 * The increase of the histogram `query` over the window, from `lines` of its slot in file order.
 * No line of it inside the window is no data (undefined); lines without "time" have no place in
 * any window, so where they are all the slot has, no data with the reason (NoDataError).
 */
export function windowHistogram(
  lines: readonly SlotLine[],
  query: string,
  w: MetricWindow,
  file: string,
): Bucket[] | undefined {
  const where = (l: SlotLine) => `file: ${file}:${l.line} (${w.slot})`;
  const holding = lines.flatMap((l) => {
    const buckets = selectBuckets(l.entry, query, where(l));
    return buckets ? [{ ...l, buckets }] : [];
  });
  const timed = holding.filter((l) => l.at !== undefined);
  if (timed.length === 0 && holding.length > 0)
    throw new NoDataError(
      `file: ${file}: the ${w.slot} lines holding ${JSON.stringify(query)} carry no "time", so no window's histogram can be read from them (it is the increase of their running totals over the window); write "time" (epoch seconds or ISO 8601) on each line`,
    );
  const lastBy = (t: number) => timed.findLast((l) => (l.at as number) <= t);
  const end = lastBy(w.until);
  if (end === undefined || (end.at as number) <= w.since) return undefined;
  const start = lastBy(w.since);
  if (start === undefined) return end.buckets;
  const bounds = (b: Bucket[]) => b.map((x) => x.le).join(', ');
  if (bounds(start.buckets) !== bounds(end.buckets))
    throw new MetricsError(
      `${where(end)}: ${JSON.stringify(query)} has the bounds ${bounds(end.buckets)}, line ${start.line} ${bounds(start.buckets)}; a window's histogram is the increase between them, so the bounds must stay the same (start a new file when they change)`,
    );
  const increase = end.buckets.map((b, i) => ({
    le: b.le,
    count: b.count - (start.buckets[i] as Bucket).count,
  }));
  const fell = increase.findIndex((b) => b.count < 0);
  if (fell >= 0)
    throw new MetricsError(
      `${where(end)}: ${JSON.stringify(query)} counts fewer at le ${increase[fell]?.le} than line ${start.line} did; lines carry running totals (a window's histogram is their increase), so counts never fall: write totals since the writer began, and start a new file when it restarts`,
    );
  return increase;
}
