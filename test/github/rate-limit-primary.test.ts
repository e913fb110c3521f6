import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gitHubClient, retryDelayOf } from '../../src/github/client.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runStep } from '../support/actions-runner.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { FRAUD_ON_SANDBOX, fraudServing, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// GitHub's primary rate limit (the job token's 1,000 requests an hour per repository, reachable by a
// matrix and scheduled ticks) answers 403 with x-ratelimit-remaining: 0 until x-ratelimit-reset,
// up to an hour away. Waited out, the run stalled that long with the candidate keeping its traffic
// and no gate checked. A limit that resets within a few minutes is still waited out.

const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const STATUSES = '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses';
const COMMENT = '/repos/{owner}/{repo}/issues/comments/{comment_id}';
const seconds = () => Math.ceil(Date.now() / 1000);

/** GitHub's answer to a request past the primary limit, which resets in `inSeconds`. */
const primaryLimit = (inSeconds: number) => ({
  'x-ratelimit-limit': '1000',
  'x-ratelimit-remaining': '0',
  'x-ratelimit-used': '1000',
  'x-ratelimit-resource': 'core',
  'x-ratelimit-reset': String(seconds() + inSeconds),
});

/** The waits, in GitHub's seconds, the log says refused requests are given ("… in 300s"). */
const waitsLogged = (log: string) => [...log.matchAll(/ in (\d+)s\b/g)].map((m) => Number(m[1]));

/** A request error as Octokit gives it, refused with these headers. */
const refused = (headers: Record<string, string>, message = 'API rate limit exceeded') => ({
  status: 403,
  message,
  response: { headers },
});

describe('how long a rate limit is waited out', () => {
  it('a primary limit that resets within minutes: until it resets', () => {
    const wait = retryDelayOf(refused(primaryLimit(120)), 0, Date.now());
    expect(wait).toBeGreaterThanOrEqual(119_000);
    expect(wait).toBeLessThanOrEqual(122_000);
  });

  it('a primary limit that resets in 55 minutes: 5 minutes at most, once; then it is given up', () => {
    const error = refused(primaryLimit(3300));
    expect(retryDelayOf(error, 0, Date.now())).toBe(300_000);
    expect(retryDelayOf(error, 1, Date.now())).toBeUndefined();
  });

  it('a secondary limit asking for an hour (retry-after: 3600): 5 minutes at most, once', () => {
    const error = refused({ 'retry-after': '3600' }, 'secondary rate limit');
    expect(retryDelayOf(error, 0, Date.now())).toBe(300_000);
    expect(retryDelayOf(error, 1, Date.now())).toBeUndefined();
  });

  it('a limit asking for a date (retry-after: Wed, 21 Oct 2015 07:28:30 GMT): until that date', () => {
    const now = Date.parse('2015-10-21T07:28:00Z');
    const error = refused({ 'retry-after': 'Wed, 21 Oct 2015 07:28:30 GMT' }, 'secondary rate limit');
    expect(retryDelayOf(error, 0, now)).toBe(30_000);
    expect(retryDelayOf({ ...error, status: 429 }, 0, now)).toBe(30_000);
  });

  it('a limit asking for a date already past: no wait', () => {
    const error = refused({ 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' }, 'secondary rate limit');
    expect(retryDelayOf(error, 0, Date.parse('2015-10-21T07:29:00Z'))).toBe(0);
  });
});

describe('a request the client sends past the primary rate limit, which resets in 55 minutes', () => {
  let github: FakeGitHub;
  beforeAll(async () => {
    github = await startFakeGitHub(repo);
  });
  afterAll(async () => {
    expect(github.violations).toEqual([]);
    await github.close();
  });

  it('fails at once, naming the limit, when it resets and what to do', async () => {
    const warnings: string[] = [];
    const client = gitHubClient({ token: 'ghs_x', baseUrl: github.url, warn: (m) => warnings.push(m) });
    const { data } = await client.rest.repos.createDeployment({
      ...repo,
      ref: sha(2),
      environment: 'model-gate/fraud',
      auto_merge: false,
      required_contexts: [],
    });
    github.failNext('POST', STATUSES, 403, 1, primaryLimit(3300));
    github.resetRequests();
    const started = Date.now();
    const error = await client.rest.repos
      .createDeploymentStatus({ ...repo, deployment_id: (data as { id: number }).id, state: 'in_progress' })
      .catch((e: unknown) => e as Error);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(github.requestCount()).toBe(1);
    expect(error).toMatchObject({ status: 403 });
    const message = (error as Error).message;
    expect(message).toContain("GitHub's rate limit for this token (1000 requests an hour) is used up");
    expect(message).toMatch(/until \d\d:\d\d UTC \(in 55 min\)/);
    expect(message).toContain('a personal access token or a GitHub App token has a limit of its own');
    expect(warnings.join('\n')).not.toContain('retrying in');
  });
});

describe('a PR job GitHub refuses for 55 minutes (primary rate limit) once v2 has live traffic', () => {
  let world: { sandbox: Sandbox; github: FakeGitHub } | undefined;
  afterEach(async () => {
    expect(world?.github.violations).toEqual([]);
    await world?.sandbox.close();
    await world?.github.close();
  });

  it('waits 5 minutes at most, then fails naming the rate limit, when it resets and what to do', async () => {
    world = await startFraudWorld('v1');
    const { github, sandbox } = world;
    github.setFile(sha(1), 'models/fraud.yaml', 'version: v1\n');
    github.setFile(sha(2), 'models/fraud.yaml', 'version: v2\n');
    github.setPullRequest(7, {
      baseSha: sha(1),
      headSha: sha(2),
      files: [{ filename: 'models/fraud.yaml', status: 'modified' }],
    });
    const workspace = await mkdtemp(join(tmpdir(), 'model-gate-rate-limit-'));
    await mkdir(join(workspace, '.github'));
    await writeFile(join(workspace, '.github', 'model-gate.yml'), FRAUD_ON_SANDBOX);
    const step = () =>
      runStep('index.js', {
        workspace,
        eventName: 'pull_request',
        event: pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 }),
        inputs: { 'github-token': 'ghs_fake_token', ledger: 'github', mode: 'tick' },
        // GitHub's waits at a hundredth: the 55 minutes the old client waited are 33 s here.
        env: {
          SANDBOX_URL: sandbox.url,
          GITHUB_API_URL: github.url,
          MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.01',
        },
        fromSource: true,
      });

    // The job's comment, written once v2 has 10% of live traffic, comes past the limit: a routine
    // update is left for later, the last one waits 5 minutes once (3 s here), then gives up.
    github.failNext('PATCH', COMMENT, 403, 50, primaryLimit(3300));
    const main = await step();
    expect(main.code).toBe(1);
    expect(main.stdout).toMatch(
      /::error::model-gate stopped: GitHub answered 403 to PATCH \S+: API rate limit exceeded for installation ID 12345678\. GitHub's rate limit for this token \(1000 requests an hour\) is used up until \d\d:\d\d UTC \(in 55 min\)/,
    );
    // What was waited, from the log rather than the clock (a loaded runner slows the whole step):
    // 5 minutes, once; the old client's wait until the reset read "in 3301s".
    expect(waitsLogged(main.stdout)).toEqual([300]);
    expect(main.stdout).toContain('a personal access token or a GitHub App token has a limit of its own');
    // The tick's own end, as without the refusal: v2 at 10% for the next tick, its release recorded before it deployed.
    expect(await fraudServing(sandbox)).toMatchObject({ canary: { version: 'v2', weight: 10 } });
    await rm(workspace, { recursive: true, force: true });
  }, 60_000);
});
