import { expect, it } from 'vitest';
import { CLEANUP_STATE } from '../../src/action/post.js';
import { environmentOf } from '../../src/github/deployments.js';
import { MODEL, useFraudChurnJobs } from '../support/fraud-churn-jobs.js';
import { fraudServing } from '../support/main-step.js';

// A PR's job claims fraud-detector's canary slot, and GitHub then fails every try (four) of the
// list of claims it reads right after, to see whether a rival claimed first: the job stops before
// it saves any candidate for its post step, or records the release on the PR comment. Nothing of
// it is live, but its claim stands, and the PRs waiting for the slot queue behind it. Its post
// step gives the claim back. Both steps run from src/ as their own processes, against the
// sandbox and the GitHub stand-in.
const jobs = useFraudChurnJobs('model-gate-post-unsaved-claim-');

/** fraud-detector's canary claims still in progress, by PR. */
const claimsHeld = () =>
  jobs.github
    .deployments(environmentOf(MODEL))
    .filter((d) => d.task === 'model-gate:canary' && d.statuses.at(-1)?.state === 'in_progress')
    .map((d) => (d.payload as { pr: number }).pr);

/** Matches the list of deployments once PR `pr` holds fraud-detector's slot: the read after the claim. */
class AfterClaimOf extends RegExp {
  constructor(private readonly pr: number) {
    super('/deployments$');
  }
  override test(path: string): boolean {
    return super.test(path) && claimsHeld().includes(this.pr);
  }
}

it('gives back a claim the job made before it saved any candidate: the slot is free, nothing deployed', async () => {
  const event = jobs.pullRequest(81, 11, 'v2');
  jobs.github.failNext('GET', new AfterClaimOf(81), 503, 4);
  const job = await jobs.step('index.js', event, 8101);
  expect(job.code).toBe(1);
  expect(job.stdout).toMatch(/::error::model-gate stopped: .*503/);
  expect(claimsHeld()).toEqual([81]);
  // No candidate saved: the job stopped before its first report.
  expect(JSON.parse(job.state[CLEANUP_STATE] ?? 'null')).toEqual([]);

  const post = await jobs.step('post.js', event, 8101, job.state);
  expect(post.code).toBe(0);
  expect(post.stdout).not.toMatch(/::error::/);
  expect(claimsHeld()).toEqual([]);
  expect(post.stdout).toContain(
    `${MODEL}: gave back the canary slot (the claim of v2): the job stopped, nothing of it live`,
  );
  expect(await fraudServing(jobs.sandbox)).toEqual({ stable: { version: 'v1' } });
}, 60_000);
