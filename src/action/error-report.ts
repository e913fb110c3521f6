import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as core from '@actions/core';
import type { Config } from '../config/types.js';
import { redact } from '../core/redact.js';
import type { Release } from '../release/types.js';
import { escapeMarkdown, renderMarkdown } from '../report/markdown.js';
import { stepSummary } from '../report/step-summary.js';
import { underHeading } from '../report/under-heading.js';

/** What a run that stopped on an error knows when it stops. */
export interface StoppedRun {
  /** The step's error, as its annotation says it: what failed and what to do. */
  message: string;
  /** Undefined where the config could not be read. */
  config?: Config;
  /** The releases the run last reported (none where it stopped before any). */
  releases: Release[];
  runUrl?: string;
}

/**
 * The link to this workflow run, where the runner's environment says it (as ports.ts makes it): a
 * run that stopped before its ports were set up has none of theirs.
 */
export const runUrlOf = (env: NodeJS.ProcessEnv): string | undefined =>
  env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
    ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
    : undefined;

/** The report file of the `report-path` output, in the runner's temporary directory. */
export const reportFile = (env: NodeJS.ProcessEnv): string =>
  join(env.RUNNER_TEMP ?? '.', 'model-gate-report.md');

/**
 * The report file, the job summary and `report-path` of a run that stopped on an error before it
 * published its report: on-call reads the job summary, not only the annotation. Where it had
 * releases (a rollback the platform refused with a candidate live, a release stopped by a platform
 * or GitHub fault), the report a normal run writes of them, the error under its heading; else the
 * error alone. Secrets masked, as the runner masks the log only. Writing them failing is a warning:
 * the step's own error stays the run's last word.
 */
export async function writeErrorReport(stopped: StoppedRun, env: NodeJS.ProcessEnv): Promise<void> {
  try {
    const line = `❌ The run stopped on an error: ${errorText(stopped.message)}`;
    const finish = (markdown: string) => redact(underHeading(markdown, line));
    const result = { releases: stopped.releases, skipped: [] };
    const { config, runUrl } = stopped;
    const now = Date.now();
    const report =
      config && stopped.releases.length > 0
        ? finish(renderMarkdown(config, result, { now, runUrl }))
        : redact(
            errorOnly(stopped.message, {
              title: 'Stopped on an error',
              after: `The run had reported no release when it stopped; ${logOf(runUrl)} has what it did.`,
            }),
          );
    await publishReport(report, env, (reportPath) =>
      config && stopped.releases.length > 0
        ? stepSummary(report, { config, result, now, runUrl, reportPath, finish })
        : report,
    );
  } catch (err) {
    core.warning(`model-gate could not write its report of the error: ${redact((err as Error).message)}`);
  }
}

/**
 * The job summary of a post step that failed (a candidate it could not withdraw, the ledger it could
 * not read): the step's error, as its annotation says it. A post step's outputs reach no later step,
 * so it has no report-path; the PR comment it updates is the report. A failed write is a warning.
 */
export async function writePostStepSummary(message: string, env: NodeJS.ProcessEnv): Promise<void> {
  if (!env.GITHUB_STEP_SUMMARY) return;
  try {
    const after = `${logOf(runUrlOf(env))} has what the post step did.`;
    await core.summary.addRaw(redact(errorOnly(message, { title: 'The post step failed', after }))).write();
  } catch (err) {
    core.warning(`model-gate could not write the post step's job summary: ${redact((err as Error).message)}`);
  }
}

/**
 * `report` as the report file, the job summary (`summaryOf` it, the report itself by default) and
 * the `report-path` output. Throws what writing them throws: each caller words its own warning.
 */
export async function publishReport(
  report: string,
  env: NodeJS.ProcessEnv,
  summaryOf: (reportPath: string) => string = () => report,
): Promise<void> {
  const reportPath = reportFile(env);
  await mkdir(env.RUNNER_TEMP ?? '.', { recursive: true });
  await writeFile(reportPath, report);
  if (env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(summaryOf(reportPath)).write();
  core.setOutput('report-path', reportPath);
}

/**
 * The report file, the job summary and `report-path` of a cancelled run, written synchronously as
 * the step ends (the process ends right after): the cancel (`message`, the step's error) and the
 * releases it had in flight.
 */
export function writeCancelledReport(message: string, releases: Release[], env: NodeJS.ProcessEnv): void {
  const inFlight = releases.map((r) => `- ${escapeMarkdown(`${r.model}: ${r.from} → ${r.to}, ${r.status}`)}`);
  const report = redact(
    [
      '## model-gate: ⏹️ Cancelled',
      '',
      escapeMarkdown(message),
      '',
      ...(inFlight.length > 0 ? ['Its releases when it stopped:', '', ...inFlight, ''] : []),
      `${logOf(runUrlOf(env))} has what it did.`,
      '',
    ].join('\n'),
  );
  const path = reportFile(env);
  mkdirSync(env.RUNNER_TEMP ?? '.', { recursive: true });
  writeFileSync(path, report);
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, report);
  core.setOutput('report-path', path);
}

const logOf = (runUrl: string | undefined) => (runUrl ? `[the run's log](${runUrl})` : "the step's log");

/** A report of the error alone, under `title`, `after` it. */
function errorOnly(message: string, { title, after }: { title: string; after: string }): string {
  return [`## model-gate: ❌ ${title}`, '', errorText(message), '', after, ''].join('\n');
}

/** The error as Markdown: one paragraph, or a list where it has a line per problem (a bad config). */
function errorText(message: string): string {
  const lines = message.split('\n').filter((l) => l.trim() !== '');
  if (lines.length <= 1) return escapeMarkdown(message.trim());
  return ['', ...lines.map((l) => `- ${escapeMarkdown(l)}`)].join('\n');
}
