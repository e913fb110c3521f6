import { getOctokit } from '@actions/github';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { readBody } from '../../src/github/sticky-comment.js';
import type { RunOptions, RunResult, SkippedLine } from '../../src/release/pull-request.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import { runDecision } from '../../src/report/decision.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { startFakeGitHub } from '../support/fake-github/server.js';
import { fraudPr } from '../support/fraud-pr.js';
import { sha } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// The heading and first sentence of a PR's report, for runs the engine really made: they say what
// happened to the candidate (or did not), and what a user does next, not a generic decision.

const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const watch: RunOptions = { mode: 'watch', maxWaitMs: 3_600_000, dryRun: false };

/** The heading and the first sentence of the markdown report. */
const top = (text: string) => {
  const lines = text.split('\n');
  return [lines[0], lines[2]];
};

describe('the report of a run that changed nothing', () => {
  it('queued behind the PR holding the canary slot: says so in the heading', async () => {
    const { config, ports, event } = await fraudPr();
    await handlePullRequest(config, event('opened'), ports, { ...watch, mode: 'tick' });
    const queued = await handlePullRequest(config, { ...event('opened'), number: 8 }, ports, watch);
    // The `decision` output stays the documented `skipped`: only the words change.
    expect(runDecision(queued)).toBe('skipped');
    expect(top(renderMarkdown(config, queued, { now: 0 }))).toEqual([
      '## model-gate: ⏸️ Queued behind PR #7',
      '- fraud: queued: PR #7 holds the canary slot of fraud (v2); re-run this job once it is merged or closed',
    ]);
    expect(renderTerminal(config, queued, 0).split('\n')[0]).toBe('model-gate: ⏸️ Queued behind PR #7');
  });

  it('a dry run: says it changed nothing, first what it would do', async () => {
    const { config, ports, event, target } = await fraudPr();
    const dry = await handlePullRequest(config, event('opened'), ports, { ...watch, dryRun: true });
    expect(target.writes).toHaveLength(0);
    expect(runDecision(dry)).toBe('skipped');
    expect(top(renderMarkdown(config, dry, { now: 0 }))).toEqual([
      '## model-gate: 🧪 Dry run: nothing changed',
      '- fraud: would deploy v2 (replacing v1) and run its 2 canary steps',
    ]);
  });
});

describe('the report of a matrix job on the comment its sibling jobs share', () => {
  it("takes its heading from its own lines: a sibling job's dry run does not head a queued job's report", async () => {
    const { config, ports, event } = await fraudPr();
    const dry = await handlePullRequest(config, event('opened'), ports, { ...watch, dryRun: true });
    await handlePullRequest(config, event('opened'), ports, { ...watch, mode: 'tick' });
    const queued = await handlePullRequest(config, { ...event('opened'), number: 8 }, ports, watch);
    const github = await startFakeGitHub(repo);
    try {
      github.setPullRequest(8, { baseSha: sha(1), headSha: sha(2), files: [] });
      /** A matrix job of PR #8 (no sole writer: it shares the comment), publishing its lines last. */
      const job = (lines: RunResult['skipped'], runId: number) => {
        const client = getOctokit('ghs_job_token', { baseUrl: github.url });
        const ledger = new GitHubLedger({ client, repo, sha: sha(2), pr: 8 });
        const render = (result: RunResult, compact: boolean) =>
          renderMarkdown(config, result, { now: 0, compact, prComment: true });
        const publisher = new CommentPublisher(ledger, render, { runId, attempt: 1 }, new FakeClock(), {
          ownHead: { pr: 8, sha: sha(2) },
        });
        return publisher.publish({ final: true, notes: new Map([[8, lines]]) });
      };
      const heading = () => {
        const body = github.comments(8)[0]?.body ?? '';
        return body.slice(body.indexOf('## model-gate'), body.indexOf('\n', body.indexOf('## model-gate')));
      };
      // The ranker job of a dry-run workflow (its own line, from a real dry run) writes first ...
      const ranker = { ...(dry.skipped[0] as SkippedLine), model: 'ranker' };
      await job([ranker], 1);
      expect(heading()).toBe('## model-gate: 🧪 Dry run: nothing changed');
      // ... then the fraud job of a real run, queued: its report keeps the ranker's line under its own heading.
      await job(queued.skipped, 2);
      expect(heading()).toBe('## model-gate: ⏸️ Queued behind PR #7');
      const body = github.comments(8)[0]?.body ?? '';
      expect(body).toContain('- ranker: would deploy v2 (replacing v1)');
      expect(body).toContain('- fraud: queued: PR #7 holds the canary slot');
      // The stored lines are as the jobs said them, with their writer, for the next job to keep.
      const by = (run: number) => ({ run, head: sha(2) });
      expect((readBody(body).data as { skipped: unknown[] }).skipped).toEqual([
        { ...ranker, ...by(1) },
        ...queued.skipped.map((s) => ({ ...s, ...by(2) })),
      ]);
      expect(github.violations).toEqual([]);
    } finally {
      await github.close();
    }
  });
});

