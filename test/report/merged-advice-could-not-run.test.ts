import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/report/markdown.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { configWith, released } from './release-world.js';

// PR #7 merged under analyze-then-promote while fraud v2 was analysing; then the metrics backend
// stopped answering and the engine rolled v2 back without a verdict. The report's advice was an open
// PR's, "push a new commit (an empty one will do) to analyse again", which a merged PR cannot
// follow: now it says what can, a PR back to v1 and then a new PR that declares v2 again. An open
// PR's advice stays as it was. The engine on a fake clock; the report as the PR's comment has it.
const config = configWith('{ type: canary, steps: [10, 50], step-duration: 5m, interval: 10s }', [
  '{ name: errors, kind: threshold, query: error-rate, max: 0.05 }',
]);

async function failedWithoutVerdict() {
  const metrics = new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 20, values: { 'error-rate': 0.005 } },
  });
  // Unreachable once the candidate has traffic.
  const r = await released(config, metrics, {
    each: (now) => {
      if (now.phase >= 0) metrics.failing = true;
    },
  });
  expect(r).toMatchObject({ status: 'failed', pr: undefined });
  return { ...r, pr: 7 };
}

const sentence = (r: Awaited<ReturnType<typeof failedWithoutVerdict>>) =>
  renderMarkdown(config, { releases: [r], skipped: [] }, { now: r.updatedAt })
    .split('\n')
    .find((l) => l.startsWith('- fraud v2 was rolled back')) ?? '';

describe('advice after an analysis that could not run', () => {
  it('merged PR: a new PR that declares v2 again, no new commit', async () => {
    const failed = await failedWithoutVerdict();
    const said = sentence({ ...failed, mergedAt: failed.startedAt + 60_000 });
    expect(said).toMatch(
      /^- fraud v2 was rolled back to v1 without a verdict on it \(errors: metrics failed/,
    );
    expect(said).toMatch(
      /; the analysis could not run, a fault outside the candidate; once it is fixed: the PR is merged, so no new commit or reopening analyses it again: to release v2, merge a PR that sets its version back to v1, then open one that declares v2 again$/,
    );
    expect(said).not.toContain('push a new commit');
  });

  it('open PR: a new commit, as before', async () => {
    const said = sentence(await failedWithoutVerdict());
    expect(said).toMatch(
      /; the analysis could not run, a fault outside the candidate: once it is fixed, push a new commit \(an empty one will do\) to analyse again, as a failed commit is not analysed again; if the PR was closed, reopen it first$/,
    );
  });
});
