import { beforeEach, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { environmentOf } from '../../src/github/deployments.js';
import { BASE, MODEL, READ_ONLY, useFraudChurnJobs } from '../support/fraud-churn-jobs.js';
import { fraudServing } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';
import { completedRun, jobLedger } from '../support/slot-queue-jobs.js';

// A PR's job that claims fraud-detector's canary slot and then stops before its PR comment records
// the release (GitHub fails the comment's write, or refuses it for want of pull-requests: write)
// used to leave its claim standing for 30 minutes: another PR's job queued
// behind it, told it would be re-run once that release ended, which never began, so nothing re-ran
// it. A job re-run from the queue that stopped before claiming held the slot's reservation as long.
// The job's post step now gives back what it held (nothing of it is live) and re-runs the next PR
// waiting, as a release's end does. Both steps run from src/ as their own processes, against the
// GitHub stand-in and the sandbox.
const jobs = useFraudChurnJobs('model-gate-slot-given-back-');

/** fraud-detector's canary claims still in progress, by PR. */
const claimsHeld = () =>
  jobs.github
    .deployments(environmentOf(MODEL))
    .filter((d) => d.task === 'model-gate:canary' && d.statuses.at(-1)?.state === 'in_progress')
    .map((d) => (d.payload as { pr: number }).pr);

const comment = (pr: number) =>
  jobs.github.comments(pr).find((c) => c.body.startsWith('<!-- model-gate report -->'))?.body ?? '';

/** Close PR `number` (at head sha(`head`)) unmerged: its job withdraws its candidate and frees the slot. */
async function close(number: number, head: number, runId: number) {
  const closed = await jobs.step(
    'index.js',
    pullRequestEvent('closed', { base: BASE, head: sha(head) }, { number }),
    runId,
  );
  expect(closed.code).toBe(0);
}

/** PR `number`'s job (run `runId`) queued behind the slot's holder, its run completed. */
async function queuedBehind(holder: number, event: unknown, number: number, runId: number) {
  jobs.github.startRun(runId);
  await jobs.step('index.js', event, runId);
  jobs.github.endRun(runId);
  expect(comment(number)).toContain(`Queued behind PR #${holder}`);
}

/** A ledger on the stand-in, as a job of run `runId` has it. */
const ledgerOf = (runId?: number) =>
  jobLedger(jobs.github, { sha: BASE, ...(runId === undefined ? {} : { runId }) });

/** PR `number` at head sha(`head`) waits for fraud-detector's slot, as its job in run `runId` (completed) queued it. */
async function waits(number: number, head: number, to: string, runId: number) {
  completedRun(jobs.github, runId);
  await ledgerOf(runId).wait(MODEL, { pr: number, headSha: sha(head), to });
}

/**
 * PR `number`'s run `runId`, re-run from the queue, takes the slot and deploys v3; then the PR is
 * closed (at head sha(`head`)), freeing the slot for the next test.
 */
async function takesSlot(number: number, head: number, event: unknown, runId: number) {
  const rerun = await jobs.step('index.js', event, runId);
  jobs.github.endRun(runId);
  expect(rerun.outputs.decision).toBe('analysing');
  expect(claimsHeld()).toEqual([number]);
  expect(await fraudServing(jobs.sandbox)).toMatchObject({ canary: { version: 'v3' } });
  await close(number, head, runId + 1);
}

beforeEach(async () => {
  await requestJson('PUT', `${jobs.sandbox.url}/admin/models/${MODEL}/traffic`, {
    stable: { version: 'v1' },
  });
});

describe('a PR job that stops after claiming the canary slot, before its comment records the release', () => {
  it('gives the slot back in its post step, and the PR waiting for it is re-run and takes it', async () => {
    // PR #41's job claims fraud-detector's slot, then stops: GitHub fails every try (four) of the
    // comment's write, made before anything deploys.
    const first = jobs.pullRequest(41, 2, 'v2');
    jobs.github.failNext('POST', /\/issues\/41\/comments$/, 503, 4);
    const failed = await jobs.step('index.js', first, 4101);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/::error::model-gate stopped: .*503/);
    expect(claimsHeld()).toEqual([41]);
    expect(comment(41)).toBe('');

    // PR #42's job, meanwhile, queues behind the dead job's claim.
    const second = jobs.pullRequest(42, 3, 'v3');
    await queuedBehind(41, second, 42, 4201);
    expect(comment(42)).toContain('this job is re-run once its release ends');

    // PR #41's post step: v2 never went live, so the slot is given back and PR #42 re-run.
    const post = await jobs.step('post.js', first, 4101, failed.state);
    expect(claimsHeld()).toEqual([]);
    expect(jobs.github.reruns.at(-1)).toBe(4201);
    expect(post.stdout).not.toMatch(/::error::/);
    expect(post.stdout).toContain(`::warning::${MODEL}: v2 has no live traffic`);
    expect(post.stdout).toContain(`${MODEL}: gave back the canary slot (the claim of v2)`);

    await takesSlot(42, 3, second, 4201);
  }, 60_000);

  it('refused its comment (no pull-requests: write): the post step gives the slot back all the same', async () => {
    const first = jobs.pullRequest(51, 4, 'v2');
    jobs.github.failNext('POST', /\/issues\/51\/comments$/, 403, 10, {}, READ_ONLY);
    const failed = await jobs.step('index.js', first, 5101);
    expect(failed.stdout).toMatch(/::error::.*Resource not accessible by integration/);
    expect(claimsHeld()).toEqual([51]);

    const second = jobs.pullRequest(52, 5, 'v3');
    await waits(52, 5, 'v3', 5201);

    // The post step finds v2 with no live traffic: the slot is given back.
    const post = await jobs.step('post.js', first, 5101, failed.state);
    expect(claimsHeld()).toEqual([]);
    expect(jobs.github.reruns.at(-1)).toBe(5201);
    expect(post.stdout).toContain(`::warning::${MODEL}: v2 has no live traffic`);
    expect(post.stdout).toContain(`${MODEL}: gave back the canary slot (the claim of v2)`);
    await takesSlot(52, 5, second, 5201);
  }, 60_000);
});

describe('a PR job re-run from the queue that stops before it claims the slot', () => {
  it('gives up the slot reserved for it in its post step: the next PR waiting is re-run', async () => {
    const next = jobs.pullRequest(62, 7, 'v3');
    await waits(62, 7, 'v3', 6201);
    jobs.pullRequest(63, 8, 'v4');
    await waits(63, 8, 'v4', 6301);
    // The slot is free: PR #62's run is re-run (as a schedule tick does), and the slot held for its job.
    await ledgerOf().startWaiting([MODEL]);
    expect(jobs.github.reruns.at(-1)).toBe(6201);
    // Its job fails before it claims the slot: GitHub refuses the list of the PR's files.
    jobs.github.failNext('GET', /\/pulls\/62\/files$/, 403, 1, {}, READ_ONLY);
    const failed = await jobs.step('index.js', next, 6201);
    jobs.github.endRun(6201);
    expect(failed.code).toBe(1);

    const post = await jobs.step('post.js', next, 6201, failed.state);
    expect(jobs.github.reruns.at(-1)).toBe(6301);
    expect(post.stdout).toContain(`${MODEL}: gave back the canary slot (the reservation of run 6201)`);
  }, 60_000);
});
