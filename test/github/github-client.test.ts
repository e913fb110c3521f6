import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSecret } from '../../src/core/redact.js';
import { gitHubClient, retryDelayOf, SEND_ONCE, testWaitScale } from '../../src/github/client.js';
import { setNoLongerChangedStatus } from '../../src/github/commit-status.js';
import { composeBody, readBody, StickyComment } from '../../src/github/sticky-comment.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';

// The Octokit client and the sticky comment against the OpenAPI-checked GitHub stand-in.
let github: FakeGitHub;
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const warnings: string[] = [];
// GitHub's waits at a twentieth: the same retries and waits, without the real seconds.
const client = () =>
  gitHubClient({
    token: 'ghs_x',
    baseUrl: github.url,
    warn: (m) => warnings.push(m),
    retries: 2,
    waitScale: 0.05,
  });

beforeAll(async () => {
  github = await startFakeGitHub(repo);
  github.setPullRequest(1, { baseSha: 'a'.repeat(40), headSha: 'b'.repeat(40), files: [] });
});
afterAll(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

describe('the GitHub client', () => {
  it('retries a 5xx and succeeds', async () => {
    github.failNext('GET', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 502, 2);
    github.resetRequests();
    const res = await client().rest.issues.listComments({ ...repo, issue_number: 1 });
    expect(res.status).toBe(200);
    expect(github.requestCount('GET')).toBe(3);
  });

  it('does not retry a 4xx other than a rate limit', async () => {
    github.resetRequests();
    await expect(client().rest.issues.listComments({ ...repo, issue_number: 999 })).rejects.toMatchObject({
      status: 404,
    });
    expect(github.requestCount()).toBe(1);
  });

  it('waits out a secondary rate limit, then writes', async () => {
    github.rateLimitNext('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 'secondary', 1);
    const res = await client().rest.issues.createComment({ ...repo, issue_number: 1, body: 'hello' });
    expect(res.status).toBe(201);
    expect(warnings.some((w) => w.includes('secondary rate limit'))).toBe(true);
  });

  it("keeps GitHub's pacing unless a test asks for less (a factor below 1, never more)", () => {
    expect(testWaitScale({})).toBe(1);
    expect(testWaitScale({ MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' })).toBe(0.05);
    for (const other of ['', '0', '-1', '1', '20', 'fast', 'Infinity'])
      expect(testWaitScale({ MODEL_GATE_TEST_GITHUB_WAIT_SCALE: other })).toBe(1);
  });

  it('sends a write marked SEND_ONCE once: refused for now, it fails at once with how long to wait', async () => {
    const comment = '/repos/{owner}/{repo}/issues/comments/{comment_id}';
    const { data } = await client().rest.issues.createComment({ ...repo, issue_number: 1, body: 'first' });
    const edit = (body: string) =>
      client()
        .rest.issues.updateComment({ ...repo, comment_id: data.id, body, ...SEND_ONCE })
        .catch((e: unknown) => e);
    const refusals = [
      () => github.rateLimitNext('PATCH', comment, 'secondary'),
      () => github.rateLimitNext('PATCH', comment, 'primary'),
      () => github.failNext('PATCH', comment, 502),
    ];
    const waits: (number | undefined)[] = [];
    for (const refuse of refusals) {
      refuse();
      github.resetRequests();
      const error = await edit('later');
      expect(github.requestCount()).toBe(1);
      waits.push(retryDelayOf(error, 0, Date.now()));
    }
    // retry-after: 1; the primary limit's reset (about 1 s away), plus a second; a first backoff of 1 s.
    expect(waits[0]).toBe(1_000);
    expect(waits[1]).toBeGreaterThanOrEqual(1_000);
    expect(waits[1]).toBeLessThanOrEqual(3_000);
    expect(waits[2]).toBe(1_000);
    expect(github.comments(1).find((c) => c.id === data.id)?.body).toBe('first');
    // A refusal that waiting does not mend.
    github.failNext('PATCH', comment, 403);
    expect(retryDelayOf(await edit('never'), 0, Date.now())).toBeUndefined();
  });
});

describe('the sticky comment', () => {
  it('is found among more than a page of comments, updated in place, and never written by an older run', async () => {
    for (let i = 0; i < 105; i++) github.addComment(2, `chatter ${i} <!-- model-gate report -->`, 'octocat');
    github.setPullRequest(2, { baseSha: 'a'.repeat(40), headSha: 'c'.repeat(40), files: [] });
    const body = (runId: number) => composeBody(`run ${runId}`, { runId, attempt: 1 }, { releases: {} });
    const write = (runId: number) =>
      new StickyComment(client(), repo, 2).write(body(runId), { runId, attempt: 1 });
    expect(await write(200)).toBe('created');
    expect(await write(200)).toBe('unchanged');
    expect(await write(100)).toBe('stale');
    expect(await write(201)).toBe('updated');
    expect(github.comments(2).find((c) => c.user === github.botLogin)?.body).toBe(body(201));
    const ours = github.comments(2).filter((c) => c.user === github.botLogin);
    expect(ours).toHaveLength(1);
    // A person's comment quoting the marker is never taken for ours.
    expect(github.comments(2).filter((c) => c.user === 'octocat')).toHaveLength(105);
  });
});

describe('what the client writes to GitHub', () => {
  it('carries no secret model-gate knows, in a comment (its stored state too), a status or a deployment: the runner masks its log only', async () => {
    addSecret('hook-s3cr3t-0123');
    const gh = client();
    const note = 'approval: not approved for Bearer hook-s3cr3t-0123';
    const body = composeBody(`- ${note}`, { runId: 1, attempt: 1 }, { releases: { fraud: { note } } });
    const comment = await gh.rest.issues.createComment({ ...repo, issue_number: 1, body });
    expect(comment.data.body).toContain('- approval: not approved for Bearer ***');
    expect(readBody(comment.data.body ?? '').data).toEqual({
      releases: { fraud: { note: 'approval: not approved for Bearer ***' } },
    });
    const sha = 'b'.repeat(40);
    const status = await gh.rest.repos.createCommitStatus({
      ...repo,
      sha,
      state: 'failure',
      description: note,
    });
    expect(status.data.description).toBe('approval: not approved for Bearer ***');
    const deployment = await gh.rest.repos.createDeployment({
      ...repo,
      ref: sha,
      environment: 'model-gate/fraud',
      auto_merge: false,
      required_contexts: [],
      payload: { version: 'v2', summary: note },
    });
    expect(deployment.status).toBe(201);
    expect(JSON.stringify(deployment.data)).not.toContain('hook-s3cr3t-0123');
    expect(JSON.stringify(deployment.data)).toContain('not approved for Bearer ***');
  });

  it("cuts a description to GitHub's 140 characters after redacting it: a secret at the cut leaks no head", async () => {
    addSecret('tok-9f8e7d6c5b4a39281706');
    // Cut before redaction, the status would end in `Bearer tok-9f8e7d6c…`.
    const reason = `${'x'.repeat(115)} Bearer tok-9f8e7d6c5b4a39281706 rejected by the gateway after 3 tries`;
    // A description as given (a release's is fitted before: commit-status.ts), which the client cuts.
    const change = { model: 'fraud', headSha: 'b'.repeat(40), description: `v2: ${reason}` };
    await setNoLongerChangedStatus(client(), repo, change);
    const status = github.commitStatuses('b'.repeat(40)).findLast((s) => s.context === 'model-gate/fraud');
    expect(status?.description).toHaveLength(140);
    expect(status?.description).toMatch(/^v2: x+ Bearer \*\*\* rejected/);
    expect(status?.description).not.toContain('tok-9f8');
    expect(status?.description).toContain('Bearer ***');
  });

  it('redacts only free text in what it stores: a short secret never turns versions or SHAs into ***', async () => {
    addSecret('1');
    const release = { from: 'v1.4.0', to: 'v1.5.0', headSha: `a1${'b'.repeat(38)}`, reason: 'gate 1 failed' };
    const body = composeBody('- fraud v1.5.0', { runId: 1, attempt: 1 }, { releases: { fraud: release } });
    expect(readBody(body).data).toEqual({ releases: { fraud: { ...release, reason: 'gate *** failed' } } });
    const deployment = await client().rest.repos.createDeployment({
      ...repo,
      ref: 'b'.repeat(40),
      environment: 'model-gate/fraud',
      auto_merge: false,
      required_contexts: [],
      payload: { version: 'v1.5.0', previous: 'v1.4.0', summary: 'passed 1 canary step' },
    });
    expect((deployment.data as { payload?: unknown }).payload).toEqual({
      version: 'v1.5.0',
      previous: 'v1.4.0',
      summary: 'passed *** canary step',
    });
  });
});
