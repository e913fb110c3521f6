import * as core from '@actions/core';
import { redact } from '../core/redact.js';
import { escapeMarkdown } from '../report/markdown.js';
import { publishReport } from './error-report.js';
import { type MergeGroupEvent, mergeGroupNotice } from './event.js';
import type { Command } from './inputs.js';

/**
 * A merge queue's run, which has nothing to do (a failing check would hold every PR queued): a
 * notice, and the outputs every run that ends sets (`decision` skipped, `models` [], `report-path`,
 * the job summary saying why; a plan's matrix empty). A report it cannot write is only a warning.
 */
export async function mergeGroupStep(
  group: MergeGroupEvent,
  command: Command | undefined,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const notice = mergeGroupNotice(group);
  core.notice(notice);
  if (command === 'plan') {
    core.setOutput('matrix', JSON.stringify({ include: [] }));
    core.setOutput('has-models', 'false');
  }
  core.setOutput('decision', 'skipped');
  core.setOutput('models', '[]');
  try {
    const report = redact(
      ['## model-gate: nothing to do in the merge queue', '', escapeMarkdown(notice), ''].join('\n'),
    );
    await publishReport(report, env);
  } catch (err) {
    core.warning(`model-gate could not write its report: ${redact((err as Error).message)}`);
  }
}
