import { getOctokit } from '@actions/github';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { type Clock, FakeClock, systemClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import { type GitHubClient, gitHubClient } from '../../src/github/client.js';
import { CommentPublisher, type RenderReport } from '../../src/github/comment-publisher.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { COMMENT_MARKER, composeBody, type RunStamp, readBody } from '../../src/github/sticky-comment.js';
import { rollbackNotTaken } from '../../src/release/finish.js';
import { newRelease } from '../../src/release/new-release.js';
import { readyReasonOf } from '../../src/release/pending-idle.js';
import { platformFailure } from '../../src/release/phase-notes.js';
import type { RunResult } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { strategyOf } from '../../src/strategies/strategy.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { holdNext } from '../support/hold-next-request.js';
import { canaryModel } from '../support/model-config.js';

// A matrix: one job per model, side by side on one PR, each with its own client, ledger and
// publisher, all of one workflow run (same run id). They share the PR's one comment, which holds
// every model's release state for the next job (the merge) to resume.
let github: FakeGitHub;
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const head = 'd'.repeat(40);
const PR = 7;
const COMMENT = '/repos/{owner}/{repo}/issues/comments/{comment_id}';
const COMMENTS = '/repos/{owner}/{repo}/issues/{issue_number}/comments';

beforeEach(async () => {
  github = await startFakeGitHub(repo);
  github.setPullRequest(PR, { baseSha: 'a'.repeat(40), headSha: head, files: [] });
});
afterEach(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

const render = (r: { releases: Release[] }) =>
  `## model-gate\n${r.releases.map((x) => `${x.model} ${x.to}: ${x.status} phase ${x.phase}`).join('\n')}`;

/** One matrix job: `model`'s release on the PR, moved on a step at a time and published. */
function job(
  model: string,
  opts: {
    soleWriter?: boolean;
    clock?: Clock;
    settleMs?: number;
    stamp?: RunStamp;
    client?: GitHubClient;
    warn?: (message: string) => void;
    render?: RenderReport;
  } = {},
) {
  // By default Octokit without the throttling of gitHubClient, whose second between writes is not under test.
  const client: GitHubClient = opts.client ?? getOctokit('ghs_job_token', { baseUrl: github.url });
  const ledger = new GitHubLedger({ client, repo, sha: head, pr: PR, soleWriter: opts.soleWriter });
  const clock = opts.clock ?? new FakeClock();
  const publisher = new CommentPublisher(
    ledger,
    opts.render ?? render,
    opts.stamp ?? { runId: 1, attempt: 1 },
    clock,
    {
      settleMs: opts.settleMs,
      ...(opts.warn ? { warn: opts.warn } : {}),
    },
  );
  const config = canaryModel({ name: model });
  return {
    client,
    ledger,
    /** Save the next state: the first, then one phase further, or `ready` when `done`. */
    async step(done = false) {
      const now = await ledger.release(model);
      const next: Release = now
        ? { ...now, phase: now.phase + 1, updatedAt: now.updatedAt + 1, status: done ? 'ready' : now.status }
        : newRelease(config, { from: 'v1', to: 'v2', pr: PR, headSha: head, now: clock.now() });
      await ledger.saveRelease(next);
      return next;
    },
    /** `force`: a record other runs must read at once (a decision), which waits out GitHub's refusals. */
    publish: (final = false, notes?: Map<number, RunResult['skipped']>, force = false) =>
      publisher.publish({ final, force, ...(notes ? { notes } : {}) }),
  };
}

/** Every job saves its next state (`final`: ready), and then every job publishes. */
async function round(jobs: ReturnType<typeof job>[], final = false) {
  for (const j of jobs) await j.step(final);
  for (const j of jobs) await j.publish(final);
}

const ours = () =>
  github.comments(PR).filter((c) => c.user === github.botLogin && c.body.startsWith(COMMENT_MARKER));

/** Each model's status and phase, as the PR's one comment of ours holds them. */
function held(): Record<string, string> {
  const [comment, ...more] = ours();
  expect(more).toEqual([]);
  const data = readBody(comment?.body ?? '').data as { releases: Record<string, Release> } | undefined;
  return Object.fromEntries(
    Object.values(data?.releases ?? {}).map((r) => [r.model, `${r.status} phase ${r.phase}`]),
  );
}

describe('matrix jobs on one PR comment', () => {
  it('two jobs interleaving saves and publishes leave one comment with both models’ latest state', async () => {
    const fraud = job('fraud');
    const churn = job('churn');
    // Both jobs start before either writes: each reads a PR with no comment.
    for (let i = 0; i < 4; i++) await round([fraud, churn]);
    await round([fraud], true);
    await round([churn]);
    expect(held()).toEqual({ fraud: 'ready phase 3', churn: 'analysing phase 3' });
    await round([churn], true);
    expect(held()).toEqual({ fraud: 'ready phase 3', churn: 'ready phase 4' });
    expect(ours()[0]?.body).toContain('fraud v2: ready phase 3\nchurn v2: ready phase 4');
    expect(github.requestCount('POST', COMMENTS)).toBe(1);
    // What each job shows in its report: every model, the other's as the comment had it.
    expect([...(await churn.ledger.releasesOf(PR)).keys()]).toEqual(['fraud', 'churn']);
  });

  it('two jobs running side by side, each to its end, leave one comment with both states', async () => {
    // Real time: a job checks its last write a moment (here 100 ms) after it, while the other writes on.
    const run = async (model: string, steps: number) => {
      const j = job(model, { clock: systemClock, settleMs: 100 });
      for (let i = 0; i < steps; i++) await round([j]);
      await round([j], true);
    };
    await Promise.all([run('fraud', 4), run('churn', 6)]);
    expect(held()).toEqual({ fraud: 'ready phase 3', churn: 'ready phase 5' });
    console.log(`two matrix jobs side by side: ${github.requestCount()} GitHub API requests`);
  });

  it("a stale write that lands after a job's last write is put right by that job's check", async () => {
    const sleeps: number[] = [];
    const clock = new FakeClock();
    const fraud = job('fraud', { clock });
    const churn = job('churn');
    await round([fraud, churn]);
    // churn reads the comment and sends its next write, which GitHub is slow to take ...
    const late = holdNext(churn.client, 'PATCH', COMMENT);
    await churn.step();
    const churnWrite = churn.publish();
    await late.reached;
    // ... while fraud writes its last state, and waits a moment before checking it.
    let dropped: Record<string, string> = {};
    clock.sleep = async (ms) => {
      sleeps.push(ms);
      late.release();
      await churnWrite;
      if (sleeps.length === 1) dropped = held();
    };
    await fraud.step(true);
    await fraud.publish(true);
    expect(dropped).toEqual({ fraud: 'analysing phase -1', churn: 'analysing phase 0' });
    expect(sleeps).toEqual([5_000, 5_000]);
    expect(held()).toEqual({ fraud: 'ready phase 0', churn: 'analysing phase 0' });
  });

  it.each([
    // GitHub's retry-after: 1 s; a first server error: 1 s of backoff.
    ['a secondary rate limit', () => github.rateLimitNext('PATCH', COMMENT, 'secondary'), 403],
    ['a server error', () => github.failNext('PATCH', COMMENT, 502), 502],
  ])(
    'a forced write GitHub refuses for now (%s) is rebuilt from a fresh read after the wait, keeping what another job wrote meanwhile',
    async (_fault, refuseNext, status) => {
      const fraud = job('fraud');
      // churn's client is the action's, which retries rate limits and server errors by itself
      // (its waits a twentieth of GitHub's: their length is not under test here).
      const warnings: string[] = [];
      const warn = (m: string) => warnings.push(m);
      const clock = new FakeClock();
      const client = gitHubClient({ token: 'ghs_job_token', baseUrl: github.url, warn, waitScale: 0.05 });
      const churn = job('churn', { clock, client, warn });
      await round([fraud, churn]);
      const patches = github.requestCount('PATCH', COMMENT);
      let fraudDone = () => {};
      const fraudDid = new Promise<void>((resolve) => {
        fraudDone = resolve;
      });
      const sleeps: number[] = [];
      clock.sleep = async (ms) => {
        sleeps.push(ms);
        await fraudDid;
      };
      // churn sends its next state; GitHub refuses it for now ...
      refuseNext();
      await churn.step();
      const churnWrite = churn.publish(false, undefined, true);
      while (github.requestCount('PATCH', COMMENT) === patches) await new Promise((r) => setTimeout(r, 5));
      // ... and while churn waits, fraud writes its last state and checks it.
      await fraud.step(true);
      await fraud.publish(true);
      fraudDone();
      await churnWrite;
      expect(held()).toEqual({ fraud: 'ready phase 0', churn: 'analysing phase 0' });
      expect(sleeps).toEqual([1_000]);
      expect(warnings).toEqual([
        `GitHub refused to write the comment of PR #${PR} for now (HTTP ${status}): writing it again in 1s`,
      ]);
    },
  );

  it('two jobs that each created a comment end with the first one, holding both states', async () => {
    const forged = github.addComment(
      PR,
      composeBody('## model-gate', { runId: 9, attempt: 1 }, { releases: { fraud: { to: 'v666' } } }),
      'mallory',
    );
    const fraud = job('fraud');
    const churn = job('churn');
    // Both find no comment of theirs, then both create one.
    const both = [fraud, churn].map((j) => holdNext(j.client, 'POST', COMMENTS));
    await fraud.step();
    await churn.step();
    const first = Promise.all([fraud.publish(), churn.publish()]);
    await Promise.all(both.map((h) => h.reached));
    for (const h of both) h.release();
    await first;
    const created = ours();
    expect(created).toHaveLength(2);
    await round([fraud], true);
    await churn.step();
    await churn.publish(true);
    // The forged comment is neither read, nor deleted; of ours the first one is left.
    expect(github.comments(PR)).toEqual([forged, expect.objectContaining({ id: created[0]?.id })]);
    expect(held()).toEqual({ fraud: 'ready phase 0', churn: 'analysing phase 0' });
  });

  it('a comment deleted mid-run is written again, by a job alone on its PR or not', async () => {
    for (const soleWriter of [true, false]) {
      const fraud = job('fraud', { soleWriter });
      await round([fraud]);
      await round([fraud]);
      await fraud.client.rest.issues.deleteComment({ ...repo, comment_id: ours()[0]?.id ?? 0 });
      await round([fraud], true);
      expect(held()).toEqual({ fraud: 'ready phase 1' });
      await fraud.client.rest.issues.deleteComment({ ...repo, comment_id: ours()[0]?.id ?? 0 });
    }
  });

  it('a job reads the comment before each write (a workflow_dispatch run may write it too); a matrix job also checks it after its last', async () => {
    const requests = async (soleWriter: boolean) => {
      github.resetRequests();
      const fraud = job('fraud', { soleWriter });
      for (let i = 0; i < 3; i++) await round([fraud], i === 2);
      const counts = ['GET', 'POST', 'PATCH', 'DELETE'].map(
        (m) => github.requestCount(m, COMMENT) + github.requestCount(m, COMMENTS),
      );
      await fraud.client.rest.issues.deleteComment({ ...repo, comment_id: ours()[0]?.id ?? 0 });
      return counts;
    };
    // Reads: the first; before the first write (no comment yet) and the second (this job created
    // one: another job may have too) a listing, before the third the comment ...
    expect(await requests(true)).toEqual([4, 1, 2, 0]);
    // ... and for a matrix job, a listing to check after its last write.
    expect(await requests(false)).toEqual([5, 1, 2, 0]);
  });
  it("keeps a sibling job's queued line when another job writes the comment", async () => {
    const fraud = job('fraud');
    const ranker = job('ranker');
    const queued = {
      model: 'fraud',
      why: 'queued: PR #3 holds the canary slot',
      kind: 'queued' as const,
      holder: 3,
    };
    await fraud.publish(true, new Map([[PR, [queued]]]));
    await ranker.step();
    await ranker.publish();
    const [comment] = ours();
    const data = readBody(comment?.body ?? '').data as { skipped?: unknown[] } | undefined;
    // Stored with its writer (the fraud job's run), for a later run to tell whether it still holds.
    expect(data?.skipped).toEqual([{ ...queued, run: 1 }]);
    expect(held()).toEqual({ ranker: 'analysing phase -1' });
    // Once the fraud job releases its model, its old line goes.
    await fraud.step();
    await fraud.publish();
    expect((readBody(ours()[0]?.body ?? '').data as { skipped?: unknown[] }).skipped).toEqual([]);
  });
});

describe('runs of different ages on one comment', () => {
  it('a re-run of an older run, after a newer run wrote the comment, records its release beside the newer one', async () => {
    // A schedule tick (run 110) advances one model; then a queued model's run 105 is re-run.
    const tick = job('ranker', { stamp: { runId: 110, attempt: 1 } });
    await tick.step();
    await tick.publish(true);
    const rerun = job('fraud', { soleWriter: true, stamp: { runId: 105, attempt: 2 } });
    await rerun.step();
    await rerun.publish(true);
    expect(held()).toEqual({ ranker: 'analysing phase -1', fraud: 'analysing phase -1' });
    await rerun.step();
    await rerun.publish(true);
    await tick.step();
    await tick.publish(true);
    expect(held()).toEqual({ ranker: 'analysing phase 0', fraud: 'analysing phase 0' });
  });

  it('a release that a workflow_dispatch run ended while this job drives it is given up, never written back', async () => {
    const job7 = job('fraud', { soleWriter: true, stamp: { runId: 300, attempt: 1 } });
    const driving = await job7.step();
    await job7.publish();
    // The dispatch run (its own ledger, no PR of its own) withdraws the candidate and says so.
    const dispatch = job('fraud', { stamp: { runId: 301, attempt: 1 } });
    const ended: Release = { ...driving, status: 'aborted', reason: 'withdrawn: rolled back to v4' };
    await dispatch.ledger.saveRelease(ended);
    await dispatch.publish(true);
    // Until it reads the comment again, the job does not know; then it does, and keeps out.
    expect(await job7.ledger.endedElsewhere(driving, false)).toBeUndefined();
    expect(await job7.ledger.endedElsewhere(driving, true)).toMatchObject({ status: 'aborted' });
    await job7.step();
    await job7.publish(true);
    expect(held()).toEqual({ fraud: 'aborted phase -1' });
    expect(ours()[0]?.body).toContain('fraud v2: aborted');
  });

  it('an older run never puts back a release that a newer run restarted', async () => {
    const clock = new FakeClock();
    // A matrix job of run 200, which reads the comment before each write.
    const old = job('fraud', { clock, stamp: { runId: 200, attempt: 1 } });
    await old.step();
    await old.publish(true);
    clock.advance(60_000);
    // A push: run 201 restarts the release for the new head; run 200's job writes once more, late.
    const fresh = job('fraud', { soleWriter: true, clock, stamp: { runId: 201, attempt: 1 } });
    await fresh.ledger.saveRelease(
      newRelease(canaryModel({ name: 'fraud' }), {
        from: 'v1',
        to: 'v3',
        pr: PR,
        headSha: head,
        now: clock.now(),
      }),
    );
    await fresh.publish(true);
    await old.step(true);
    await old.publish(true);
    const data = readBody(ours()[0]?.body ?? '').data as { releases: Record<string, Release> };
    expect(data.releases.fraud).toMatchObject({ to: 'v3', status: 'analysing' });
  });
});

// A matrix of three models on one PR, one job each, all writing the PR's one comment. gamma's job
// read the comment, then GitHub was slow to take its write: meanwhile beta's job recorded its
// decision (ready) and checked it, and alpha's job read it. gamma's write then lands, taking beta
// back to the state gamma read. beta's job is over; alpha's, still running, saw the decision.
/** gamma's write, read before beta's decision and held until `release`d. */
async function slowGammaWrite(gamma: ReturnType<typeof job>) {
  const late = holdNext(gamma.client, 'PATCH', COMMENT);
  await gamma.step();
  const written = gamma.publish();
  await late.reached;
  return {
    landed: async () => {
      late.release();
      await written;
    },
  };
}

/** The three jobs publish; gamma's write is held at GitHub while beta's job records (ready) and checks its decision. */
async function betaDecidedWhileGammaWrites() {
  const clock = new FakeClock();
  const [alpha, beta, gamma] = [job('alpha', { clock }), job('beta'), job('gamma')];
  for (const j of [alpha, beta, gamma]) await j.step();
  for (const j of [alpha, beta, gamma]) await j.publish();
  const gammaWrite = await slowGammaWrite(gamma);
  await beta.step(true);
  await beta.publish(true);
  return { clock, alpha, gammaWrite };
}

describe('a stale write of one matrix job takes back another job’s decision', () => {
  it('a job that read the decision keeps it in its next write, and never puts back what another run ended', async () => {
    const { alpha, gammaWrite } = await betaDecidedWhileGammaWrites();
    await alpha.step();
    await alpha.publish();
    await gammaWrite.landed();
    expect(held()).toEqual({
      alpha: 'analysing phase -1',
      beta: 'analysing phase -1',
      gamma: 'analysing phase 0',
    });
    await alpha.step(true);
    await alpha.publish(true);
    expect(held()).toEqual({ alpha: 'ready phase 1', beta: 'ready phase 0', gamma: 'analysing phase 0' });

    // A rollback by workflow_dispatch ends beta, on a runner whose clock is a minute behind: an end
    // is later than the decision it ends, whatever its time, so alpha's job does not undo it.
    const readyBeta = await alpha.ledger.release('beta');
    if (!readyBeta) throw new Error('alpha read no beta');
    const dispatch = job('beta');
    await dispatch.ledger.saveRelease({
      ...readyBeta,
      status: 'aborted',
      updatedAt: readyBeta.updatedAt - 60_000,
    });
    await dispatch.publish(true);
    await alpha.step();
    await alpha.publish(true);
    expect(held()).toEqual({ alpha: 'ready phase 2', beta: 'aborted phase 0', gamma: 'analysing phase 0' });
  });

  it('a stale write that lands after a job’s last write is put right by its check, for every model it read', async () => {
    const { clock, alpha, gammaWrite } = await betaDecidedWhileGammaWrites();
    // alpha's job reads the comment before its next look (has another run ended its release?),
    // seeing beta's decision; its own state was written already (gamma read it), so its last
    // publish writes nothing, and gamma's write lands while alpha waits to check the comment.
    const driving = await alpha.ledger.release('alpha');
    if (!driving) throw new Error('alpha has no release');
    expect(await alpha.ledger.endedElsewhere(driving, true)).toBeUndefined();
    let dropped: Record<string, string> = {};
    clock.sleep = async () => {
      if (Object.keys(dropped).length > 0) return;
      await gammaWrite.landed();
      dropped = held();
    };
    await alpha.publish(true);
    expect(dropped).toEqual({
      alpha: 'analysing phase -1',
      beta: 'analysing phase -1',
      gamma: 'analysing phase 0',
    });
    expect(held()).toEqual({
      alpha: 'analysing phase -1',
      beta: 'ready phase 0',
      gamma: 'analysing phase 0',
    });
  });
});

// A run records a decision before the traffic change that carries it out, then saves the change's
// outcome, both at the decision's time (tick.ts passedAll, rollBack): the two records of one release
// often share their updatedAt (to the millisecond on a real clock; always on a fake one).
describe("a job's two records of one decision, with the same updatedAt, on a comment a sibling job writes", () => {
  const config: Config = {
    version: 1,
    allowForks: false,
    models: { fraud: canaryModel({ name: 'fraud' }), churn: canaryModel({ name: 'churn' }) },
  };
  const report: RenderReport = (result, compact) =>
    renderMarkdown(config, result, { now: 0, compact, prComment: true });
  const strategy = strategyOf(canaryModel({ name: 'churn' }).strategy);

  /** churn's release, its last step passed at `at`, still analysing. */
  const lastStepPassed = (started: Release, at: number): Release => ({
    ...started,
    phase: strategy.phases.length - 1,
    updatedAt: at,
    gates: started.gates.map((g) => ({ ...g, verdict: 'pass' as const })),
    phases: strategy.phases.map((p, i) => ({
      name: p.name,
      weight: p.weight,
      startedAt: started.startedAt + i * 60_000,
      endedAt: i === strategy.phases.length - 1 ? at : started.startedAt + (i + 1) * 60_000,
      outcome: 'passed' as const,
    })),
  });
  /** The pass, its change to idle pending (the record), then confirmed (the save): passedAll. */
  const ready = (passed: Release, idle: 'pending' | 'confirmed'): Release => ({
    ...passed,
    status: 'ready',
    reason: readyReasonOf(passed, strategy, idle === 'pending'),
    ...(idle === 'pending' ? { idlePending: true as const } : {}),
  });
  const refused = new TargetError('the platform answered HTTP 503: Service Unavailable');
  /** The failure rollBack records before its rollback, the rollback under way. */
  const rollingBack = (passed: Release): Release => ({
    ...passed,
    status: 'failed',
    reason: platformFailure(refused, passed.headSha),
    withdrawPending: true,
    ending: { platformFailed: true, serves: passed.from },
  });
  const notTaken = (passed: Release) => {
    const { withdrawPending: _, ending: __, ...failed } = rollingBack(passed);
    return rollbackNotTaken(
      { ...failed, ending: { platformFailed: true } },
      passed.updatedAt,
      refused.message,
    );
  };
  const PENDING_WORDS = "v2 may still get its last phase's traffic";

  it.each([
    [
      'a pass, its change to idle pending then confirmed (passedAll)',
      (p: Release) => [ready(p, 'pending'), ready(p, 'confirmed')],
      'churn v2 passed every gate and is ready to merge',
      PENDING_WORDS,
    ],
    [
      'a pass, its change to idle pending, then the rollback as that change failed (passedAll)',
      (p: Release) => [ready(p, 'pending'), rollingBack(p)],
      'churn: v2 is being withdrawn',
      'ready to merge',
    ],
    [
      'a rollback under way, then not taken (rollBack)',
      (p: Release) => [rollingBack(p), notTaken(p)],
      'churn v2 could not be rolled back to v1: the platform answered HTTP 503',
      'being withdrawn',
    ],
  ])(
    '%s: a sibling job that read the first record never writes it back over the second',
    async (_decision, records, shows, never) => {
      const churn = job('churn', { render: report });
      const fraud = job('fraud', { render: report });
      const started = await churn.step();
      await churn.publish();
      await fraud.step();
      await fraud.publish();
      const [first, second] = records(lastStepPassed(started, started.startedAt + 180_000));
      if (!first || !second) throw new Error('two records expected');
      expect(second.updatedAt).toBe(first.updatedAt);
      // churn's job records the decision (a record other jobs must read at once) ...
      await churn.ledger.saveRelease(first);
      await churn.publish(false, undefined, true);
      // ... fraud's job reads it with the comment before its next write ...
      await fraud.step();
      await fraud.publish();
      expect(readBody(ours()[0]?.body ?? '').data).toMatchObject({ releases: { churn: first } });
      // ... churn's job saves the change's outcome, writes it, checks it and ends ...
      await churn.ledger.saveRelease(second);
      const saved = await churn.ledger.release('churn');
      await churn.publish(true);
      // ... and fraud's job writes on.
      await fraud.step();
      await fraud.publish(true);
      const body = ours()[0]?.body ?? '';
      expect((readBody(body).data as { releases: Record<string, Release> }).releases.churn).toEqual(saved);
      expect(body).toContain(shows);
      expect(body).not.toContain(never);
    },
  );
});
