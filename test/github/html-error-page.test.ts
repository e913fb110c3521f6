import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeGitHubError, gitHubClient } from '../../src/github/client.js';

// A 502 or 504 from GitHub's edge comes as its HTML "Unicorn!" page (text/html), not JSON; Octokit
// makes the whole page the error's message. What model-gate says of it goes on one `::error::` line
// and into the job summary, so it names the page and keeps the status and request.

const UNICORN = `<!DOCTYPE html>
<html>
  <head>
    <meta http-equiv="Content-Type" content="text/html; charset=utf-8">
    <title>Unicorn! &middot; GitHub</title>
    <style type="text/css" media="screen">
${'      .container { margin: 50px auto 40px auto; width: 600px; text-align: center; }\n'.repeat(30)}    </style>
  </head>
  <body><div class="container"><p><strong>We couldn't respond to your request in time.</strong></p></div></body>
</html>`;

/** A server answering every request with one status, content type and body, as GitHub's edge or a proxy may. */
let answer = { status: 502, type: 'text/html; charset=utf-8', body: UNICORN };
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(answer.status, { 'content-type': answer.type });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function refusal(): Promise<string> {
  const client = gitHubClient({ token: 'ghs_x', baseUrl: url, warn: () => {}, retries: 0, waitScale: 0.001 });
  const error = await client.rest.issues
    .listComments({ owner: 'Codertocat', repo: 'Hello-World', issue_number: 7 })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  return describeGitHubError(error);
}

it.each([
  [502, 'text/html; charset=utf-8', UNICORN],
  [504, 'text/html; charset=utf-8', UNICORN],
  // The page where a JSON string was due (a proxy's relabelling): Octokit's message is the page all the same.
  [502, 'application/json; charset=utf-8', JSON.stringify(UNICORN)],
])(
  "names GitHub's HTML error page of a %i (%s) in one short line, with the request",
  async (status, type, body) => {
    answer = { status, type, body };
    const said = await refusal();
    expect(said).toBe(
      `GitHub answered ${status} to GET ${url}/repos/Codertocat/Hello-World/issues/7/comments: GitHub's error page (a server error on GitHub's side); re-run once GitHub answers`,
    );
    expect(said).not.toMatch(/[<>\n]/);
  },
);

it('keeps a short one-line snippet of an answer that is neither JSON nor HTML', async () => {
  answer = {
    status: 503,
    type: 'text/plain',
    body: `upstream connect error\nor disconnect/reset before headers. ${'x'.repeat(5000)}`,
  };
  const said = await refusal();
  expect(said).toMatch(/: upstream connect error or disconnect\/reset before headers\. x+…$/);
  expect(said.length).toBeLessThan(400);
});
