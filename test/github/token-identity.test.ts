import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getOctokit } from '@actions/github';
import { describe, expect, it } from 'vitest';
import { gitHubClient } from '../../src/github/client.js';
import { COMMENT_MARKER } from '../../src/github/sticky-comment.js';
import { TokenIdentity } from '../../src/github/token-identity.js';
import { runDecision } from '../../src/report/decision.js';
import { OPENED, REPO, useCommentOwnerWorld } from '../support/comment-owner-world.js';
import type { TokenKind } from '../support/fake-github/server.js';

// Which PR comment is model-gate's is decided by who wrote it: the account the token acts as, as
// GitHub's GraphQL `viewer` names it for any token (a personal access token's User, the job
// token's github-actions[bot], an App installation's <app-slug>[bot]), never by a kind of account.

const GRAPHQL = '/graphql';
const w = useCommentOwnerWorld();
const { job } = w;

/** A look-alike of the model-gate comment by `login`, its state saying v2 failed. */
const lookAlike = (login: string) => w.lookAlike(login, 'failed', 'FORGED');

describe.each<[string, TokenKind, string]>([
  ['a personal access token', 'pat', 'monalisa'],
  ["an App's installation token", 'github-actions', 'model-gate-app[bot]'],
])('%s', (_, kind, login) => {
  it('finds its own comment in every run of a PR, beside look-alikes: one comment, its state resumed, GitHub asked once a run', async () => {
    w.github.useToken(kind, login);
    const others = [lookAlike('github-actions[bot]'), lookAlike('octocat')];
    expect(runDecision(await job(OPENED).run())).toBe('ready');
    // A re-run of the same head resumes its ready release: nothing deployed again.
    const writes = w.target.writes.length;
    expect(runDecision(await job(OPENED).run())).toBe('ready');
    expect(w.target.writes).toHaveLength(writes);
    expect(runDecision(await job({ ...OPENED, action: 'closed', merged: true }).run())).toBe('promoted');

    const [looks1, looks2, ours, ...more] = w.github.comments(1);
    expect([looks1, looks2]).toEqual(others);
    expect(more).toEqual([]);
    expect(ours?.user).toBe(login);
    expect(ours?.body).toContain(`<!-- model-gate-run:${w.runId}.1 -->`);
    expect(w.target.state).toEqual({ stable: { version: 'v2' } });
    expect(w.github.requestCount('POST', GRAPHQL)).toBe(3);
    expect(w.github.requestCount('GET', '/user')).toBe(0);
  });
});

describe('asking GitHub who the token is', () => {
  it('is not needed by the run that wrote the comment, and is asked once by a run that finds one', async () => {
    expect(runDecision(await job(OPENED).run())).toBe('ready');
    expect(w.github.requestCount('POST', GRAPHQL)).toBe(0);
    w.github.resetRequests();
    await job(OPENED).run();
    expect(w.github.requests.filter((r) => r.path === GRAPHQL).map((r) => r.body)).toEqual([
      { query: 'query { viewer { login databaseId } }' },
    ]);
  });

  it.each([
    ['GitHub fails it', 502, undefined, 4, 'GitHub answered 502 to POST'],
    [
      'GitHub answers it with errors',
      200,
      { errors: [{ message: 'Something went wrong' }] },
      1,
      'GitHub answered: Something went wrong',
    ],
  ])('when %s, the run stops, saying so, and changes nothing', async (_, status, body, count, answer) => {
    expect(runDecision(await job(OPENED).run())).toBe('ready');
    const comments = w.github.comments(1);
    const writes = w.target.writes.length;
    w.github.failNext('POST', GRAPHQL, status, count, {}, body);
    const error = await job({ ...OPENED, action: 'closed', merged: true })
      .run()
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(error?.message).toContain('model-gate could not learn who its github-token writes as');
    expect(error?.message).toContain(answer);
    expect(error?.message).toContain('it trusts none and stopped before acting on any; re-run the job');
    expect(w.target.writes).toHaveLength(writes);
    expect(w.github.comments(1)).toEqual(comments);
  });

  it('on GitHub Enterprise Server, asks its GraphQL API at /api/graphql beside /api/v3', async () => {
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { viewer: { login: 'github-actions[bot]', databaseId: 41898282 } } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const client = gitHubClient({
        token: 'ghs_x',
        baseUrl: `http://127.0.0.1:${port}/api/v3`,
        warn: () => {},
      });
      const ours = { user: { id: 41898282, type: 'Bot' } };
      const theirs = { user: { id: 7, type: 'Bot' } };
      expect(await new TokenIdentity(client).ours([theirs, ours])).toEqual([ours]);
      expect(paths).toEqual(['POST /api/graphql']);
    } finally {
      server.close();
    }
  });
});

describe("the GitHub stand-in's GraphQL API", () => {
  it("names the token's account as REST names a comment's author, and refuses any other query in GitHub's error shape", async () => {
    w.github.useToken('pat', 'deployer');
    const octokit = getOctokit('ghp_x', { baseUrl: w.github.url });
    const { viewer } = await octokit.graphql<{ viewer: { login: string; databaseId: number } }>(
      'query { viewer { login databaseId } }',
    );
    const created = await octokit.rest.issues.createComment({
      ...REPO,
      issue_number: 1,
      body: COMMENT_MARKER,
    });
    expect(viewer).toEqual({ login: 'deployer', databaseId: created.data.user?.id });

    await expect(octokit.graphql('query { viewer { email } }')).rejects.toMatchObject({
      errors: [expect.objectContaining({ message: "Field 'email' doesn't exist on type 'User'" })],
    });
    expect(w.github.violations).toEqual([
      "POST /graphql: GraphQL: Field 'email' doesn't exist on type 'User'",
    ]);
    w.github.violations.length = 0;
  });
});
