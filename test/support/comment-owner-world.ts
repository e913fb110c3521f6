import { afterEach, beforeEach, expect } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { type Clock, FakeClock } from '../../src/core/clock.js';
import { composeBody } from '../../src/github/sticky-comment.js';
import { newRelease } from '../../src/release/new-release.js';
import type { PullRequestEvent } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import { type FakeGitHub, startFakeGitHub } from './fake-github/server.js';
import { gitHubPrJob } from './github-pr-job.js';
import { MemoryTarget } from './memory-target.js';
import { sha } from './model-config.js';

// PR #1 of fraud v1 → v2 on the GitHub stand-in, for the tests of whose PR comment model-gate
// reads: the config, the version files, its events, and a look-alike comment another account posts.

export const REPO = { owner: 'Codertocat', repo: 'Hello-World' };

/** fraud's two-step canary, its errors gate at `max` (the candidate's error rate is 0.005: engine-ports.ts). */
export const fraudConfig = (max = 0.02): Config =>
  parseConfig(
    `version: 1
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: ${max} }
`,
    {},
  ).config;

const FILES: Record<string, Record<string, string>> = {
  [sha(2)]: { 'fraud.yaml': 'version: v1\n' },
  [sha(3)]: { 'fraud.yaml': 'version: v2\n' },
};

export const OPENED: PullRequestEvent = {
  action: 'opened',
  number: 1,
  baseSha: sha(2),
  headSha: sha(3),
  merged: false,
};
export const MERGED: PullRequestEvent = { ...OPENED, action: 'closed', merged: true };

/** The PR as GitHub lists it before any job runs. */
const openPullRequest = (github: FakeGitHub) =>
  github.setPullRequest(1, { baseSha: sha(2), headSha: sha(3), files: [] });

/** A model-gate comment as `login` posts it: the marker and a state block saying v2 is `status`. */
function lookAlikeComment(
  github: FakeGitHub,
  clock: Clock,
  login: string,
  status: Release['status'],
  reason: string,
) {
  const base = newRelease(fraudConfig().models.fraud as Config['models'][string], {
    from: 'v1',
    to: 'v2',
    pr: 1,
    headSha: sha(3),
    now: clock.now(),
  });
  const state = { releases: { fraud: { ...base, status, phase: 1, reason } } };
  return github.addComment(1, composeBody('## model-gate', { runId: 1, attempt: 1 }, state), login);
}

/**
 * A test file's world, fresh for each test: the GitHub stand-in with PR #1 open, v1 on an
 * in-memory platform, a fake clock; `job` runs one job of the action on an event (a new run id
 * each, `runId` the last), `lookAlike` posts a look-alike comment as another account. After each
 * test, GitHub must have refused none of the requests made.
 */
export function useCommentOwnerWorld() {
  const world = {
    // Set by beforeEach.
    github: undefined as unknown as FakeGitHub,
    target: undefined as unknown as MemoryTarget,
    clock: new FakeClock(Date.now()),
    runId: 100,
    job: (event: PullRequestEvent, config: Config = fraudConfig()) =>
      gitHubPrJob({
        githubUrl: world.github.url,
        repo: REPO,
        config,
        event,
        target: world.target,
        files: FILES,
        clock: world.clock,
        runId: ++world.runId,
      }),
    lookAlike: (login: string, status: Release['status'], reason: string) =>
      lookAlikeComment(world.github, world.clock, login, status, reason),
  };
  beforeEach(async () => {
    world.github = await startFakeGitHub(REPO);
    openPullRequest(world.github);
    world.target = new MemoryTarget({ stable: { version: 'v1' } });
  });
  afterEach(async () => {
    expect(world.github.violations).toEqual([]);
    await world.github.close();
  });
  return world;
}
