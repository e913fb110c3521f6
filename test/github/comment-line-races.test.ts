import { getOctokit } from '@actions/github';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import type { GitHubClient } from '../../src/github/client.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { COMMENT_MARKER, readBody } from '../../src/github/sticky-comment.js';
import { newRelease } from '../../src/release/new-release.js';
import type { RunResult, SkippedLine } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { holdNext } from '../support/hold-next-request.js';
import { canaryModel } from '../support/model-config.js';

// A matrix of one run on PR #7's one comment: fraud's job drives its release, churn's job waits for
// the canary slot PR #5 holds, so its only word on the comment is a line. Writes that cross must
// not lose that line: not a write of fraud's read before it, nor the settling of two comments.
let github: FakeGitHub;
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const head = 'd'.repeat(40);
const PR = 7;
const COMMENT = '/repos/{owner}/{repo}/issues/comments/{comment_id}';
const COMMENTS = '/repos/{owner}/{repo}/issues/{issue_number}/comments';
const waits: SkippedLine = {
  model: 'churn',
  why: 'waits for the canary slot held by PR #5',
  kind: 'queued',
  holder: 5,
};
const WAITS = 'churn: waits for the canary slot held by PR #5';
/** A schedule tick's word on the PR that brought a version it rolled back. */
const note: SkippedLine = {
  model: 'churn',
  why: 'v2 was rolled back: its error rate gate failed',
  kind: 'note',
};
const NOTE = 'churn: v2 was rolled back: its error rate gate failed';

beforeEach(async () => {
  github = await startFakeGitHub(repo);
  github.setPullRequest(PR, { baseSha: 'a'.repeat(40), headSha: head, files: [] });
});
afterEach(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

const render = (r: RunResult) =>
  [
    '## model-gate',
    ...r.releases.map((x) => `${x.model} ${x.to}: ${x.status}`),
    ...r.skipped.map((s) => `${s.model}: ${s.why}`),
  ].join('\n');

/**
 * One job on the PR (by default a matrix job of run 1 at `head`): its own client, ledger, publisher
 * and clock. `sha: undefined` is a run with no head of its own (a schedule tick).
 */
function job(model: string, run: { runId: number; sha: string | undefined } = { runId: 1, sha: head }) {
  const client: GitHubClient = getOctokit('ghs_job_token', { baseUrl: github.url });
  const sha = run.sha ?? head;
  const ledger = new GitHubLedger({ client, repo, sha, pr: PR, runId: run.runId });
  const clock = new FakeClock();
  const publisher = new CommentPublisher(ledger, render, { runId: run.runId, attempt: 1 }, clock, {
    ...(run.sha ? { ownHead: { pr: PR, sha: run.sha } } : {}),
  });
  return {
    client,
    clock,
    /** Start the model's release, or take it to ready. */
    async step() {
      const now = await ledger.release(model);
      const next: Release = now
        ? { ...now, status: 'ready', updatedAt: now.updatedAt + 1 }
        : newRelease(canaryModel({ name: model }), { from: 'v1', to: 'v2', pr: PR, headSha: sha, now: 1 });
      await ledger.saveRelease(next);
    },
    publish: (final = false, lines?: SkippedLine[]) =>
      publisher.publish({ final, ...(lines ? { notes: new Map([[PR, lines]]) } : {}) }),
  };
}

const ours = () => github.comments(PR).filter((c) => c.body.startsWith(COMMENT_MARKER));

/** The PR's one comment of ours: its visible report and each model's status as its state holds it. */
function comment() {
  const [only, ...more] = ours();
  expect(more).toEqual([]);
  const data = readBody(only?.body ?? '').data as { releases: Record<string, Release> };
  const statuses = Object.fromEntries(Object.values(data.releases).map((r) => [r.model, r.status]));
  return { body: only?.body ?? '', statuses };
}

describe("a queued job's line on the shared comment", () => {
  it("survives a sibling's last write that read the comment before the line was written", async () => {
    const fraud = job('fraud');
    const churn = job('churn');
    await fraud.step();
    await fraud.publish();
    // fraud's job reads the comment and sends its decision, which GitHub is slow to take ...
    const late = holdNext(fraud.client, 'PATCH', COMMENT);
    await fraud.step();
    const fraudWrite = fraud.publish(true);
    await late.reached;
    let landed = false;
    const land = async () => {
      if (landed) return;
      landed = true;
      late.release();
      await fraudWrite;
    };
    // ... while churn's job writes its line, and waits a moment before checking it.
    churn.clock.sleep = land;
    await churn.publish(true, [waits]);
    await land();
    expect(comment().statuses).toEqual({ fraud: 'ready' });
    expect(comment().body).toContain(WAITS);
  });

  it('is carried over from a duplicate comment into the one kept', async () => {
    const fraud = job('fraud');
    const churn = job('churn');
    // Both jobs find no comment, then both create one: fraud's first, so its is the one kept.
    const creates = [fraud, churn].map((j) => holdNext(j.client, 'POST', COMMENTS));
    await fraud.step();
    const fraudCreate = fraud.publish();
    const churnLast = churn.publish(true, [waits]);
    await Promise.all(creates.map((h) => h.reached));
    creates[0]?.release();
    await fraudCreate;
    // churn's job ends (cancelled) before its check: only its own comment says it waits.
    churn.clock.sleep = () => Promise.reject(new Error('the job was cancelled'));
    creates[1]?.release();
    await churnLast.catch(() => {});
    expect(ours()).toHaveLength(2);
    // fraud's job settles the two comments into its own.
    await fraud.step();
    await fraud.publish(true);
    expect(comment().statuses).toEqual({ fraud: 'ready' });
    expect(comment().body).toContain(WAITS);
  });

  // A newer run wrote the comment first, so this run's last write went under its stamp; that run's
  // last write then dropped the line, as it drops a line an earlier run wrote at another head. The
  // newer run has the say: this run's check must not put the line back (it would stand for good).
  it.each([
    {
      writer: 'a job of an earlier run at the old head',
      run: { runId: 1, sha: head },
      line: waits,
      shown: WAITS,
    },
    { writer: 'a schedule tick', run: { runId: 1, sha: undefined }, line: note, shown: NOTE },
  ])("is not put back by $writer once a newer run's last write dropped it", async ({ run, line, shown }) => {
    const pushed = 'b'.repeat(40);
    github.setPullRequest(PR, { baseSha: 'a'.repeat(40), headSha: pushed, files: [] });
    const newer = job('fraud', { runId: 2, sha: pushed });
    const older = job('churn', run);
    await newer.step();
    await newer.publish();
    // The older run's last write finds the newer run's stamp on the comment and writes under it ...
    let landed = false;
    older.clock.sleep = async () => {
      if (landed) return;
      landed = true;
      expect(comment().body).toContain(shown);
      // ... then the newer run's last write drops the line, before the older run's check.
      await newer.step();
      await newer.publish(true);
      expect(comment().body).not.toContain(shown);
    };
    await older.publish(true, [line]);
    expect(landed).toBe(true);
    expect(comment().statuses).toEqual({ fraud: 'ready' });
    expect(comment().body).not.toContain(shown);
  });
});