describe('the report of an analysis still running', () => {
  it("says what continues it after the job's max-wait: in the PR's comment, the PR's job; elsewhere, PR #N's", async () => {
    const { config, ports, event } = await fraudPr();
    // A budget shorter than the 10s between looks: the job stops with the release still analysing.
    const left = await handlePullRequest(config, event('opened'), ports, { ...watch, maxWaitMs: 5_000 });
    expect(left.releases[0]?.status).toBe('analysing');
    const [title, sentence] = top(renderMarkdown(config, left, { now: 0, prComment: true }));
    expect(title).toBe('## model-gate: ⏳ Analysing');
    expect(sentence).toMatch(
      /^- fraud v2: analysing step 1 of 2 \(10% of live traffic\); the next schedule tick \(command: tick\), or a re-run of the PR's job, continues the analysis$/,
    );
    // A job summary (or any report but the PR's comment) may be read far from the PR: it names it.
    expect(top(renderMarkdown(config, left, { now: 0 }))[1]).toMatch(
      new RegExp(`, or a re-run of PR #${left.releases[0]?.pr}'s job, continues the analysis$`),
    );
  });
});

describe('the report of an analysis the infrastructure stopped', () => {
  it('metrics unreachable: says the analysis could not run, and a new commit (even empty) analyses again', async () => {
    const { config, ports, event, target } = await fraudPr();
    const metrics = new ScriptedMetrics({
      stable: { rps: 90, values: { 'error-rate': 0.005 } },
      canary: { rps: 20, values: { 'error-rate': 0.005 } },
    });
    // Unreachable once the candidate has traffic (before it, the pre-traffic check ends the release undeployed).
    let broke = false;
    const world = {
      ...ports,
      metricsFor: () => metrics,
      onProgress: async (releases: Release[]) => {
        if (broke || !releases.some((r) => r.phase >= 0)) return;
        broke = true;
        metrics.failing = true;
      },
    };
    const failed = await handlePullRequest(config, event('opened'), world, watch);
    expect(failed.releases[0]).toMatchObject({ status: 'failed' });
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    expect(runDecision(failed)).toBe('failed');
    const [title, sentence] = top(renderMarkdown(config, failed, { now: 0 }));
    expect(title).toBe('## model-gate: 🔌 Rolled back: the analysis could not run');
    expect(sentence).toBe(
      '- fraud v2 was rolled back to v1 without a verdict on it (errors: metrics failed 5 times in a row (metrics backend unreachable)); the analysis could not run, a fault outside the candidate: once it is fixed, push a new commit (an empty one will do) to analyse again, as a failed commit is not analysed again; if the PR was closed, reopen it first',
    );

    // What it says works: the same commit is not analysed again, an empty new commit is.
    metrics.failing = false;
    const again = await handlePullRequest(config, event('reopened'), world, watch);
    expect(again.releases[0]?.status).toBe('failed');
    const reader = memoryFileReader({
      [sha(1)]: { 'fraud.yaml': 'version: v1\n' },
      [sha(2)]: { 'fraud.yaml': 'version: v2\n' },
      [sha(3)]: { 'fraud.yaml': 'version: v2\n' },
    });
    const pushed = await handlePullRequest(
      config,
      { ...event('synchronize'), headSha: sha(3) },
      { ...world, reader },
      watch,
    );
    expect(pushed.releases[0]?.status).toBe('ready');
  });

  it('a regression is still headed rolled back, with no advice to retry', async () => {
    const { config, ports, event } = await fraudPr({ candidateErrors: 0.2 });
    const failed = await handlePullRequest(config, event('opened'), ports, watch);
    const [title, sentence] = top(renderMarkdown(config, failed, { now: 0 }));
    expect(title).toBe('## model-gate: ❌ Rolled back');
    expect(sentence).toBe(
      '- fraud v2 was rolled back to v1 in step 1 of 2 (10% of live traffic): errors: 20.00% is above the max 2.00%',
    );
  });
});

describe('the report of a rollback or withdrawal the platform refused', () => {
  it('says the candidate could not be rolled back, never that it was; then that a later try did it', async () => {
    const { config, ports, event, target } = await fraudPr({ candidateErrors: 0.2 });
    // The candidate deploys (write 0), then every write fails: the rollback does not take.
    target.failFromWrite = 1;
    const stuck = await handlePullRequest(config, event('opened'), ports, watch);
    const [title, sentence] = top(renderMarkdown(config, stuck, { now: 0 }));
    expect(title).not.toMatch(/rolled back/i);
    expect(sentence).toBe(
      '- fraud v2 could not be rolled back to v1: platform unavailable (rolling back because errors: 20.00% is above the max 2.00%); v2 may still get live traffic: a re-run of this job or the next schedule tick tries again',
    );

    target.failFromWrite = Number.POSITIVE_INFINITY;
    const rerun = await handlePullRequest(config, event('synchronize'), ports, watch);
    expect(top(renderMarkdown(config, rerun, { now: 0 }))[1]).toBe(
      '- fraud v2 was rolled back to v1 in step 1 of 2 (10% of live traffic) on a later try: errors: 20.00% is above the max 2.00% (the first rollback failed: platform unavailable)',
    );
  });

  it('says a candidate whose withdrawal failed could not be withdrawn', async () => {
    const { config, ports, event, target } = await fraudPr();
    await handlePullRequest(config, event('opened'), ports, { ...watch, mode: 'tick' });
    // The withdrawal does not take: the platform silently keeps the candidate's traffic.
    target.revertNext = true;
    const closed = await handlePullRequest(config, event('closed'), ports, watch);
    expect(closed.releases[0]).toMatchObject({ status: 'aborted', withdrawPending: true });
    expect(top(renderMarkdown(config, closed, { now: 0 }))[1]).toBe(
      '- fraud v2 could not be withdrawn: memory target serves v1 90% / v2 10% after being asked for v1 100% (withdrawing because the PR was closed without merging); v2 may still get live traffic: a re-run of this job or the next schedule tick tries again',
    );
  });
});
