import type { Config } from '../config/types.js';
import type { RunResult } from '../release/pull-request.js';
import { keyMetricChart, noChartLine } from './chart.js';
import { decisionSentences, reportStatus, reportTitle, worstFirst } from './decision.js';
import { NO_CONFIG } from './gate-label.js';
import { restartLine } from './restart-line.js';
import { gateRows, phaseRows, splitNote } from './rows.js';
import { shortLines } from './short-lines.js';
import { underHeading } from './under-heading.js';

export interface ReportMeta {
  now: number;
  runUrl?: string;
  /** Leave out the phase history, to fit a size limit. */
  compact?: boolean;
  /**
   * Rendered as a PR's own comment, every release in it that PR's: it says `this PR`. Any other
   * report (a command's or a schedule tick's job summary) names each release's PR: `PR #3`.
   */
  prComment?: boolean;
}

/** The whole report as GitHub markdown: the decision first, then evidence per model. */
export function renderMarkdown(config: Config, result: RunResult, meta: ReportMeta): string {
  const lines = [`## model-gate: ${reportTitle(result)}`, ''];
  // A rollback outranks the releases beside it (an earlier promotion it undid): it comes first.
  for (const line of decisionSentences(result, '⚠️ ', { config, now: meta.now, prComment: meta.prComment }))
    lines.push(`- ${escapeMarkdown(line)}`);
  // In the order of the lines above: the worst news first.
  for (const r of worstFirst(result.releases)) {
    const model = config.models[r.model];
    // Outside the PR's own comment, which PR the candidate is of: a status run's may show any.
    const pr = r.pr === undefined || meta.prComment ? '' : ` (PR #${r.pr})`;
    lines.push(
      '',
      `### ${escapeMarkdown(r.model)}: ${escapeMarkdown(r.from)} → ${escapeMarkdown(r.to)}${pr} (${escapeMarkdown(reportStatus(r, result))})`,
      '',
    );
    // A new head restarted it: said before the rows, which now show an earlier step than before.
    const restart = restartLine(r);
    if (restart) lines.push(`ℹ️ ${escapeMarkdown(restart)}`, '');
    // A model left out of this run's config (a command on another model, load.ts `only`): its
    // gates' kinds, bounds and units are not known, and the rows must not look as if they were.
    if (!model) lines.push(`ℹ️ ${escapeMarkdown(noConfigNote(r.model))}`, '');
    const split = splitNote(model);
    if (split) lines.push(`ℹ️ ${escapeMarkdown(split)}`, '');
    const gates = gateRows(r, model);
    if (gates.length > 0) {
      lines.push('| gate | candidate | baseline | bound | verdict |', '|---|---|---|---|---|');
      for (const g of gates) {
        const verdict = g.note ? `${g.verdict}: ${g.note}` : g.verdict;
        lines.push(`| ${cells(g.gate, g.candidate, g.baseline, g.bound, verdict)} |`);
      }
    }
    // The test and α behind each statistical bound, for a reader re-checking a verdict.
    const judged = meta.compact ? [] : gates.filter((g) => g.method !== '');
    if (judged.length > 0) {
      lines.push('', '<details><summary>How the gates judge</summary>', '');
      for (const g of judged) lines.push(`- ${escapeMarkdown(g.gate)}: ${escapeMarkdown(g.method)}`);
      lines.push('', '</details>');
    }
    const chart = meta.compact ? [] : keyMetricChart(r, model);
    if (chart.length > 0) lines.push('', ...chart);
    const noChart = meta.compact ? undefined : noChartLine(r, model);
    if (noChart) lines.push('', `ℹ️ ${escapeMarkdown(noChart)}`);
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

/** The line under the heading of a model this run has no config of. */
const noConfigNote = (model: string) =>
  `${model} has ${NO_CONFIG}: its gates show without what they measure, their bounds or units.`;

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
 * the lines of each model (its status and why, its config changes, its notes; the worst first),
 * the lines about no one model, and where the details are. At most `maxLength` (by `size`,
 * characters unless given) of whole lines (no table or HTML to cut): the models that do not fit,
 * the last and least bad, are cut whole and counted instead; the lines about no one model only
 * after every model's. Undefined when not even the decision and the pointer fit.
 */
export function renderShortMarkdown(
  result: RunResult,
  meta: {
    runUrl?: string;
    maxLength: number;
    size?: (text: string) => number;
    /** Why the details are left out and where they are; by default, a comment's: the job summaries. */
    leftOut?: string;
  },
): string | undefined {
  const { models, global } = shortLines(result);
  const line = (text: string) => `- ${escapeMarkdown(text)}`;
  const leftOut = meta.leftOut ?? leftOutOfComment(meta.runUrl);
  const head = `## model-gate: ${reportTitle(result)}\n\n`;
  // The report with the first `kept` of its parts, the lines about no one model kept first.
  const text = (kept: number) => {
    const notes = global.slice(0, kept);
    const shown = models.slice(0, Math.max(0, kept - global.length));
    const cut = { models: models.length - shown.length, notes: global.length - notes.length };
    const more = cut.models + cut.notes;
    const list = [
      ...shown.flatMap((m) => m.lines.map(line)),
      ...(more > 0 ? [`- … and ${more} more`] : []),
      ...notes.map(line),
    ];
    const unlisted = [count(cut.models, 'model'), count(cut.notes, 'note')].filter((c) => c !== '');
    const what =
      unlisted.length > 0
        ? `The ${unlisted.join(' and ')} not listed, gate tables, charts and phase history are`
        : 'Gate tables, charts and phase history are';
    return `${head}${list.join('\n')}${list.length > 0 ? '\n' : ''}\n${what} left out ${leftOut}.\n`;
  };
  const size = meta.size ?? ((t: string) => t.length);
  const fits = (kept: number) => size(text(kept)) <= meta.maxLength;
  const all = models.length + global.length;
  if (fits(all)) return text(all);
  // Each part kept adds a line or more, and the count shrinks by a digit at most: a longer text.
  let [fit, over] = [-1, all];
  while (over - fit > 1) {
    const mid = Math.floor((fit + over) / 2);
    if (fits(mid)) fit = mid;
    else over = mid;
  }
  return fit < 0 ? undefined : text(fit);
}

/** Why a comment's report leaves details out, and where they are: the run's job summaries. */
const leftOutOfComment = (runUrl?: string) =>
  `to fit a GitHub comment: see the job summaries of ${runUrl ? `[the workflow run](${runUrl})` : 'the workflow run'}`;

/**
 * The compact report (renderMarkdown's `compact`) as a PR comment: saying under its heading what
 * it leaves out and where that is, as the short one does.
 */
export function compactComment(report: string, runUrl?: string): string {
  return underHeading(
    report,
    `ℹ️ Charts, phase history and how the gates judge are left out ${leftOutOfComment(runUrl)}.`,
  );
}

/** `3 models`, `1 note`; empty for none. */
const count = (n: number, noun: string) => (n === 0 ? '' : `${n} ${noun}${n === 1 ? '' : 's'}`);
