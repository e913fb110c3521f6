import { getOctokit } from '@actions/github';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import type { GitHubClient } from '../../src/github/client.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { COMMENT_MARKER, readBody } from '../../src/github/sticky-comment.js';
import { newRelease } from '../../src/release/new-release.js';
import type { Release } from '../../src/release/types.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { canaryModel } from '../support/model-config.js';

// A matrix of three models on one PR, one job each, all writing the PR's one comment. gamma's job
// read the comment, then GitHub was slow to take its write: meanwhile beta's job recorded its
// decision (ready) and checked it, and alpha's job read it. gamma's write then lands, taking beta
// back to the state gamma read. beta's job is over; alpha's, still running, saw the decision.
let github: FakeGitHub;
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const head = 'd'.repeat(40);
const PR = 7;
const COMMENT = '/repos/{owner}/{repo}/issues/comments/{comment_id}';

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

/** One job: its model's release moved on a step at a time (or to `status`), and published. */
function job(model: string, clock = new FakeClock()) {
  const client: GitHubClient = getOctokit('ghs_job_token', { baseUrl: github.url });
  const ledger = new GitHubLedger({ client, repo, sha: head, pr: PR });
  const publisher = new CommentPublisher(ledger, render, { runId: 1, attempt: 1 }, clock);
  return {
    client,
    ledger,
    async step(status?: Release['status']) {
      const now = await ledger.release(model);
      const next: Release = now
        ? { ...now, phase: now.phase + 1, updatedAt: now.updatedAt + 1, status: status ?? now.status }
        : newRelease(canaryModel({ name: model }), {
            from: 'v1',
            to: 'v2',
            pr: PR,
            headSha: head,
            now: clock.now(),
          });
      await ledger.saveRelease(next);
    },
    publish: (final = false) => publisher.publish({ final }),
  };
}

/** Each model's status and phase, as the PR's one comment holds them. */
function held(): Record<string, string> {
  const comments = github.comments(PR).filter((c) => c.body.startsWith(COMMENT_MARKER));
  expect(comments).toHaveLength(1);
  const data = readBody(comments[0]?.body ?? '').data as { releases: Record<string, Release> };
  return Object.fromEntries(
    Object.values(data.releases).map((r) => [r.model, `${r.status} phase ${r.phase}`]),
  );
}

/** Holds a client's next request of `method` to `path` until released; `reached` once it is sent. */
function holdNext(client: GitHubClient, method: string, path: string) {
  let release = () => {};
  let arrive = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const reached = new Promise<void>((resolve) => {
    arrive = resolve;
  });
  let armed = true;
  client.hook.before('request', async (options) => {
    if (!armed || options.method !== method || options.url !== path) return;
    armed = false;
    arrive();
    await gate;
  });
  return { reached, release };
}

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
  const [alpha, beta, gamma] = [job('alpha', clock), job('beta'), job('gamma')];
  for (const j of [alpha, beta, gamma]) await j.step();
  for (const j of [alpha, beta, gamma]) await j.publish();
  const gammaWrite = await slowGammaWrite(gamma);
  await beta.step('ready');
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
    await alpha.step('ready');
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
