import { getOctokit } from '@actions/github';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { COMMENT_MARKER, composeBody } from '../../src/github/sticky-comment.js';
import { newRelease } from '../../src/release/new-release.js';
import type { Release } from '../../src/release/types.js';
import { type FakeGitHub, startFakeGitHub, type TokenKind } from '../support/fake-github/server.js';
import { canaryModel } from '../support/model-config.js';

// Which comment is ours depends on who the token is: the job's GITHUB_TOKEN writes as a Bot, a
// personal access token as its User. Each `run` is a new job: a new client and ledger that find
// the PR's comment, resume the release hidden in it, save the next state and publish.
let github: FakeGitHub;
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const head = 'd'.repeat(40);
const PR = 7;
const VIEWER = '/graphql';
const TOKENS: Record<TokenKind, string> = { 'github-actions': 'ghs_job_token', pat: 'ghp_personal_token' };

beforeEach(async () => {
  github = await startFakeGitHub(repo);
});
afterEach(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

function open(pr: number) {
  github.setPullRequest(pr, { baseSha: 'a'.repeat(40), headSha: head, files: [] });
}

function ledgerOfRun(pr?: number) {
  // Octokit without the throttling of gitHubClient, whose second between writes is not under test.
  const client = getOctokit(TOKENS[github.tokenKind], { baseUrl: github.url });
  return new GitHubLedger({ client, repo, sha: head, pr });
}

/** One job on a PR: what it resumed, after it saved `next(resumed)` and published. */
async function run(runId: number, next: (resumed?: Release) => Release, pr = PR) {
  const ledger = ledgerOfRun(pr);
  const resumed = await ledger.release('fraud');
  await ledger.saveRelease(next(resumed));
  const render = (r: { releases: Release[] }) =>
    `## model-gate\n${r.releases.map((x) => `${x.model} ${x.to}: phase ${x.phase}`).join('\n')}`;
  await new CommentPublisher(ledger, render, { runId, attempt: 1 }, new FakeClock()).publish();
  return resumed;
}

const begin = (pr: number) => newRelease(canaryModel(), { from: 'v1', to: 'v2', pr, headSha: head, now: 0 });
const start = () => begin(PR);
const advance = (r?: Release): Release => {
  if (!r) throw new Error('no release resumed');
  return { ...r, phase: r.phase + 1 };
};

const ours = (pr = PR) => github.comments(pr).filter((c) => c.user === github.botLogin);

/** A comment by another user, made to look like ours, hiding a release that would skip the analysis. */
function forge(login: string, pr = PR) {
  const fake = { ...begin(pr), to: 'v666', status: 'ready', phase: 3 } satisfies Release;
  const data = { releases: { fraud: fake } };
  const body = composeBody('## model-gate: ✅ Ready to merge', { runId: 999_999, attempt: 1 }, data);
  return github.addComment(pr, body, login);
}

describe.each<[TokenKind]>([['github-actions'], ['pat']])('with a %s token', (kind) => {
  beforeEach(() => {
    github.useToken(kind);
    open(PR);
  });

  it('three runs on a PR leave one comment, updated in place, and each resumes the last state', async () => {
    expect(await run(1, start)).toBeUndefined();
    const [created] = ours();
    expect(created?.userType).toBe(kind === 'pat' ? 'User' : 'Bot');
    expect((await run(2, advance))?.phase).toBe(-1);
    expect((await run(3, advance))?.phase).toBe(0);
    expect(github.comments(PR)).toHaveLength(1);
    expect(ours()).toEqual([expect.objectContaining({ id: created?.id })]);
    expect(ours()[0]?.body).toContain('<!-- model-gate-run:3.1 -->');
    expect(ours()[0]?.body).toContain('fraud v2: phase 1');
    expect(github.requestCount('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments')).toBe(1);
    expect(github.requestCount('PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}')).toBe(2);
    // GitHub is asked who the token is by each run that finds a comment it did not write itself.
    expect(github.requestCount('POST', VIEWER)).toBe(2);
  });

  it("ignores another user's comment with the marker and forged state: not read, not written", async () => {
    const forged = forge('mallory');
    expect(await run(1, start)).toBeUndefined();
    expect((await run(2, advance))?.to).toBe('v2');
    const [theirs, mine] = github.comments(PR);
    expect(theirs).toEqual(forged);
    expect(mine?.user).toBe(github.botLogin);
    expect(mine?.body.startsWith(COMMENT_MARKER)).toBe(true);
    expect(mine?.body).toContain('<!-- model-gate-run:2.1 -->');
    expect(github.comments(PR)).toHaveLength(2);
  });
});

describe('the token identity', () => {
  it('the job token asks GitHub who it is once a run, and never trusts a User', async () => {
    open(PR);
    forge('monalisa');
    forge('octocat');
    await run(1, start);
    expect(github.requests.filter((r) => r.path === VIEWER).map((r) => r.status)).toEqual([200]);
    expect(ours()).toHaveLength(1);
    expect(ours()[0]?.userType).toBe('Bot');
  });

  it('a PAT asks GitHub once a run for all its PRs, and not at all after writing a comment', async () => {
    github.useToken('pat');
    for (const pr of [5, 6, 8]) open(pr);
    // A model per PR: two PRs' releases of one model would contend for its canary slot.
    const beginOf = (pr: number) => ({ ...begin(pr), model: `fraud-${pr}` });
    await run(1, () => beginOf(5), 5);
    await run(1, () => beginOf(6), 6);
    github.resetRequests();
    const ledger = ledgerOfRun();
    expect([...(await ledger.releasesOf(5)).keys()]).toEqual(['fraud-5']);
    expect([...(await ledger.releasesOf(6)).keys()]).toEqual(['fraud-6']);
    expect(github.requestCount('POST', VIEWER)).toBe(1);

    github.resetRequests();
    const writer = ledgerOfRun(8);
    await writer.saveRelease(beginOf(8));
    await new CommentPublisher(writer, () => 'report', { runId: 2, attempt: 1 }, new FakeClock()).publish();
    expect([...(await writer.releasesOf(5)).keys()]).toEqual(['fraud-5']);
    expect(github.requestCount('POST', VIEWER)).toBe(0);
  });

  it("moving from the job token to a PAT: the PAT's runs do not read the job token's comment, they write their own", async () => {
    open(PR);
    await run(1, start);
    github.useToken('pat');
    // Another account's comment is not model-gate's word, whoever wrote it.
    expect(await run(2, start)).toBeUndefined();
    expect(github.comments(PR)).toEqual([
      expect.objectContaining({
        user: 'github-actions[bot]',
        body: expect.stringContaining('<!-- model-gate-run:1.1 -->'),
      }),
      expect.objectContaining({
        user: 'monalisa',
        body: expect.stringContaining('<!-- model-gate-run:2.1 -->'),
      }),
    ]);
  });
});
