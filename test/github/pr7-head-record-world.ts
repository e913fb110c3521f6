import { afterEach, beforeEach, expect } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { gitHubClient } from '../../src/github/client.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { newRelease } from '../../src/release/new-release.js';
import type { Release } from '../../src/release/types.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { canaryModel } from '../support/model-config.js';

export const repo = { owner: 'Codertocat', repo: 'Hello-World' };
/** PR #7's head commit. */
export const head = 'd'.repeat(40);

/**
 * A test file's world, fresh for each test: a fake clock, the GitHub stand-in with PR #7 open at `head`; `client()`
 * a new client of the action's (its waits cut short); `record(writer, changes)` saves fraud's v1 -> v2
 * release with `changes` on a ledger of PR #7's head and publishes it as the job's final PR comment;
 * `ledger(client)` another job's ledger of that head. After each test, GitHub must have refused none
 * of the requests made.
 */
export function usePr7HeadRecord() {
  const world = {
    // Set by beforeEach.
    github: undefined as unknown as FakeGitHub,
    clock: new FakeClock(),
    client: () =>
      gitHubClient({ token: 'ghs_x', baseUrl: world.github.url, warn: () => {}, waitScale: 0.001 }),
    ledger: (client: ReturnType<typeof gitHubClient>) =>
      new GitHubLedger({ client, repo, sha: head, pr: 7, clock: world.clock }),
    async record(writer: ReturnType<typeof gitHubClient>, changes: Partial<Release>) {
      const ledger = world.ledger(writer);
      const release = newRelease(canaryModel({ name: 'fraud' }), {
        from: 'v1',
        to: 'v2',
        pr: 7,
        headSha: head,
        now: world.clock.now(),
      });
      await ledger.saveRelease({ ...release, ...changes });
      await new CommentPublisher(ledger, () => '## model-gate', { runId: 1, attempt: 1 }, world.clock, {
        settleMs: 0,
      }).publish({ final: true });
    },
  };
  beforeEach(async () => {
    world.clock = new FakeClock();
    world.github = await startFakeGitHub(repo);
    world.github.setPullRequest(7, { baseSha: 'a'.repeat(40), headSha: head, files: [] });
  });
  afterEach(async () => {
    expect(world.github.violations).toEqual([]);
    await world.github.close();
  });
  return world;
}
