import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeGitHubError, gitHubClient } from '../../src/github/client.js';

// A connection to GitHub that stalls, no answer ever coming, would stall the job until the
// workflow's timeout. Each try of a request has a time limit: past it the try fails as a lost
// connection does, and is tried again.

const repo = { owner: 'Codertocat', repo: 'Hello-World' };
/** How many of the next requests get no answer at all. */
let stalls = 0;
const stalled: ServerResponse[] = [];
const server = createServer((_req, res) => {
  if (stalls-- > 0) return void stalled.push(res);
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  res.end('[]');
});
let url: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  for (const res of stalled) res.destroy();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

const client = (retries: number) =>
  gitHubClient({ token: 'ghs_x', baseUrl: url, warn: () => {}, retries, waitScale: 0.001, timeoutMs: 300 });

it('a try that gets no answer times out and the request is tried again', async () => {
  stalls = 1;
  const res = await client(2).rest.issues.listComments({ ...repo, issue_number: 7 });
  expect(res.data).toEqual([]);
}, 5_000);

it('a request whose every try stalls fails, saying so, instead of waiting for ever', async () => {
  stalls = 1;
  const error = await client(0)
    .rest.issues.listComments({ ...repo, issue_number: 7 })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(describeGitHubError(error)).toBe(
    `No answer from GitHub to GET ${url}/repos/Codertocat/Hello-World/issues/7/comments: The operation was aborted due to timeout`,
  );
}, 5_000);
