import { getOctokit } from '@actions/github';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { COMMENT_MARKER, composeBody } from '../../src/github/sticky-comment.js';
import { newRelease } from '../../src/release/new-release.js';
import type { SkippedLine } from '../../src/release/pull-request.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { canaryModel, sha } from '../support/model-config.js';

// A matrix (the `model` input, one job per model) on PR #7's one comment. Run 1 changes fraud and
// churn, churn's job queued behind PR #5; a push (run 2) reverts churn's change, so run 2 has
// fraud's job alone. The comment must stop saying churn waits: no job of the PR's head says so.
let github: FakeGitHub;
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const PR = 7;
const [H1, H2] = [sha(1), sha(2)];
const config: Config = {
  version: 1,
  allowForks: false,
  models: { fraud: canaryModel({ name: 'fraud' }), churn: canaryModel({ name: 'churn' }) },
};
const WAITS = 'churn: waits for the canary slot held by PR #5';
const waits: SkippedLine = {
  model: 'churn',
  why: 'waits for the canary slot held by PR #5',
  kind: 'queued',
  holder: 5,
};

beforeEach(async () => {
  github = await startFakeGitHub(repo);
  github.setPullRequest(PR, { baseSha: 'a'.repeat(40), headSha: H1, files: [] });
});
afterEach(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

/**
 * One job of run `runId` on the comment, as the action wires it: a matrix job of the PR at `head`
 * (the comment shared with its siblings), or a schedule tick (no head, no PR of its own).
 */
function job(runId: number, head?: string, attempt = 1) {
  const client = getOctokit('ghs_job_token', { baseUrl: github.url });
  const ledger = new GitHubLedger({ client, repo, sha: head ?? sha(99), pr: head ? PR : undefined, runId });
  const clock = new FakeClock(Date.UTC(2025, 0, 1) + runId * 60_000);
  const render = (r: Parameters<typeof renderMarkdown>[1], compact: boolean) =>
    renderMarkdown(config, r, { now: clock.now(), compact, prComment: true });
  const publisher = new CommentPublisher(ledger, render, { runId, attempt }, clock, {
    settleMs: 0,
    ...(head ? { ownHead: { pr: PR, sha: head } } : {}),
  });
  return {
    /** fraud's release at this job's head, started, or moved one phase on. */
    async stepFraud(at = head ?? H1) {
      const now = await ledger.releasesOf(PR).then((held) => held.get('fraud'));
      const next =
        now && now.headSha === at
          ? { ...now, phase: now.phase + 1, updatedAt: clock.now() }
          : newRelease(config.models.fraud ?? canaryModel(), {
              from: 'v1',
              to: at === H1 ? 'v2' : 'v3',
              pr: PR,
              headSha: at,
              now: clock.now(),
            });
      await ledger.saveRelease(next);
    },
    publish: (lines: SkippedLine[] = []) => publisher.publish({ final: true, notes: new Map([[PR, lines]]) }),
  };
}

const body = () => github.comments(PR).find((c) => c.body.startsWith(COMMENT_MARKER))?.body ?? '';

describe("a sibling job's line on a shared comment", () => {
  it("stays while its run is the PR's latest, and goes once a push's run no longer has that model", async () => {
    // Run 1: churn's job queues and says so; fraud's job, a sibling, rewrites the comment after.
    await job(1, H1).publish([waits]);
    const fraud1 = job(1, H1);
    await fraud1.stepFraud();
    await fraud1.publish();
    expect(body()).toContain(WAITS);

    // The push reverts churn: run 2 has fraud's job alone, at the new head.
    github.setPullRequest(PR, { baseSha: 'a'.repeat(40), headSha: H2, files: [] });
    const fraud2 = job(2, H2);
    await fraud2.stepFraud();
    await fraud2.publish();
    expect(body()).toContain('fraud: v1 → v3');
    expect(body()).not.toContain('churn');
  });

  it('is kept by a schedule tick, by another workflow at the head, and by a run older than its own', async () => {
    // Run 2 at the head: fraud analysing, churn queued.
    const fraud2 = job(2, H2);
    await fraud2.stepFraud();
    await fraud2.publish();
    await job(2, H2).publish([waits]);
    // A tick drives fraud on: it has no head of its own to judge lines by, and keeps them.
    const tick = job(3);
    await tick.stepFraud(H2);
    await tick.publish();
    expect(body()).toContain(WAITS);
    // So does a PR job of another run at that head (a second workflow on the PR, say).
    await job(5, H2).publish([{ model: 'fraud', why: 'v3 is already the stable version', kind: 'note' }]);
    expect(body()).toContain(WAITS);
    // And a re-run of run 1 at the head before (its event stale, a note of its own): run 2 is later.
    const stale = `PR #7 is at ${H2.slice(0, 7)} now; this run at ${H1.slice(0, 7)} changed nothing`;
    await job(1, H1, 2).publish([{ model: '*', why: stale, kind: 'note' }]);
    expect(body()).toContain(WAITS);
  });

  it("is kept by an earlier head's job still running after the push, and by ticks driving its release", async () => {
    const fraud1 = job(1, H1);
    await fraud1.stepFraud();
    await fraud1.publish();
    // The push: run 2's churn job queues; its fraud job has not written yet.
    github.setPullRequest(PR, { baseSha: 'a'.repeat(40), headSha: H2, files: [] });
    await job(2, H2).publish([waits]);
    // Run 1's fraud job, still running at H1, writes its next phase; a tick drives H1's release.
    await fraud1.stepFraud();
    await fraud1.publish();
    expect(body()).toContain(WAITS);
    const tick = job(3);
    await tick.stepFraud(H1);
    await tick.publish();
    expect(body()).toContain(WAITS);
  });

  it("keeps a tick's note (a merged PR's failed model, say) through the next tick's write", async () => {
    const fraud1 = job(1, H1);
    await fraud1.stepFraud();
    await fraud1.publish();
    const note = 'v2 failed its analysis after the merge and was not promoted';
    await job(3).publish([{ model: 'churn', why: note, kind: 'note' }]);
    const tick = job(4);
    await tick.stepFraud(H1);
    await tick.publish();
    expect(body()).toContain(`churn: ${note}`);
  });

  it("drops a line an older model-gate stored (no writer) at a later run's job, not before", async () => {
    // An older model-gate's run 1 wrote churn's line with no writer beside it.
    const older = composeBody(
      `## model-gate\n\n- ${WAITS}\n`,
      { runId: 1, attempt: 1 },
      {
        releases: {},
        skipped: [{ model: 'churn', why: waits.why, kind: 'queued', holder: 5 }],
      },
    );
    await getOctokit('ghs_old', { baseUrl: github.url }).rest.issues.createComment({
      ...repo,
      issue_number: PR,
      body: older,
    });
    // A sibling job of that run keeps it, and so does a tick, which cannot tell whose it is ...
    const fraud1 = job(1, H1);
    await fraud1.stepFraud();
    await fraud1.publish();
    expect(body()).toContain(WAITS);
    const tick = job(2);
    await tick.stepFraud();
    await tick.publish();
    expect(body()).toContain(WAITS);
    // ... a later run's job of the PR, which says again what holds of its models, does not.
    github.setPullRequest(PR, { baseSha: 'a'.repeat(40), headSha: H2, files: [] });
    const fraud3 = job(3, H2);
    await fraud3.stepFraud();
    await fraud3.publish();
    expect(body()).not.toContain('churn');
  });
});
