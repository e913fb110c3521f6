import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { MODEL, runOnPullRequest, sentToGitHub } from './secret-world.js';

// A serving layer's bearer token comes from a variable whose name does not look secret
// (SERVING_JWT). The serving layer refuses the traffic change and quotes the bare token in its
// error, as services do ("token … lacks scope"): the log, the PR comment and the ledger (the
// comment's stored state, the deployments) must show *** in its place, not only where the whole
// `Bearer …` header value appears. The gate's metrics come from a real sandbox serving the model,
// so the pre-flight read of the stable version passes and the run reaches the traffic change.
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtb2RlbC1nYXRlIn0.Qx7-s1gn4ture';

let github: FakeGitHub;
let metrics: Sandbox;
let serving: Server;
let servingUrl: string;
const seenAuthorization: (string | undefined)[] = [];
/** What the serving layer says when it refuses a traffic change, quoting the token it got. */
let refusal = (token: string | undefined) =>
  `token ${token} may read traffic but not change it (scope serving:read)`;

beforeAll(async () => {
  github = await startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' });
  metrics = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
  // The http target's contract (docs/http-target.openapi.yaml), with a token that may only read.
  serving = createServer(async (req, res) => {
    seenAuthorization.push(req.headers.authorization);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    let text = '';
    for await (const chunk of req) text += chunk;
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'GET' && path.endsWith('/capabilities'))
      return send(200, { strategies: ['canary'], weights: 'fractional' });
    if (req.method === 'GET') return send(200, { stable: { version: 'v1' }, updating: false });
    // Taking a candidate out (stable alone) is allowed; giving it traffic is not.
    const asked = JSON.parse(text);
    if (!asked.canary) return send(200, { ...asked, updating: false });
    const token = req.headers.authorization?.replace(/^Bearer /, '');
    send(403, { error: refusal(token) });
  });
  await new Promise<void>((done) => serving.listen(0, '127.0.0.1', done));
  servingUrl = `http://127.0.0.1:${(serving.address() as AddressInfo).port}`;
});

afterAll(async () => {
  serving?.closeAllConnections();
  await new Promise((done) => serving?.close(done));
  await metrics?.close();
  await github?.close();
});

const CONFIG = `version: 1
models:
  ${MODEL}:
    source: { file: models/fraud.yaml, key: version }
    target:
      type: http
      url: "\${SERVING_URL}/models/${MODEL}"
      headers: { Authorization: "Bearer \${SERVING_JWT}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: { type: canary, steps: [10, 50] }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
`;

describe('a bearer token in a header, from a variable not named like a secret', () => {
  it('is masked in the log, the PR comment and the ledger when the service quotes it bare', async () => {
    const run = await runOnPullRequest(github, 7, CONFIG, {
      SERVING_URL: servingUrl,
      SERVING_JWT: JWT,
      SANDBOX_URL: metrics.url,
    });
    expect(seenAuthorization).toContain(`Bearer ${JWT}`);
    // The refusal reached all three, with the token masked.
    const refusal = 'token *** may read traffic but not change it';
    expect(run.log).toContain(refusal);
    expect(run.comment).toContain(refusal);
    expect(sentToGitHub(github)).toContain(refusal);
    expect(run.log).not.toContain(JWT);
    expect(run.comment).not.toContain(JWT);
    expect(sentToGitHub(github)).not.toContain(JWT);
    expect(run.outputs.models ?? '').not.toContain(JWT);
  });

  it('is masked whole where the message is cut inside it: no head of it shows', async () => {
    // A message keeps 160 characters of the refusal: the cut falls inside the token, 14 of its characters before it.
    const why =
      'the serving layer refused to change the traffic of this model: the credentials given for this request may only read it, as the scopes say, ';
    refusal = (token) => `${why}token ${token} lacks serving:write`;
    const run = await runOnPullRequest(github, 8, CONFIG, {
      SERVING_URL: servingUrl,
      SERVING_JWT: JWT,
      SANDBOX_URL: metrics.url,
    });
    // Its first 8 characters: none of what the cut left of it.
    const head = JWT.slice(0, 8);
    expect(run.log).not.toContain(head);
    expect(run.comment).not.toContain(head);
    expect(sentToGitHub(github)).not.toContain(head);
    expect(run.outputs.models ?? '').not.toContain(head);
    // The refusal still says what went wrong, the token masked.
    expect(run.comment).toContain(`${why}token ***`);
    expect(run.log).toContain(`${why}token ***`);
  });
});
