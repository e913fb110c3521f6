import { readsWholeService } from '../config/gate-queries.js';
import type { ModelConfig } from '../config/types.js';
import type { GateState, Release } from '../release/types.js';
import { isShare, latencyUnit } from './format.js';
import { failedAtPlannedSample, queryOf } from './rows.js';

type Both = [number, number, number];

/**
 * A gate's looks that saw both arms, one per second since the release started (the last of any
 * that share one): each becomes an x label, and mermaid's band axis merges equal labels into one
 * slot, stacking their points.
 */
function looks(g: GateState): Both[] {
  const bySecond = new Map<number, Both>();
  for (const p of g.series ?? []) {
    if (p[1] !== null && p[2] !== null) bySecond.set(Math.round(p[0]), [Math.round(p[0]), p[1], p[2]]);
  }
  return [...bySecond.values()];
}

/** Shares read as percentages and the sandbox's latencies in ms, as the gate table shows them; else no unit. */
function unitOf(query: string): { label?: string; scale: number } {
  if (isShare(query)) return { label: '%', scale: 100 };
  if (latencyUnit(query)) return { label: 'ms', scale: 1 };
  return { scale: 1 };
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * The x-axis for looks up to `last` seconds into the release: seconds under 3 minutes, then m:ss,
 * then h:mm:ss, then past a day days and h:mm:ss (`3d 4:05:06`, not `76:05:06`), each one label
 * per second, so distinct looks never share a label.
 */
function timeAxis(last: number): { title: string; label: (s: number) => string } {
  if (last < 180) return { title: 'seconds since the release started', label: (s) => `${s}s` };
  if (last < 3600)
    return {
      title: 'time since the release started (m:ss)',
      label: (s) => `${Math.floor(s / 60)}:${pad(s % 60)}`,
    };
  // h:mm:ss within its day (under a day: the whole time).
  const clock = (s: number) => `${Math.floor(s / 3600) % 24}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
  if (last < 86_400) return { title: 'time since the release started (h:mm:ss)', label: clock };
  return {
    title: 'time since the release started (days, h:mm:ss)',
    label: (s) => `${Math.floor(s / 86_400)}d ${clock(s)}`,
  };
}

/**
 * A mermaid string: its grammar has no escape for `"` (a string ends at the next one), and a
 * string opening with a backtick is read as markdown; a line break would end the statement.
 */
const quoted = (text: string) => `"${text.replace(/["`]/g, "'").replace(/\s+/g, ' ')}"`;

/** A plot value as mermaid's number token reads it: digits and a point, never an exponent (1e-7). */
const plain = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 4, useGrouping: false });

/**
 * The y-axis from 0 (or the lowest value, when below 0) to a little above the highest: mermaid's
 * own range starts at the lowest value plotted, where a bar of that value has no height at all.
 */
function yRange(values: number[]): [number, number] {
  const low = Math.min(0, ...values) || 0; // never -0, which reads `-0`
  const high = Math.max(...values);
  return [low, high > low ? high + (high - low) * 0.1 : low + 1];
}

/**
 * The gate the chart shows, of those it can: a failed one, else one still undecided, else the
 * first, each with at least two looks that saw both arms (one look draws no line). None where a
 * gate failed that it cannot show: a healthy gate's chart beside a failure reads as all is well.
 */
function chartedGate(release: Release, chartable: (g: GateState) => boolean): GateState | undefined {
  const { gates } = release;
  const failed = (g: GateState) => g.verdict === 'fail' || failedAtPlannedSample(g, release);
  const drawable = gates.filter((g) => chartable(g) && looks(g).length >= 2);
  if (gates.some(failed)) return drawable.find(failed);
  return drawable.find((g) => g.verdict === 'pending') ?? drawable[0];
}

/**
 * ` (failed)`, ` (passed)`, ` (undecided)` of an ended release's gate, as its row's verdict says it
 * (an A/B without a winner at its planned sample failed); nothing while it is deciding.
 */
function verdictWords(g: GateState, release: Release): string {
  if (g.verdict === 'fail' || failedAtPlannedSample(g, release)) return ' (failed)';
  if (g.verdict === 'pass') return ' (passed)';
  return release.status === 'analysing' ? '' : ' (undecided)';
}

/** Whether a gate's chart compares the arms: not the split check's, nor a whole-service gate's (one read twice). */
const chartableIn = (model: ModelConfig | undefined) => (g: GateState) => {
  const config = model?.gates.find((c) => c.name === g.name);
  const wholeService = config !== undefined && model !== undefined && readsWholeService(config, model);
  return g.kind !== 'srm' && !wholeService;
};

/**
 * Where a failed release has no chart of the gate that failed it, one line why, in the chart's
 * place: too few looks saw both arms to draw a line (a failure at the first look). Undefined where
 * a chart is drawn, or the release did not fail on a gate a chart could show.
 */
export function noChartLine(release: Release, model: ModelConfig | undefined): string | undefined {
  if (release.status !== 'failed' || keyMetricChart(release, model).length > 0) return undefined;
  const chartable = chartableIn(model);
  const gate = release.gates.find(
    (g) => chartable(g) && (g.verdict === 'fail' || failedAtPlannedSample(g, release)),
  );
  if (!gate) return undefined;
  const seen = looks(gate).length;
  const when = seen === 1 ? 'after a single look' : 'before any look saw both arms';
  return `No chart of ${gate.name}: it failed ${when}, and a chart needs two looks to draw a line.`;
}

/**
 * The release's key metric over the analysis, candidate against baseline, as a mermaid chart
 * (GitHub draws ```mermaid blocks in comments and job summaries): the gate chartedGate picks. xychart
 * draws no legend, so the arms differ in kind, as the title says: the baseline as bars, the
 * candidate as a line over them. Not the split check: its second series is the configured share,
 * not the baseline version's; nor a gate reading the whole service. No chart without one.
 */
export function keyMetricChart(release: Release, model: ModelConfig | undefined): string[] {
  const configOf = (g: GateState) => model?.gates.find((c) => c.name === g.name);
  const gate = chartedGate(release, chartableIn(model));
  if (!gate) return [];
  const points = looks(gate);
  const unit = unitOf(queryOf(configOf(gate), gate.name));
  const scaled = (i: 1 | 2) => points.map((p) => p[i] * unit.scale);
  const [low, high] = yRange([...scaled(1), ...scaled(2)]);
  const y = (x: number) => plain.format(x);
  // The series is thinned as it grows (series.ts drops the point nearest its neighbours once full), so
  // the looks are not evenly spaced in time while the band axis spaces them evenly: each label says when.
  const axis = timeAxis(points.at(-1)?.[0] ?? 0);
  const title = `${gate.name}${verdictWords(gate, release)}: the line is candidate ${release.to}, the bars baseline ${release.from}`;
  return [
    '```mermaid',
    'xychart-beta',
    `  title ${quoted(title)}`,
    `  x-axis ${quoted(axis.title)} [${points.map(([s]) => quoted(axis.label(s))).join(', ')}]`,
    `  y-axis ${quoted(unit.label ? `${gate.name} (${unit.label})` : gate.name)} ${y(low)} --> ${y(high)}`,
    // The bars first: mermaid draws in order, so the line stays visible over them.
    `  bar [${scaled(2).map(y).join(', ')}]`,
    `  line [${scaled(1).map(y).join(', ')}]`,
    '```',
  ];
}
