import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { newRelease } from '../../src/release/new-release.js';
import type { RunResult } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import { escapeMarkdown, renderMarkdown } from '../../src/report/markdown.js';
import { STEP_SUMMARY_LIMIT, stepSummary } from '../../src/report/step-summary.js';
import { canaryModel } from '../support/model-config.js';

// A tick over 2500 models whose rollbacks quote the platform's words (Cyrillic, arrows: two and
// three bytes a character): even the compact report is over the 1 MiB GitHub takes for a step's
// job summary, and so is a line per model. The summary is the short report cut to 1 MiB in bytes,
// as GitHub counts, not characters; the line the step adds under the heading is counted too.
const names = Array.from({ length: 2500 }, (_, i) => `model-${String(i).padStart(4, '0')}`);
const config: Config = {
  version: 1,
  allowForks: false,
  models: Object.fromEntries(names.map((n) => [n, canaryModel({ name: n })])),
};
const PLATFORM = 'ошибка сервера → '.repeat(20);
const REPORT_PATH = '/home/runner/work/_temp/model-gate-report.md';
const NOTICE =
  '⚠️ The PR comment could not be updated: GitHub answered 502. This summary is the run’s report.';

function rolledBack(name: string): Release {
  const base = newRelease(config.models[name] ?? canaryModel(), { from: 'v1.4.0', to: 'v1.5.0', now: 0 });
  const reason = `errors: 9.00% is above the max 2.00%; the platform said: ${PLATFORM}`;
  return {
    ...base,
    status: 'failed',
    reason,
    updatedAt: 60_000,
    phases: [
      { name: 'step 1 of 3', weight: 10, startedAt: 0, endedAt: 60_000, outcome: 'failed', note: reason },
    ],
    gates: base.gates.map((g) => ({ ...g, verdict: 'fail', reason })),
  };
}

const result: RunResult = { releases: names.map(rolledBack), skipped: [] };
/** What main.ts does to every form: a line under the heading (here: the comment failed). */
const finish = (markdown: string) => {
  const [heading, ...rest] = markdown.split('\n');
  return [heading, '', NOTICE, ...rest].join('\n');
};
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('the job summary of a report that not even its compact form fits', () => {
  it('is the short report, cut to 1 MiB in bytes, counting the models it cut and naming the report file', () => {
    const report = finish(renderMarkdown(config, result, { now: 60_000 }));
    const compact = renderMarkdown(config, result, { now: 60_000, compact: true });
    expect(bytes(compact)).toBeGreaterThan(STEP_SUMMARY_LIMIT);

    const summary = stepSummary(report, { config, result, now: 60_000, reportPath: REPORT_PATH, finish });

    expect(bytes(summary)).toBeLessThanOrEqual(STEP_SUMMARY_LIMIT);
    const lines = summary.split('\n');
    expect(lines.slice(0, 3)).toEqual(['## model-gate: ❌ Rolled back', '', NOTICE]);
    const listed = lines.filter((l) => l.startsWith('- rolled back: model-'));
    expect(listed.length).toBeGreaterThan(1000);
    const cut = names.length - listed.length;
    expect(lines).toContain(`- … and ${cut} more`);
    const mib = (Math.ceil((bytes(report) / STEP_SUMMARY_LIMIT) * 10) / 10).toFixed(1);
    expect(summary).toContain(
      `\nThe ${cut} models not listed, gate tables, charts and phase history are left out to fit a job summary: the full report (${mib} MiB) is larger than the 1 MiB GitHub takes for a job summary: it is the file at this step's report-path output, ${escapeMarkdown(REPORT_PATH)}, in the runner's temporary directory (upload it with actions/upload-artifact to keep it).\n`,
    );
    // Little room is left unused: a model line more would not fit.
    expect(bytes(summary) + bytes(listed[0] ?? '')).toBeGreaterThan(STEP_SUMMARY_LIMIT);
  });

  it('says a report a few bytes over the limit is larger than 1 MiB, never "1.0 MiB"', () => {
    const few: RunResult = { releases: result.releases.slice(0, 3), skipped: [] };
    const fits = finish(renderMarkdown(config, few, { now: 60_000 }));
    const over = `${fits}${'x'.repeat(STEP_SUMMARY_LIMIT - bytes(fits) + 100)}`;
    const summary = stepSummary(over, { config, result: few, now: 60_000, reportPath: REPORT_PATH, finish });
    expect(summary).toContain(
      'the full report (1.1 MiB) is larger than the 1 MiB GitHub takes for a job summary',
    );
  });

  it('is the report itself when it fits', () => {
    const few: RunResult = { releases: result.releases.slice(0, 3), skipped: [] };
    const report = finish(renderMarkdown(config, few, { now: 60_000 }));
    expect(stepSummary(report, { config, result: few, now: 60_000, reportPath: REPORT_PATH, finish })).toBe(
      report,
    );
  });
});
