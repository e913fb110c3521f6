import type { Config } from '../config/types.js';
import type { RunResult } from '../release/pull-request.js';
import { perRequestSplitNote } from '../targets/capabilities.js';
import { keyMetricChart } from './chart.js';
import {
  configChangesLines,
  decisionSentences,
  releaseSeverity,
  reportSentence,
  reportStatus,
  reportTitle,
  rollbackSentence,
  skippedSentence,
  unsaidLines,
} from './decision.js';
import { gateRows, phaseRows } from './rows.js';

export interface ReportMeta {
  now: number;
  runUrl?: string;
  /** Leave out the phase history, to fit a size limit. */
  compact?: boolean;
}

/** The whole report as GitHub markdown: the decision first, then evidence per model. */
export function renderMarkdown(config: Config, result: RunResult, meta: ReportMeta): string {
  const lines = [`## model-gate: ${reportTitle(result)}`, ''];
  // A rollback outranks the releases beside it (an earlier promotion it undid): it comes first.
  for (const line of decisionSentences(result, '⚠️ ')) lines.push(`- ${escapeMarkdown(line)}`);
  for (const r of result.releases) {
    const model = config.models[r.model];
    lines.push(
      '',
      `### ${escapeMarkdown(r.model)}: ${escapeMarkdown(r.from)} → ${escapeMarkdown(r.to)} (${escapeMarkdown(reportStatus(r, result))})`,
      '',
    );
    const split =
      model?.strategy.type === 'ab'
        ? perRequestSplitNote(model.target.type, model.strategy.stickyHeader)
        : undefined;
    if (split) lines.push(`ℹ️ ${escapeMarkdown(split)}`, '');
    const gates = gateRows(r, model);
    if (gates.length > 0) {
      lines.push('| gate | candidate | baseline | bound | verdict |', '|---|---|---|---|---|');
      for (const g of gates) {
        const verdict = g.note ? `${g.verdict}: ${g.note}` : g.verdict;
        lines.push(`| ${cells(g.gate, g.candidate, g.baseline, g.bound, verdict)} |`);
      }
    }
    const chart = meta.compact ? [] : keyMetricChart(r, model);
    if (chart.length > 0) lines.push('', ...chart);
    const phases = meta.compact ? [] : phaseRows(r, model, meta.now);
    if (phases.length > 0) {
      lines.push('', '<details><summary>Phase history</summary>', '');
      lines.push('| phase | traffic | started (UTC) | lasted | outcome |', '|---|---|---|---|---|');
      for (const p of phases) {
        const outcome = p.note ? `${p.outcome}: ${p.note}` : p.outcome;
        lines.push(`| ${cells(p.phase, p.traffic, p.started, p.lasted, outcome)} |`);
      }
      lines.push('', '</details>');
    }
  }
  if (meta.runUrl) lines.push('', `[Workflow run](${meta.runUrl})`);
  return `${lines.join('\n')}\n`;
}

const cells = (...values: string[]) => values.map(escapeMarkdown).join(' | ');

/**
 * Text that came from outside can neither break the table nor inject HTML, links, mentions,
 * strikethrough (`~`, two PromQL `=~`), math (`$`) or entities (`&`).
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\\`*_[\]<>|~$&]/g, (c) => `\\${c}`)
    .replace(/@/g, '@\u200b')
    .replace(/\r?\n/g, ' ');
}

/**
 * The report when even the compact one leaves no room in a PR comment (many models): the decision,
 * one line per model with its status and why (the worst first), and where the details are. At most
 * `maxLength` characters of whole lines (no table or HTML to cut): the models that do not fit, the
 * last and least bad, are counted instead. Undefined when not even the decision and the pointer fit.
 */
export function renderShortMarkdown(
  result: RunResult,
  meta: { runUrl?: string; maxLength: number },
): string | undefined {
  // As the full report words them: a rollback first, then each release, the worst first, so that
  // `… and N more` cuts the least bad (ready ones) before a failed one the heading is about.
  const releases = [...result.releases].sort((a, b) => releaseSeverity(a) - releaseSeverity(b));
  const items = [
    ...(result.rollbacks ?? []).map(rollbackSentence),
    ...releases.flatMap((r) => [
      `${reportStatus(r, result)}: ${reportSentence(r, result)}`,
      ...configChangesLines(r),
    ]),
    ...unsaidLines(result).map(skippedSentence),
  ].map((line) => `- ${escapeMarkdown(line)}`);
  const run = meta.runUrl ? `[the workflow run](${meta.runUrl})` : 'the workflow run';
  const head = `## model-gate: ${reportTitle(result)}\n\n`;
  const tail = `\nGate tables, charts and phase history are left out to fit a GitHub comment: see the job summaries of ${run}.\n`;
  for (let shown = items.length; shown >= 0; shown--) {
    const more = items.length - shown;
    const list = [...items.slice(0, shown), ...(more > 0 ? [`- … and ${more} more`] : [])];
    const text = `${head}${list.join('\n')}${list.length > 0 ? '\n' : ''}${tail}`;
    if (text.length <= meta.maxLength) return text;
  }
  return undefined;
}
