import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { gitHubClient } from '../../src/github/client.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { COMMENT_LIMIT } from '../../src/github/sticky-comment.js';
import { newRelease } from '../../src/release/new-release.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { canaryModel } from '../support/model-config.js';

let github: FakeGitHub;
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const head = 'd'.repeat(40);

beforeAll(async () => {
  github = await startFakeGitHub(repo);
});
afterAll(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

async function publisherFor(pr: number, render: (compact: boolean) => string, clock = new FakeClock()) {
  github.setPullRequest(pr, { baseSha: 'a'.repeat(40), headSha: head, files: [] });
  // Writes a twentieth of GitHub's second apart: the spacing is not under test here.
  const client = gitHubClient({ token: 'ghs_x', baseUrl: github.url, warn: () => {}, waitScale: 0.05 });
  const ledger = new GitHubLedger({ client, repo, sha: head, pr });
  await ledger.saveRelease(
    // A model per PR: two PRs' releases of one model would contend for its canary slot.
    newRelease(canaryModel({ name: `fraud-${pr}` }), {
      from: 'v1',
      to: 'v2',
      pr,
      headSha: head,
      now: clock.now(),
    }),
  );
  return {
    ledger,
    clock,
    publisher: new CommentPublisher(
      ledger,
      (_r, compact) => render(compact),
      { runId: 1, attempt: 1 },
      clock,
      { refreshMs: 60_000 },
    ),
  };
}

describe('the comment publisher', () => {
  it('drops the details before the decision when the report is too long for a comment', async () => {
    const { publisher } = await publisherFor(
      3,
      (compact) => `## DECISION\n${compact ? 'short' : 'x'.repeat(70_000)}`,
    );
    await publisher.publish({ final: true });
    const body = github.comments(3)[0]?.body ?? '';
    expect(body).toContain(
      '## DECISION\n\nℹ️ Charts, phase history and how the gates judge are left out to fit a GitHub comment',
    );
    expect(body).toContain('\nshort');
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
  });

  it('falls back to the decision and a line per model if even the compact report is too long', async () => {
    const { publisher } = await publisherFor(4, () => `## DECISION\n${'y'.repeat(90_000)}`);
    await publisher.publish({ final: true });
    const body = github.comments(4)[0]?.body ?? '';
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    // Not the report cut at the limit (a table or a details block left open): a short one, whole.
    expect(body).not.toContain('yyy');
    expect(body).toMatch(/ -->\n## model-gate: .+\n\n- analysing: fraud-4 v2: deploying the candidate/);
    expect(body).toContain('left out to fit a GitHub comment: see the job summaries of the workflow run');
  });

  it('rewrites the comment on a state change, but not on every poll', async () => {
    let n = 0;
    const { publisher, ledger, clock } = await publisherFor(5, () => `poll ${n++}`);
    await publisher.publish();
    github.resetRequests();
    await publisher.publish(); // nothing changed, nothing due
    ledger.dirty.add(5); // saved again, same status and phase: a poll
    await publisher.publish();
    expect(github.writeCount()).toBe(0);
    clock.advance(61_000); // the refresh interval passed
    ledger.dirty.add(5);
    await publisher.publish();
    expect(github.writeCount()).toBe(1);
  });
});
