/**
 * Renders the sandbox's counters in the Prometheus text exposition format (version 0.0.4),
 * so a real Prometheus can scrape the sandbox and gates can run PromQL against it.
 */
import type { Histogram } from './histogram.js';
import type { SeriesTotals, Slot } from './metrics-store.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface WeightSample {
  model: string;
  slot: Slot;
  version: string;
  /** Percent of live traffic, 0..100. */
  weight: number;
}

type Labels = Record<string, string>;

export function renderPrometheus(series: SeriesTotals[], weights: WeightSample[]): string {
  const out: string[] = [];
  const family = (name: string, type: string, help: string) => {
    out.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
  };

  family('model_gate_requests_total', 'counter', 'Prediction requests served, by slot, version and outcome.');
  for (const s of series) {
    const base = { model: s.model, slot: s.slot, version: s.version };
    const ok = s.counts.requests - s.counts.errors - s.counts.nulls;
    out.push(sample('model_gate_requests_total', { ...base, outcome: 'ok' }, ok));
    out.push(sample('model_gate_requests_total', { ...base, outcome: 'error' }, s.counts.errors));
    out.push(sample('model_gate_requests_total', { ...base, outcome: 'null' }, s.counts.nulls));
  }

  family('model_gate_request_duration_seconds', 'histogram', 'Time to answer a prediction request.');
  for (const s of series) {
    // Observed in ms, exposed in seconds as Prometheus conventions ask.
    histogram(out, 'model_gate_request_duration_seconds', s, s.counts.latencyMs, 1 / 1000);
  }

  family('model_gate_prediction_score', 'histogram', 'Scores returned by the model (errors have none).');
  for (const s of series) histogram(out, 'model_gate_prediction_score', s, s.counts.scores, 1);

  const dropped = 'model_gate_shadow_dropped_total';
  family(dropped, 'counter', 'Shadow copies of live requests not run because too many were in flight.');
  for (const s of series.filter((x) => x.slot === 'shadow')) {
    out.push(sample(dropped, { model: s.model, slot: s.slot, version: s.version }, s.counts.dropped));
  }

  family('model_gate_traffic_weight', 'gauge', 'Percent of live traffic routed to the slot.');
  for (const w of weights) {
    out.push(
      sample('model_gate_traffic_weight', { model: w.model, slot: w.slot, version: w.version }, w.weight),
    );
  }
  return `${out.join('\n')}\n`;
}

function histogram(out: string[], name: string, s: SeriesTotals, h: Histogram, scale: number): void {
  const base = { model: s.model, slot: s.slot, version: s.version };
  let running = 0;
  h.counts.forEach((c, i) => {
    running += c;
    const le = i < h.bounds.length ? formatNumber((h.bounds[i] as number) * scale) : '+Inf';
    out.push(sample(`${name}_bucket`, { ...base, le }, running));
  });
  out.push(sample(`${name}_sum`, base, h.sum * scale));
  out.push(sample(`${name}_count`, base, h.count));
}

function sample(name: string, labels: Labels, value: number): string {
  const body = Object.entries(labels)
    .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
    .join(',');
  return `${name}{${body}} ${formatNumber(value)}`;
}

/** Label values escape backslash, double quote and line feed. */
export const escapeLabelValue = (v: string) =>
  v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** HELP text escapes backslash and line feed only. */
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function formatNumber(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return '+Inf';
  if (x === Number.NEGATIVE_INFINITY) return '-Inf';
  // Rounding to 12 significant digits hides float noise such as 0.015000000000000001.
  return String(Number(x.toPrecision(12)));
}
