import type { Config } from '../config/types.js';
import type { RunResult } from '../release/pull-request.js';
import { decisionSentences, type ReportAt, reportStatus, reportTitle, worstFirst } from './decision.js';
import { restartLine } from './restart-line.js';
import { gateRows, phaseRows, splitNote } from './rows.js';

/**
 * The report's heading and its one-line decisions, as a terminal (and the step log) shows them;
 * `at`, the config and time of the report, where known (what blue-green's kept-warm blue says).
 */
export const terminalHead = (result: RunResult, at?: ReportAt): string[] => [
  `model-gate: ${reportTitle(result)}`,
  ...decisionSentences(result, 'DRIFT ', at).map((line) => `  ${line}`),
];

/** The same report for a terminal: aligned columns, no markdown. */
export function renderTerminal(config: Config, result: RunResult, now: number): string {
  const out = terminalHead(result, { config, now });
  for (const r of worstFirst(result.releases)) {
    out.push('', `${r.model}: ${r.from} -> ${r.to} (${reportStatus(r, result)})`);
    const restart = restartLine(r);
    if (restart) out.push(`  ${restart}`);
    const split = splitNote(config.models[r.model]);
    if (split) out.push(`  note: ${split}`);
    const gates = gateRows(r, config.models[r.model]);
    if (gates.length > 0) {
      out.push(
        ...table(
          ['gate', 'candidate', 'baseline', 'bound', 'verdict'],
          gates.map((g) => [
            g.gate,
            g.candidate,
            g.baseline,
            g.bound,
            g.note ? `${g.verdict}: ${g.note}` : g.verdict,
          ]),
        ),
      );
    }
    const phases = phaseRows(r, config.models[r.model], now);
    if (phases.length > 0) {
      out.push(
        '',
        ...table(
          ['phase', 'traffic', 'lasted', 'outcome'],
          phases.map((p) => [p.phase, p.traffic, p.lasted, p.note ? `${p.outcome}: ${p.note}` : p.outcome]),
        ),
      );
    }
  }
  return `${out.join('\n')}\n`;
}

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cols: string[]) => `  ${cols.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd();
  return [line(head), ...rows.map(line)];
}
