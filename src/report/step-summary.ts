import type { Config } from '../config/types.js';
import type { RunResult } from '../release/pull-request.js';
import { escapeMarkdown, renderMarkdown, renderShortMarkdown } from './markdown.js';
import { underHeading } from './under-heading.js';

/**
 * Bytes of job summary GitHub takes from one step: a larger one is dropped whole, with only an
 * error annotation left ("$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of
 * 1024k"). A schedule tick over several hundred analysing models reports more than that.
 */
export const STEP_SUMMARY_LIMIT = 1024 * 1024;

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

export interface SummarySources {
  config: Config;
  result: RunResult;
  now: number;
  runUrl?: string;
  /** The file of the `report-path` output, which holds the full report. */
  reportPath: string;
  /** What any form of the report gets before it is written (secrets masked, a line under its heading). */
  finish: (markdown: string) => string;
}

/**
 * The job summary: the full `report` (finished already) when GitHub takes it, else the compact one
 * (no charts or phase history), else the short one (a few lines per model), each saying so and
 * where the full report is.
 */
export function stepSummary(report: string, from: SummarySources): string {
  if (bytes(report) <= STEP_SUMMARY_LIMIT) return report;
  const { config, result, now, runUrl, finish } = from;
  // Rounded up: a report a few bytes over reads `1.1 MiB`, never `1.0 MiB` beside "larger than 1 MiB".
  const mib = (Math.ceil((bytes(report) / STEP_SUMMARY_LIMIT) * 10) / 10).toFixed(1);
  const where = `the full report (${mib} MiB) is larger than the 1 MiB GitHub takes for a job summary: it is the file at this step's report-path output, ${escapeMarkdown(from.reportPath)}, in the runner's temporary directory (upload it with actions/upload-artifact to keep it)`;
  const compact = finish(
    underHeading(
      renderMarkdown(config, result, { now, runUrl, compact: true }),
      `ℹ️ Charts and phase history are left out: ${where}.`,
    ),
  );
  if (bytes(compact) <= STEP_SUMMARY_LIMIT) return compact;
  const short = renderShortMarkdown(result, {
    runUrl,
    maxLength: STEP_SUMMARY_LIMIT,
    size: (text) => bytes(finish(text)),
    leftOut: `to fit a job summary: ${where}`,
  });
  return finish(short ?? `## model-gate\n\nThe report is left out: ${where}.\n`);
}
