import { describe, expect, it } from 'vitest';
import { CLEANUP_STATE } from '../../src/action/post.js';
import { readBody } from '../../src/github/sticky-comment.js';
import type { Release } from '../../src/release/types.js';
import { MODEL, READ_ONLY, useFraudChurnJobs } from '../support/fraud-churn-jobs.js';
import { fraudServing } from '../support/main-step.js';
import { sha } from '../support/model-config.js';

// What GitHub refuses the post step of a PR's job, beside the release it ends, is told in its log.
// A commit status refused (no `statuses: write`) was warned of by the main step only: the post
// step's own, the status of the release it withdrew, vanished silently. The hold on the canary
// slot it could not give back is told with when the PRs waiting for it start. Both steps run from
// src/ as their own processes, against the sandbox and the GitHub stand-in.
const jobs = useFraudChurnJobs('model-gate-post-refused-');

/** What a main step cancelled while v2 (over v1) had live traffic saved for its post step. */
const CANCELLED = { [CLEANUP_STATE]: JSON.stringify([{ model: MODEL, from: 'v1', to: 'v2' }]) };

const warnings = (log: string) => log.split('\n').filter((line) => line.startsWith('::warning'));

/** fraud-detector's release as the comment of PR `number` records it. */
const recorded = (number: number) => {
  const body = jobs.github
    .comments(number)
    .find((c) => c.body.startsWith('<!-- model-gate report -->'))?.body;
  return body ? (readBody(body).data as { releases: Record<string, Release> }).releases[MODEL] : undefined;
};

describe("the post step of a PR's job, GitHub refusing a write beside the release", () => {
  it('the commit status of the candidate it withdrew (no statuses: write): warned once naming the permission, v2 withdrawn all the same', async () => {
    const event = jobs.pullRequest(71, 9, 'v2');
    // The job deploys v2 at 10% and (as if watching) is cancelled: its post step cleans up.
    const job = await jobs.step('index.js', event, 7101);
    expect([job.code, job.outputs.decision]).toEqual([0, 'analysing']);
    expect(await fraudServing(jobs.sandbox)).toEqual({
      stable: { version: 'v1' },
      canary: { version: 'v2', weight: 10 },
    });

    // Every commit status of this head refused, as a token without statuses: write is.
    jobs.github.failNext('POST', new RegExp(`/statuses/${sha(9)}$`), 403, 1000, {}, READ_ONLY);
    const post = await jobs.step('post.js', event, 7101, CANCELLED);
    expect(post.code).toBe(0);
    expect(post.stdout).not.toMatch(/::error::/);
    expect(await fraudServing(jobs.sandbox)).toEqual({ stable: { version: 'v1' } });
    expect(recorded(71)).toMatchObject({ to: 'v2', status: 'aborted' });
    expect(recorded(71)?.withdrawPending).toBeUndefined();
    const said = warnings(post.stdout).filter((line) => line.includes('commit status'));
    expect(said).toEqual([
      expect.stringMatching(
        new RegExp(
          `^::warning::could not set the commit status of ${MODEL}: GitHub answered 403 to POST .*/statuses/${sha(9)}: Resource not accessible by integration \\(the token lacks statuses: write: add it to the workflow's permissions\\)`,
        ),
      ),
    ]);
  }, 60_000);

  it('the canary slot it could not give back: the PRs waiting for it start at the next schedule tick or freed slot', async () => {
    // PR #72's job claims fraud-detector's slot, then stops before anything deploys: GitHub fails
    // every try (four) of the comment's write.
    const event = jobs.pullRequest(72, 10, 'v2');
    jobs.github.failNext('POST', /\/issues\/72\/comments$/, 503, 4);
    const failed = await jobs.step('index.js', event, 7201);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/::error::model-gate stopped: .*503/);

    // Its post step finds nothing of it live, and ends the claim: GitHub refuses.
    jobs.github.failNext('POST', /\/deployments\/\d+\/statuses$/, 403, 1, {}, READ_ONLY);
    const post = await jobs.step('post.js', event, 7201, failed.state);
    expect(warnings(post.stdout)).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^::warning::${MODEL}: could not give back the canary slot this job held \\(.*Resource not accessible by integration.*\\): the PRs waiting for it start at the next schedule tick or freed slot, at least 30 minutes after it was taken$`,
        ),
      ),
    );
  }, 60_000);
});
