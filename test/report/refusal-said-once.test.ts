import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { targetFor } from '../../src/release/adapters.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { fraudPr } from '../support/fraud-pr.js';

// A token that may read the traffic but not change it (HTTP 403), or a route gone (404): the step's
// change and then its rollback meet the same refusal. The decision line quoted the platform's words
// and their fix ("; check the credentials …") twice in a row, the second copy in parentheses after
// the first, burying what to do in a 600-character line. Now once, the other "the same way".
// A real serving layer (the http target's contract) on 127.0.0.1.

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A serving layer of v1 that refuses each PUT from the `from`-th on with `status`. */
async function refusingFrom(from: number, status: number, error: string): Promise<string> {
  let served: unknown = { stable: { version: 'v1' } };
  let puts = 0;
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const send = (code: number, body: unknown) =>
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url?.endsWith('/capabilities')) return send(200, { strategies: ['canary'], weights: 'integer' });
    if (req.method === 'PUT') {
      puts += 1;
      if (puts >= from) return send(status, { error });
      served = JSON.parse(text);
    }
    send(200, served);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  closers.push(() => server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** PR #7's job watched to its end, fraud on the http target at `url`: its decision line. */
async function decisionLine(url: string): Promise<string | undefined> {
  const w = await fraudPr({
    to: 'v2',
    yaml: `version: 1
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    target: { type: http, url: "${url}", strategies: [canary], settle-timeout: 1m, poll-interval: 10s }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
  });
  const ports = { ...w.ports, targetFor };
  const run = await handlePullRequest(w.config, w.event(), ports, {
    mode: 'watch',
    maxWaitMs: 600_000,
    dryRun: false,
  });
  return renderMarkdown(w.config, run, { now: w.clock.now() }).split('\n')[2];
}

const CREDENTIALS =
  "check the credentials model-gate sends (the target's headers, or user:password in its url): expired, or without the permission";

describe('a step and its rollback refused alike: the refusal and its fix said once', () => {
  it('a read-only token (403 to every change): not deployed, the refusal and its fix said once', async () => {
    // Its first change refused, v2 never got traffic: nothing was rolled back (refused-first-change.ts).
    const url = await refusingFrom(1, 403, 'not allowed');
    expect(await decisionLine(url)).toBe(
      `- fraud v2 was not deployed and got no traffic: the platform refused the switch to 10% of live traffic: serving layer at ${url} refused PUT /traffic (HTTP 403): not allowed; ${CREDENTIALS}; a re-run gets the same answer: fix the credentials or names the platform's answer points to, then push a new commit (an empty one will do) to analyse again; if the PR was closed, reopen it first`,
    );
  });

  it('a route gone after the first step (404): could not be rolled back, "rolling back because" the step failed the same way', async () => {
    const url = await refusingFrom(2, 404, 'no such route');
    expect(await decisionLine(url)).toBe(
      `- fraud v2 could not be rolled back to v1: serving layer at ${url} refused PUT /traffic (HTTP 404): no such route; nothing at ${url}/traffic: check the target's url (its host, and the model's name in its path) (rolling back because the serving platform failed the same way); v2 may still get live traffic: a re-run of this job or the next schedule tick tries again`,
    );
  });
});
