import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { gitHubClient, sendingOnce } from '../../src/github/client.js';
import { readBody } from '../../src/github/sticky-comment.js';
import type { PullRequestEvent } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import { runDecision } from '../../src/report/decision.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { useFakeGitHub } from '../support/fake-github-per-suite.js';
import { gitHubPrJob } from '../support/github-pr-job.js';
import { FRAUD_ON_SANDBOX, runMainStep, startFraudWorld } from '../support/main-step.js';
import { MemoryTarget } from '../support/memory-target.js';
import { FRAUD_CANARY_YAML, sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// GitHub answers a burst of comment writes with a 403 "secondary rate limit", sometimes without
// retry-after; its docs say to wait at least a minute then. Not a refusal for good, and not a
// fork's read-only token: the comment is written after the wait.

const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const COMMENTS = '/repos/{owner}/{repo}/issues/{issue_number}/comments';
const SECONDARY_LIMIT = {
  message:
    'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 9C3A:1F2B:4D5E6F:7A8B9C:66D0E1F2.',
  documentation_url:
    'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
};

describe('a comment write refused by a secondary rate limit without retry-after', () => {
  const world = useFakeGitHub(repo);

  it('is written again after the wait: the PR job ends ready, with its comment', async () => {
    const { config } = parseConfig(FRAUD_CANARY_YAML, {});
    const files = {
      [sha(2)]: { 'fraud.yaml': 'version: v1\n' },
      [sha(3)]: { 'fraud.yaml': 'version: v2\n' },
    };
    world.github.setPullRequest(1, { baseSha: sha(2), headSha: sha(3), files: [] });
    const event: PullRequestEvent = {
      action: 'opened',
      number: 1,
      baseSha: sha(2),
      headSha: sha(3),
      merged: false,
    };
    const warnings: string[] = [];
    const job = gitHubPrJob({
      githubUrl: world.github.url,
      repo,
      config,
      event,
      target: new MemoryTarget({ stable: { version: 'v1' } }),
      files,
      clock: new FakeClock(Date.now()),
      runId: 1,
      warn: (m) => warnings.push(m),
    });

    world.github.failNext('POST', COMMENTS, 403, 1, {}, SECONDARY_LIMIT);
    world.github.resetRequests();
    const result = await job.run();

    expect(runDecision(result)).toBe('ready');
    const comments = world.github.comments(1);
    expect(comments).toHaveLength(1);
    const state = readBody(comments[0]?.body ?? '').data as { releases: Record<string, Partial<Release>> };
    expect(state.releases.fraud).toMatchObject({ to: 'v2', status: 'ready' });
    // Refused once, then sent once more.
    expect(world.github.requestCount('POST', COMMENTS)).toBe(2);
    expect(warnings).toEqual([
      expect.stringContaining('GitHub refused to write the comment of PR #1 for now (HTTP 403)'),
    ]);
  });
});

describe("a fork PR's comment refused by a secondary rate limit without retry-after", () => {
  let sandbox: Sandbox;
  let github: FakeGitHub;
  beforeAll(async () => {
    ({ sandbox, github } = await startFraudWorld('v1'));
  });
  afterAll(async () => {
    expect(github.violations).toEqual([]);
    await sandbox?.close();
    await github?.close();
  });

  it('is not taken for a read-only token: the comment saying why the PR is not deployed is written', async () => {
    const shas = { base: sha(70), head: sha(71) };
    github.setFile(shas.base, 'models/fraud.yaml', 'version: v1\n');
    github.setFile(shas.head, 'models/fraud.yaml', 'version: v2\n');
    github.setPullRequest(7, {
      baseSha: shas.base,
      headSha: shas.head,
      files: [{ filename: 'models/fraud.yaml', status: 'modified' }],
      headRepoFullName: 'a-stranger/Hello-World',
    });
    github.failNext('POST', COMMENTS, 403, 1, {}, SECONDARY_LIMIT);
    const run = await runMainStep({
      eventName: 'pull_request',
      event: pullRequestEvent('opened', shas, { number: 7, fork: true }),
      inputs: { ledger: 'github' },
      config: FRAUD_ON_SANDBOX,
      githubUrl: github.url,
      // GitHub's minute at a hundredth.
      env: { SANDBOX_URL: sandbox.url, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.01' },
    });
    expect(run.exitCode).toBeUndefined();
    expect(run.outputs).toMatchObject({ decision: 'skipped' });
    expect(run.log).not.toContain('read-only token');
    const comments = github.comments(7);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('comes from a fork');
    expect(run.outputs['comment-url']).toBe(comments[0]?.htmlUrl);
  });
});

describe('a read refused by a lasting secondary rate limit answered 429 without retry-after', () => {
  const world = useFakeGitHub(repo);

  it('is sent again only after each wait GitHub asks for: four requests in all, not sixteen', async () => {
    world.github.setPullRequest(1, { baseSha: sha(2), headSha: sha(3), files: [] });
    world.github.failNext('GET', COMMENTS, 429, 20, {}, SECONDARY_LIMIT);
    // GitHub's minute at a hundredth.
    const warnings: string[] = [];
    const warn = (line: string) => warnings.push(line);
    const client = gitHubClient({ token: 'ghs_x', baseUrl: world.github.url, warn, waitScale: 0.01 });

    await expect(client.rest.issues.listComments({ ...repo, issue_number: 1 })).rejects.toMatchObject({
      status: 429,
    });
    // Once, then once after each of three waits. The old code sent each of those four three times
    // more, 1, 4 and 9 s later whatever GitHub asked: requests GitHub counts against a token already
    // limited, and may ban an integration for.
    expect(world.github.requestCount('GET', COMMENTS)).toBe(4);
    // One "retrying" per wait: the last refusal, given up on, does not say it retries.
    expect(warnings.filter((w) => w.includes('retrying in'))).toHaveLength(3);
  });
});

// Not every 429 is GitHub's own rate limit (a "secondary rate limit" message, or
// x-ratelimit-remaining: 0), which the throttling plugin waits out: a GitHub Enterprise Server or a
// proxy or gateway before the API answers a plain "Too Many Requests". That one is sent again too.
describe('a request refused 429 "Too Many Requests" by something other than GitHub\'s own rate limits', () => {
  const world = useFakeGitHub(repo);
  const TOO_MANY = { message: 'Too Many Requests' };
  const retrying = (warnings: string[]) => warnings.filter((w) => w.includes('retrying in'));
  const client = (warnings: string[]) =>
    // Seconds at a hundredth.
    gitHubClient({
      token: 'ghs_x',
      baseUrl: world.github.url,
      warn: (w) => warnings.push(w),
      waitScale: 0.01,
    });
  const listComments = (gh: ReturnType<typeof client>) =>
    gh.rest.issues.listComments({ ...repo, issue_number: 1 });

  beforeAll(() => world.github.setPullRequest(1, { baseSha: sha(2), headSha: sha(3), files: [] }));
  afterEach(() => {
    world.github.clearFaults();
    world.github.resetRequests();
  });

  it('is sent again after the retry-after it gives, and answered', async () => {
    world.github.failNext('GET', COMMENTS, 429, 1, { 'retry-after': '1' }, TOO_MANY);
    const warnings: string[] = [];

    const { status } = await listComments(client(warnings));

    expect(status).toBe(200);
    expect(world.github.requestCount('GET', COMMENTS)).toBe(2);
    expect(retrying(warnings)).toEqual([
      'Too many requests (HTTP 429) on GET /repos/{owner}/{repo}/issues/{issue_number}/comments: retrying in 1s',
    ]);
  });

  it('with a retry-after that is a date (RFC 9110), is sent again once it has passed', async () => {
    const inASecond = new Date(Date.now() + 1_000).toUTCString();
    world.github.failNext('GET', COMMENTS, 429, 1, { 'retry-after': inASecond }, TOO_MANY);
    const warnings: string[] = [];

    const { status } = await listComments(client(warnings));

    expect(status).toBe(200);
    expect(world.github.requestCount('GET', COMMENTS)).toBe(2);
    expect(retrying(warnings)).toHaveLength(1);
  });

  it('without retry-after, is sent again after 1, 4 and 9 s, then fails: four requests in all', async () => {
    world.github.failNext('GET', COMMENTS, 429, 20, {}, TOO_MANY);
    const warnings: string[] = [];

    await expect(listComments(client(warnings))).rejects.toMatchObject({ status: 429 });

    expect(world.github.requestCount('GET', COMMENTS)).toBe(4);
    expect(retrying(warnings).map((w) => w.replace(/.*retrying in /, ''))).toEqual(['1s', '4s', '9s']);
  });

  it('is not sent again when its caller sends it once, nor when it asks to wait longer than model-gate waits', async () => {
    world.github.failNext('GET', COMMENTS, 429, 1, { 'retry-after': '1' }, TOO_MANY);
    const warnings: string[] = [];
    await expect(sendingOnce(() => listComments(client(warnings)))).rejects.toMatchObject({ status: 429 });
    expect(world.github.requestCount('GET', COMMENTS)).toBe(1);

    world.github.failNext('GET', COMMENTS, 429, 1, { 'retry-after': '3600' }, TOO_MANY);
    await expect(listComments(client(warnings))).rejects.toMatchObject({ status: 429 });
    expect(world.github.requestCount('GET', COMMENTS)).toBe(2);
    expect(retrying(warnings)).toEqual([]);
  });
});
