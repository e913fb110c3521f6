// The fake through the client the action uses: @actions/github's getOctokit (Octokit core with the
// paginate and rest endpoint method plugins), plus @octokit/plugin-retry and plugin-throttling.
import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';

const BASE = 'a'.repeat(40);
const HEAD = 'b'.repeat(40);
const repo = { owner: 'acme', repo: 'models' };
let fake: FakeGitHub;

beforeEach(async () => {
  fake = await startFakeGitHub(repo);
  fake.setPullRequest(7, {
    baseSha: BASE,
    headSha: HEAD,
    files: Array.from({ length: 250 }, (_, i) => ({
      filename: `models/m${i}/model.yaml`,
      status: 'modified' as const,
    })),
  });
  fake.setFile(HEAD, '.github/model-gate.yml', 'version: 1\n');
});
afterEach(async () => {
  await fake.close();
  expect(fake.violations.filter((v) => v.includes("the fake's"))).toEqual([]);
});

describe('with getOctokit', () => {
  test('every operation model-gate uses, with no violation', async () => {
    const octokit = getOctokit('ghs_token', { baseUrl: fake.url });
    const pr = await octokit.rest.pulls.get({ ...repo, pull_number: 7 });
    expect(pr.data.base.sha).toBe(BASE);
    const content = await octokit.rest.repos.getContent({
      ...repo,
      path: '.github/model-gate.yml',
      ref: HEAD,
    });
    expect(Array.isArray(content.data) ? undefined : content.data.type).toBe('file');
    const raw = await octokit.rest.repos.getContent({
      ...repo,
      path: '.github/model-gate.yml',
      ref: HEAD,
      mediaType: { format: 'raw' },
    });
    expect(raw.data).toBe('version: 1\n');
    const comment = await octokit.rest.issues.createComment({ ...repo, issue_number: 7, body: 'report' });
    expect(comment.data.user?.type).toBe('Bot');
    await octokit.rest.issues.updateComment({ ...repo, comment_id: comment.data.id, body: 'report 2' });
    const comments = await octokit.rest.issues.listComments({ ...repo, issue_number: 7, per_page: 100 });
    expect(comments.data.map((c) => c.body)).toEqual(['report 2']);
    const one = await octokit.rest.issues.getComment({ ...repo, comment_id: comment.data.id });
    expect(one.data.body).toBe('report 2');
    const extra = await octokit.rest.issues.createComment({ ...repo, issue_number: 7, body: 'again' });
    expect((await octokit.rest.issues.deleteComment({ ...repo, comment_id: extra.data.id })).status).toBe(
      204,
    );
    await octokit.rest.repos.createCommitStatus({
      ...repo,
      sha: HEAD,
      state: 'pending',
      context: 'model-gate',
    });
    const statuses = await octokit.rest.repos.listCommitStatusesForRef({ ...repo, ref: HEAD });
    expect(statuses.data[0]?.context).toBe('model-gate');
    const deployment = await octokit.rest.repos.createDeployment({
      ...repo,
      ref: HEAD,
      environment: 'model-gate/fraud',
      auto_merge: false,
      required_contexts: [],
      transient_environment: false,
      production_environment: false,
      payload: { version: 'v2' },
    });
    expect(deployment.status).toBe(201);
    const id = (deployment.data as { id: number }).id;
    await octokit.rest.repos.createDeploymentStatus({
      ...repo,
      deployment_id: id,
      state: 'success',
      auto_inactive: true,
    });
    const deployments = await octokit.rest.repos.listDeployments({
      ...repo,
      environment: 'model-gate/fraud',
    });
    expect(deployments.data.map((d) => d.id)).toEqual([id]);
    const deploymentStatuses = await octokit.rest.repos.listDeploymentStatuses({
      ...repo,
      deployment_id: id,
    });
    expect(deploymentStatuses.data.map((s) => s.state)).toEqual(['success']);
    await expect(octokit.rest.users.getAuthenticated()).rejects.toMatchObject({
      status: 403,
      message: expect.stringContaining('Resource not accessible by integration'),
    });
    expect(fake.violations).toEqual([]);
    expect(fake.requestCount()).toBe(16);
    expect(fake.writeCount()).toBe(7);
  });

  test('paginate follows Link across 3 pages', async () => {
    const octokit = getOctokit('ghs_token', { baseUrl: fake.url });
    const files = await octokit.paginate(octokit.rest.pulls.listFiles, {
      ...repo,
      pull_number: 7,
      per_page: 100,
    });
    expect(files).toHaveLength(250);
    expect(files.at(-1)?.filename).toBe('models/m249/model.yaml');
    expect(fake.requests.map((r) => r.query.page ?? '1')).toEqual(['1', '2', '3']);
    expect(fake.violations).toEqual([]);
  });

  test('an invalid request is a RequestError 422 and a violation', async () => {
    const octokit = getOctokit('ghs_token', { baseUrl: fake.url });
    const d = await octokit.rest.repos.createDeployment({ ...repo, ref: HEAD, required_contexts: [] });
    const id = (d.data as { id: number }).id;
    const error = await octokit.rest.repos
      .createDeploymentStatus({ ...repo, deployment_id: id, state: 'bogus' as 'success' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 422, response: { data: { message: 'Validation Failed' } } });
    expect(fake.violations).toEqual([
      expect.stringContaining('request does not match repos/create-deployment-status'),
    ]);
  });

  test('an endpoint outside the contract is a 404 and a violation', async () => {
    const octokit = getOctokit('ghs_token', { baseUrl: fake.url });
    const error = await octokit.rest.issues.get({ ...repo, issue_number: 7 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 404 });
    expect(fake.violations).toEqual([
      expect.stringContaining('GET /repos/acme/models/issues/7: no such endpoint'),
    ]);
  });
});

describe('with the retry and throttling plugins', () => {
  test('502 twice is retried by plugin-retry', async () => {
    const octokit = getOctokit('ghs_token', { baseUrl: fake.url, retry: { retryAfterBaseValue: 1 } }, retry);
    fake.failNext('GET', '/repos/{owner}/{repo}/pulls/{pull_number}', 502, 2);
    const pr = await octokit.rest.pulls.get({ ...repo, pull_number: 7 });
    expect(pr.status).toBe(200);
    expect(fake.requests.map((r) => r.status)).toEqual([502, 502, 200]);
  });

  test('the secondary and primary rate limits are recognised by plugin-throttling', async () => {
    const seen: string[] = [];
    const octokit = getOctokit(
      'ghs_token',
      {
        baseUrl: fake.url,
        throttle: {
          retryAfterBaseValue: 1,
          onSecondaryRateLimit: (after: number) => {
            seen.push(`secondary ${after}`);
            return true;
          },
          onRateLimit: (after: number) => {
            seen.push(`primary ${after <= 3 ? 'soon' : after}`); // reset in 1 s, +1 s by the plugin, rounding
            return true;
          },
        },
      },
      throttling,
    );
    fake.rateLimitNext('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 'secondary');
    await octokit.rest.issues.createComment({ ...repo, issue_number: 7, body: 'x' });
    fake.rateLimitNext('GET', '/repos/{owner}/{repo}/pulls/{pull_number}', 'primary');
    await octokit.rest.pulls.get({ ...repo, pull_number: 7 });
    expect(seen).toEqual(['secondary 1', 'primary soon']);
    expect(fake.requests.map((r) => r.status)).toEqual([403, 201, 403, 200]);
    expect(fake.comments(7)).toHaveLength(1);
    expect(fake.violations).toEqual([]);
  });
});
