import { getOctokit } from '@actions/github';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { composeBody, readBody } from '../../src/github/sticky-comment.js';
import { handlePullRequest, type RunOptions, type RunResult } from '../../src/release/pull-request.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { fraudPr } from '../support/fraud-pr.js';
import { sha } from '../support/model-config.js';

// The heading of a run that changed nothing comes from what its lines are (their kind), never
// from their words: those are free text, masked when stored, and a version may be any word.

const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const watch: RunOptions = { mode: 'watch', maxWaitMs: 3_600_000, dryRun: false };
const heading = (text: string) => text.slice(text.indexOf('## model-gate')).split('\n')[0];

describe('the heading of a run that changed nothing', () => {
  it('a real run on a version named "would" that already serves: nothing to release, not a dry run', async () => {
    const { config, ports, event, target } = await fraudPr({ to: 'would' });
    target.state = { stable: { version: 'would' } };
    const result = await handlePullRequest(config, event('opened'), ports, watch);
    expect(target.writes).toHaveLength(0);
    expect(result.skipped).toEqual([
      { model: 'fraud', why: 'would is already the stable version', kind: 'note' },
    ]);
    // Read by its words ("would …" starts a dry run's line), it was headed "🧪 Dry run: nothing changed".
    expect(heading(renderMarkdown(config, result, { now: 0 }))).toBe('## model-gate: ℹ️ Nothing to release');
  });

  it('queued behind the PR holding the slot: the heading names that PR from the line, not its words', async () => {
    const { config, ports, event } = await fraudPr();
    await handlePullRequest(config, event('opened'), ports, { ...watch, mode: 'tick' });
    const queued = await handlePullRequest(config, { ...event('opened'), number: 8 }, ports, watch);
    expect(queued.skipped).toMatchObject([{ model: 'fraud', kind: 'queued', holder: 7 }]);
    // Other words for the same line: the heading stays.
    const reworded = { ...queued, skipped: queued.skipped.map((s) => ({ ...s, why: '*** PR #*** ***' })) };
    expect(heading(renderMarkdown(config, reworded, { now: 0 }))).toBe(
      '## model-gate: ⏸️ Queued behind PR #7',
    );
  });
});

describe("a sibling job's lines that the current release of model-gate stored without a kind", () => {
  let github: FakeGitHub;
  beforeEach(async () => {
    github = await startFakeGitHub(repo);
    github.setPullRequest(8, { baseSha: sha(1), headSha: sha(2), files: [] });
  });
  afterEach(() => github.close());

  /** A matrix job of PR #8 publishing `lines` as its own, on the comment its sibling jobs share. */
  async function publish(lines: RunResult['skipped'], runId: number) {
    const { config } = await fraudPr();
    const client = getOctokit('ghs_job_token', { baseUrl: github.url });
    const ledger = new GitHubLedger({ client, repo, sha: sha(2), pr: 8 });
    const render = (result: RunResult, compact: boolean) =>
      renderMarkdown(config, result, { now: 0, compact, prComment: true });
    const publisher = new CommentPublisher(ledger, render, { runId, attempt: 1 }, new FakeClock());
    await publisher.publish({ final: true, notes: new Map([[8, lines]]) });
    return github.comments(8)[0]?.body ?? '';
  }

  it('still show, and head no report: this run heads it by its own lines, else plainly', async () => {
    const ranker = { model: 'ranker', why: 'would deploy v2 (replacing v1) and run its 2 canary steps' };
    // And one a newer model-gate stored with a kind this one does not know.
    const churn = { model: 'churn', why: 'waits for a window', kind: 'scheduled' };
    const state = { releases: {}, skipped: [ranker, churn] };
    github.addComment(
      8,
      composeBody('## model-gate: 🧪 Dry run', { runId: 1, attempt: 1 }, state),
      'github-actions[bot]',
    );

    const { config, ports, event } = await fraudPr();
    await handlePullRequest(config, event('opened'), ports, { ...watch, mode: 'tick' });
    const queued = await handlePullRequest(config, { ...event('opened'), number: 8 }, ports, watch);
    let body = await publish(queued.skipped, 2);
    expect(heading(body)).toBe('## model-gate: ⏸️ Queued behind PR #7');
    expect(body).toContain('- ranker: would deploy v2 (replacing v1) and run its 2 canary steps');
    expect(body).toContain('- churn: waits for a window');
    expect((readBody(body).data as { skipped: unknown[] }).skipped).toEqual([
      ranker,
      { model: 'churn', why: 'waits for a window' },
      // This run's own, stored with their writer.
      ...queued.skipped.map((s) => ({ ...s, run: 2 })),
    ]);

    // A job with a plain line of its own: the sibling's dry-run words do not make it a dry run.
    body = await publish([{ model: 'fraud', why: 'v2 is already the stable version', kind: 'note' }], 3);
    expect(heading(body)).toBe('## model-gate: ℹ️ Nothing to release');
    expect(body).toContain('- ranker: would deploy v2');
    expect(github.violations).toEqual([]);
  });
});
