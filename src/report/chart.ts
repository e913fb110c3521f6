import { readsWholeService } from '../config/gate-queries.js';
import type { ModelConfig } from '../config/types.js';
import type { GateState, Release } from '../release/types.js';
import { latencyUnit } from './format.js';
import { queryOf } from './rows.js';

type Both = [number, number, number];
const both = (g: GateState): Both[] =>
  (g.series ?? []).filter((p): p is Both => p[1] !== null && p[2] !== null);

/** Rates read as percentages and the sandbox's latencies in ms, as the gate table shows them. */
function unitOf(query: string): { label: string; scale: number } {
  if (/rate$/.test(query) && !/^request/.test(query)) return { label: '%', scale: 100 };
  if (latencyUnit(query)) return { label: 'ms', scale: 1 };
  return { label: query.replace(/[^\w .-]/g, ''), scale: 1 };
}

/**
 * The release's key metric over the analysis, candidate against baseline, as a mermaid line
 * chart (GitHub draws ```mermaid blocks in comments and job summaries): the first gate with
 * at least two looks that saw both arms. Not the split check: its second line is the configured
 * share, not the baseline version's; nor a gate reading the whole service. No chart without one.
 */
export function keyMetricChart(release: Release, model: ModelConfig | undefined): string[] {
  const configOf = (g: GateState) => model?.gates.find((c) => c.name === g.name);
  // A whole-service gate's two lines are one series read twice, not candidate against baseline.
  const wholeService = (g: GateState) => {
    const config = configOf(g);
    return config !== undefined && model !== undefined && readsWholeService(config, model);
  };
  const gate = release.gates.find((g) => g.kind !== 'srm' && !wholeService(g) && both(g).length >= 2);
  if (!gate) return [];
  const points = both(gate);
  const unit = unitOf(queryOf(configOf(gate), gate.name));
  const y = (x: number) => Number((x * unit.scale).toPrecision(4));
  const minutes = points.map(([s]) => `"${(s / 60).toFixed(1)}"`);
  return [
    '```mermaid',
    'xychart-beta',
    `  title "${gate.name}: candidate ${release.to} (first line) vs baseline ${release.from}"`,
    `  x-axis "minutes since the release started" [${minutes.join(', ')}]`,
    `  y-axis "${unit.label}"`,
    `  line [${points.map((p) => y(p[1])).join(', ')}]`,
    `  line [${points.map((p) => y(p[2])).join(', ')}]`,
    '```',
  ];
}
