import type { GateState, Measurement, SeriesPoint } from './types.js';

/** Points kept per gate: enough for a chart, small enough for the PR comment's hidden state. */
export const SERIES_POINTS = 32;

const value = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : null);

/**
 * The gate with this look's values appended to its series. A full series drops one point first
 * (withoutClosest), so it always spans the whole release, its points about evenly spread in time.
 */
/** A time as the series keeps it: whole seconds since the release started. */
export const seriesSecond = (ms: number, startedAt: number): number => Math.round((ms - startedAt) / 1000);

export function withLook(gate: GateState, m: Measurement | undefined, startedAt: number): GateState {
  if (!m) return gate;
  const canary = value(m.canary);
  const baseline = value(m.baseline);
  if (canary === null && baseline === null) return gate;
  const point: SeriesPoint = [seriesSecond(m.at, startedAt), canary, baseline];
  const series = gate.series ?? [];
  const kept = series.length >= SERIES_POINTS ? withoutClosest([...series, point]) : [...series, point];
  return { ...gate, series: kept };
}

/**
 * A time-ordered series without the inner point whose neighbours are closest in time: the gap it
 * leaves is the smallest possible, at most 2 × span / (SERIES_POINTS - 1), so no stretch of a long
 * release thins faster than another. Dropping every other point instead thinned the oldest
 * stretch at each pass: of a 3-day shadow looked at every 15 min, the first 52 h were one point.
 * The first and the latest point are always kept.
 */
function withoutClosest(series: readonly SeriesPoint[]): SeriesPoint[] {
  const time = (i: number) => (series[i] as SeriesPoint)[0];
  let drop = 1;
  for (let i = 2; i < series.length - 1; i++)
    if (time(i + 1) - time(i - 1) < time(drop + 1) - time(drop - 1)) drop = i;
  return series.filter((_, i) => i !== drop);
}

/** Four significant digits: what the report's chart draws (toPrecision(4)). */
const rounded = (x: number | null) => (x === null ? null : Number(x.toPrecision(4)));

/**
 * At most `max` (≥ 1) points of a series, evenly spread and ending at its last, values rounded to
 * what the chart draws: a smaller stored state. The last point with both values is always kept,
 * as the engine asks whether a phase had one (planned-sample.ts, noConversionData).
 */
export function thinSeries(series: readonly SeriesPoint[], max: number): SeriesPoint[] {
  const n = series.length;
  const keep = new Set<number>();
  if (n <= max) for (let i = 0; i < n; i++) keep.add(i);
  const lastBoth = series.findLastIndex((p) => p[1] !== null && p[2] !== null);
  if (lastBoth >= 0) keep.add(lastBoth);
  // From the last point back, so that a release's latest looks are the ones kept.
  for (let k = 0; keep.size < Math.min(n, max); k++)
    keep.add(n - 1 - (max === 1 ? 0 : Math.round((k * (n - 1)) / (max - 1))));
  return [...keep]
    .sort((a, b) => a - b)
    .map((i) => {
      const [t, canary, baseline] = series[i] as SeriesPoint;
      return [t, rounded(canary), rounded(baseline)];
    });
}

/** The release with each gate's series thinned to at most `max` points (thinSeries). */
export const withThinSeries = <R extends { gates: GateState[] }>(release: R, max: number): R => ({
  ...release,
  gates: release.gates.map((g) => (g.series ? { ...g, series: thinSeries(g.series, max) } : g)),
});
