import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeGitHubError, type GitHubClient, gitHubClient } from '../../src/github/client.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { sha } from '../support/model-config.js';

// Each request model-gate makes, refused by GitHub's stand-in as a job token without the
// permission is ("Resource not accessible by integration"): the message names the permission, a
// deployment's status under deployments (not statuses).

const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const REFUSED = { message: 'Resource not accessible by integration', status: '403' };
let github: FakeGitHub;
let client: GitHubClient;

beforeAll(async () => {
  github = await startFakeGitHub(repo);
  github.setRef('main', sha(1));
  client = gitHubClient({
    token: 'ghs_x',
    baseUrl: github.url,
    warn: () => {},
    retries: 0,
    waitScale: 0.001,
  });
});

afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await github?.close();
});

/** What model-gate says of `request` refused. */
async function refused(method: string, path: string, request: () => Promise<unknown>) {
  github.failNext(method, path, 403, 1, {}, REFUSED);
  return describeGitHubError(
    await request().then(
      () => undefined,
      (error: unknown) => error,
    ),
  );
}

describe('a request the token has no permission for', () => {
  it.each([
    {
      what: 'updating the PR comment',
      permission: 'pull-requests: write',
      method: 'PATCH',
      path: '/repos/{owner}/{repo}/issues/comments/{comment_id}',
      request: () => client.rest.issues.updateComment({ ...repo, comment_id: 5, body: 'x' }),
    },
    {
      what: "a deployment's status",
      permission: 'deployments: write',
      method: 'POST',
      path: '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
      request: () =>
        client.rest.repos.createDeploymentStatus({ ...repo, deployment_id: 5, state: 'success' }),
    },
    {
      what: 'a commit status',
      permission: 'statuses: write',
      method: 'POST',
      path: '/repos/{owner}/{repo}/statuses/{sha}',
      request: () => client.rest.repos.createCommitStatus({ ...repo, sha: sha(1), state: 'success' }),
    },
    {
      what: "reading a head's commit statuses (who set its failure)",
      permission: 'statuses: read',
      method: 'GET',
      path: '/repos/{owner}/{repo}/commits/{ref}/statuses',
      request: () => client.rest.repos.listCommitStatusesForRef({ ...repo, ref: sha(1), per_page: 100 }),
    },
    {
      what: "comparing a PR's base and head (their merge base)",
      permission: 'contents: read',
      method: 'GET',
      path: '/repos/{owner}/{repo}/compare/{basehead}',
      request: () =>
        client.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: `${sha(1)}...${sha(1)}` }),
    },
    {
      what: "re-running a queued PR's job",
      permission: 'actions: write',
      method: 'POST',
      path: '/repos/{owner}/{repo}/actions/runs/{run_id}/rerun',
      request: () => client.rest.actions.reRunWorkflow({ ...repo, run_id: 105 }),
    },
  ])('$what: names $permission', async ({ permission, method, path, request }) => {
    expect(await refused(method, path, request)).toMatch(
      new RegExp(
        `^GitHub answered 403 to ${method} .*: Resource not accessible by integration \\(the token lacks ${permission}: add it to the workflow's permissions\\)$`,
      ),
    );
  });
});
