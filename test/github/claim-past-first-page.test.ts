import { afterEach, beforeEach, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { gitHubClient } from '../../src/github/client.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { newRelease } from '../../src/release/new-release.js';
import type { Release } from '../../src/release/types.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { canaryModel } from '../support/model-config.js';

// A PR comment's record of a pending withdrawal counts only with the canary claim it names on
// record (made by this token for the same PR, versions and head). Each analysis of a head claims
// the slot again, so a head analysed many times has the record's claim behind newer ones.

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
const claimListings = () =>
  github.requests.filter(
    (r) => r.operationId === 'repos/list-deployments' && r.query.task === 'model-gate:canary',
  ).length;

it.each([
  [0, 1],
  [14, 2],
])(
  'keeps the record of a pending withdrawal whose claim has %i newer claims of the same head after it (%i listings)',
  async (newer, listings) => {
    const clock = new FakeClock();
    const writer = client();
    const claim = async () =>
      (
        await writer.rest.repos.createDeployment({
          ...repo,
          ref: head,
          task: 'model-gate:canary',
          environment: 'model-gate/fraud',
          auto_merge: false,
          required_contexts: [],
          payload: { pr: 7, to: 'v2', from: 'v1', head },
          description: 'canary v1 -> v2',
        })
      ).data as { id: number };
    const { id } = await claim();
    const ledger = new GitHubLedger({ client: writer, repo, sha: head, pr: 7, clock });
    const pending: Release = {
      ...newRelease(canaryModel({ name: 'fraud' }), {
        from: 'v1',
        to: 'v2',
        pr: 7,
        headSha: head,
        now: clock.now(),
      }),
      status: 'aborted',
      reason: 'closed by command; v2 withdrawn',
      withdrawPending: true,
      canaryDeployment: id,
      ending: { serves: 'v1' },
    };
    await ledger.saveRelease(pending);
    await new CommentPublisher(ledger, () => '## model-gate', { runId: 1, attempt: 1 }, clock, {
      settleMs: 0,
    }).publish({ final: true });
    for (let i = 0; i < newer; i++) await claim();
    github.resetRequests();

    const next = new GitHubLedger({ client: client(), repo, sha: head, pr: 7, clock });
    expect(await next.release('fraud')).toMatchObject({
      status: 'aborted',
      withdrawPending: true,
      canaryDeployment: id,
    });
    expect(next.problems).toEqual([]);
    expect(claimListings()).toBe(listings);
  },
  60_000,
);
