import type { GateState, Measurement, SeriesPoint } from './types.js';

/** Points kept per gate: enough for a chart, small enough for the PR comment's hidden state. */
export const SERIES_POINTS = 32;

const value = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : null);

/**
 * The gate with this look's values appended to its series. A full series is thinned to every
 * other point first (the first kept), so it always spans the whole release at coarser steps.
 */
export function withLook(gate: GateState, m: Measurement | undefined, startedAt: number): GateState {
  if (!m) return gate;
  const canary = value(m.canary);
  const baseline = value(m.baseline);
  if (canary === null && baseline === null) return gate;
  const point: SeriesPoint = [Math.round((m.at - startedAt) / 1000), canary, baseline];
  const series = gate.series ?? [];
  const kept = series.length >= SERIES_POINTS ? series.filter((_, i) => i % 2 === 0) : series;
  return { ...gate, series: [...kept, point] };
}
