/** A metric value the way a reviewer reads it: rates as percentages, latencies in ms. */
export function formatValue(query: string, value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  if (/rate$/.test(query) && !/^request/.test(query))
    return `${(value * 100).toFixed(value < 0.001 && value > 0 ? 3 : 2)}%`;
  if (/^latency/.test(query)) return `${value.toFixed(1)} ms`;
  if (/^request-rate$/.test(query)) return `${value.toFixed(1)}/s`;
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

/** `1m 05s`, `42s`, `1h 10m`, for phase durations. */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}
