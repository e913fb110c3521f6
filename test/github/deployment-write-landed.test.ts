import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { gitHubClient } from '../../src/github/client.js';
import { Deployments, environmentOf } from '../../src/github/deployments.js';
import type { LedgerEntry } from '../../src/ledger/ledger.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { sha } from '../support/model-config.js';

// GitHub may make a deployment and still answer 502 (or the answer may be lost). A merge job's
// promotion, its Deployment answered so, must show once on the Deployments page (the model's
// audit trail), with its status: not a second identical deployment beside a first with none.
// Between the client and the GitHub stand-in, a real HTTP proxy on 127.0.0.1 hands the first
// `POST …/deployments` on, and answers 502 in place of GitHub's reply (or drops the connection)
// when told to.
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
let github: FakeGitHub;
let proxy: Server;
let proxyUrl: string;
/** How the answer to the next deployment made is lost: answered 502, or the connection dropped. */
let loseNextAnswer: 'answer 502' | 'hang up' | undefined;

/** Hands each request on to the stand-in, and its answer back, but one lost as told. */
function startProxy(): Promise<Server> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = new URL(req.url ?? '/', github.url);
    const lose = req.method === 'POST' && /\/deployments$/.test(target.pathname) ? loseNextAnswer : undefined;
    if (lose) loseNextAnswer = undefined;
    const onward = request(target, { method: req.method, headers: req.headers }, (answer) => {
      if (lose) {
        answer.resume();
        if (lose === 'hang up') return void res.destroy();
        res.writeHead(502, { 'content-type': 'application/json' }).end('{"message":"Server Error"}');
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    onward.end(Buffer.concat(chunks));
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done(server)));
}

beforeAll(async () => {
  github = await startFakeGitHub(repo);
  proxy = await startProxy();
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await new Promise((done) => proxy?.close(done));
  await github?.close();
});

let model: string;
let n = 0;
beforeEach(() => {
  model = `fraud-${++n}`;
});

const promotion = (): LedgerEntry => ({
  model,
  kind: 'promotion',
  version: 'v2',
  previous: 'v1',
  at: 1_000,
  pr: 7,
  summary: 'v2 passed every gate',
});

/** The deployments ledger as the action builds it: the client with its retries, through the proxy. */
const deployments = () =>
  new Deployments(
    gitHubClient({ token: 'ghs_x', baseUrl: proxyUrl, warn: () => {}, waitScale: 0.001 }),
    repo,
    sha(2),
    new FakeClock(),
  );

/** The model's deployments as the Deployments page lists them: description and states. */
const shown = () =>
  github
    .deployments(environmentOf(model))
    .map((d) => `${d.description}: ${d.statuses.map((s) => s.state).join(', ')}`);

describe('a deployment GitHub made, its answer lost', () => {
  it.each(['answer 502', 'hang up'] as const)(
    'is made once: the promotion is recorded once, with its status (%s)',
    async (lose) => {
      loseNextAnswer = lose;
      await deployments().record(promotion());
      expect(loseNextAnswer).toBeUndefined();
      expect(shown()).toEqual(['promotion v1 -> v2: success']);
      expect(await deployments().history(model)).toMatchObject([{ kind: 'promotion', version: 'v2', pr: 7 }]);
    },
  );
});

describe('a deployment GitHub refused with 502 (not made)', () => {
  it('is made by the next try', async () => {
    github.failNext('POST', '/repos/{owner}/{repo}/deployments', 502);
    await deployments().record(promotion());
    expect(shown()).toEqual(['promotion v1 -> v2: success']);
  });

  it('is made by the next try beside an identical earlier one: that one, with its status, is not taken for it', async () => {
    const ledger = deployments();
    await ledger.record(promotion());
    await ledger.record({ ...promotion(), kind: 'rollback', version: 'v1', previous: 'v2', pr: undefined });
    github.failNext('POST', '/repos/{owner}/{repo}/deployments', 502);
    await ledger.record(promotion());
    expect(shown()).toEqual([
      'promotion v1 -> v2: success, inactive',
      'rollback v2 -> v1: success, inactive',
      'promotion v1 -> v2: success',
    ]);
  });
});
