import { afterEach, beforeEach, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { gitHubClient } from '../../src/github/client.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { newRelease } from '../../src/release/new-release.js';
import type { Release } from '../../src/release/types.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { canaryModel } from '../support/model-config.js';

// A release that failed before any deployment (an offline gate) made no canary claim: the failure
// commit status this token set on the head is what backs the PR comment's record of it. Other CI
// sets statuses on the same head, often more than one page of them after model-gate's.

const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const head = 'd'.repeat(40);
let github: FakeGitHub;

beforeEach(async () => {
  github = await startFakeGitHub(repo);
  github.setPullRequest(7, { baseSha: 'a'.repeat(40), headSha: head, files: [] });
});
afterEach(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

const client = () => gitHubClient({ token: 'ghs_x', baseUrl: github.url, warn: () => {}, waitScale: 0.001 });
const listings = () =>
  github.requests.filter((r) => r.operationId === 'repos/list-commit-statuses-for-ref').length;

it.each([
  [0, 1],
  [120, 2],
])(
  'keeps the record of a failure before any deployment with %i other statuses set on the head since (%i listing)',
  async (others, pages) => {
    const clock = new FakeClock();
    const writer = client();
    const ledger = new GitHubLedger({ client: writer, repo, sha: head, pr: 7, clock });
    const failed: Release = {
      ...newRelease(canaryModel({ name: 'fraud' }), {
        from: 'v1',
        to: 'v2',
        pr: 7,
        headSha: head,
        now: clock.now(),
      }),
      status: 'failed',
      phase: -1,
      reason: 'offline gate auc failed',
    };
    await ledger.saveRelease(failed);
    await new CommentPublisher(ledger, () => '## model-gate', { runId: 1, attempt: 1 }, clock, {
      settleMs: 0,
    }).publish({ final: true });
    for (let i = 0; i < others; i++)
      await writer.rest.repos.createCommitStatus({
        ...repo,
        sha: head,
        state: 'success',
        context: `ci/job-${i % 40}`,
      });
    github.resetRequests();

    const next = new GitHubLedger({ client: client(), repo, sha: head, pr: 7, clock });
    expect(await next.release('fraud')).toMatchObject({
      status: 'failed',
      reason: 'offline gate auc failed',
    });
    expect(next.problems).toEqual([]);
    expect(listings()).toBe(pages);
  },
  60_000,
);
