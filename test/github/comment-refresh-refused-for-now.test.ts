import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { gitHubClient } from '../../src/github/client.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { newRelease } from '../../src/release/new-release.js';
import type { Release } from '../../src/release/types.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { canaryModel } from '../support/model-config.js';

// A run's routine update of its PR comment (a new phase: not a decision other runs must read, not
// the run's last word) that GitHub refuses for now is left for the next update, said in one line:
// waiting for it would hold the watch loop's looks (an hour, for the primary rate limit), and
// failing on it would fail a run whose release is fine. A forced write still waits and writes.
let github: FakeGitHub;
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const head = 'e'.repeat(40);
const COMMENT = '/repos/{owner}/{repo}/issues/comments/{comment_id}';

beforeAll(async () => {
  github = await startFakeGitHub(repo);
});
afterAll(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

/** PR `pr`'s release of its own model, saved, and a publisher whose report names its phase. */
async function world(pr: number) {
  github.setPullRequest(pr, { baseSha: 'a'.repeat(40), headSha: head, files: [] });
  // Writes a twentieth of GitHub's second apart: the spacing is not under test here.
  const client = gitHubClient({ token: 'ghs_x', baseUrl: github.url, warn: () => {}, waitScale: 0.05 });
  const ledger = new GitHubLedger({ client, repo, sha: head, pr });
  const clock = new FakeClock();
  const warnings: string[] = [];
  let release: Release = newRelease(canaryModel({ name: `fraud-${pr}` }), {
    from: 'v1',
    to: 'v2',
    pr,
    headSha: head,
    now: clock.now(),
  });
  await ledger.saveRelease(release);
  const render = (r: { releases: Release[] }) => `## model-gate\nphase ${r.releases[0]?.phase}`;
  const publisher = new CommentPublisher(ledger, render, { runId: 1, attempt: 1 }, clock, {
    warn: (m) => warnings.push(m),
  });
  const nextPhase = async () => {
    release = { ...release, phase: release.phase + 1, updatedAt: release.updatedAt + 1 };
    await ledger.saveRelease(release);
  };
  const shown = () => github.comments(pr)[0]?.body.split('\n').at(-1);
  return { publisher, clock, warnings, nextPhase, shown };
}

describe('a routine comment update GitHub refuses for now', () => {
  it.each(['secondary', 'primary'] as const)(
    'is left for the next update, said once, without a wait (%s rate limit)',
    async (limit) => {
      const pr = limit === 'secondary' ? 21 : 22;
      const { publisher, clock, warnings, nextPhase, shown } = await world(pr);
      await publisher.publish();
      expect(shown()).toBe('phase -1');
      const before = clock.now();

      await nextPhase();
      github.rateLimitNext('PATCH', COMMENT, limit, 2);
      await publisher.publish();
      await publisher.publish();
      expect(shown()).toBe('phase -1');
      expect(warnings).toEqual([
        `GitHub refused to update the comment of PR #${pr} for now (HTTP 403): it is written at its next update, the run goes on`,
      ]);
      // The next update (the loop's next pass) writes it: nothing else changed meanwhile.
      await publisher.publish();
      expect(shown()).toBe('phase 0');
      expect(clock.now()).toBe(before);
    },
  );

  it('a forced write (a decision other runs must read) still waits as GitHub asks, and writes', async () => {
    const { publisher, clock, warnings, nextPhase, shown } = await world(23);
    await publisher.publish();
    await nextPhase();
    github.rateLimitNext('PATCH', COMMENT, 'secondary', 2);
    const before = clock.now();
    await publisher.publish({ force: true });
    expect(shown()).toBe('phase 0');
    expect(clock.now()).toBeGreaterThan(before);
    expect(warnings).toEqual([
      'GitHub refused to write the comment of PR #23 for now (HTTP 403): writing it again in 1s',
      'GitHub refused to write the comment of PR #23 for now (HTTP 403): writing it again in 1s',
    ]);
  });
});
