import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { isPermanent, TargetAccessError, TargetRefusedError } from '../../src/targets/errors.js';
import { sandboxTarget } from '../../src/targets/sandbox-target.js';
import { platformPassThrough } from '../support/platform-pass-through.js';
import { step } from './drive.js';

// Every answer of the sandbox (or a proxy in front of it) that was not a 200 read "refused: …",
// with nothing to do: a 503 while it starts is no refusal, and an unknown version or model names
// what to change. The sandbox is real, on 127.0.0.1; so are the proxies in front of it.

const MODEL = 'fraud-detector';
let sandbox: Sandbox;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
});
afterAll(async () => {
  await sandbox?.close();
});
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await requestJson('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, { stable: { version: 'v1' } });
});

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => expect.unreachable('the call succeeded'),
    (e: unknown) => e as Error,
  );

/** A proxy that answers every request `status` with an HTML page, as a gateway with nothing behind it. */
async function htmlGateway(status: number) {
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'text/html' }).end('<html><body>Bad Gateway</body></html>');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  closers.push(() => new Promise<void>((done) => server.close(() => done())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the sandbox target, answered with anything but a 200', () => {
  it('a version the sandbox has no artifact of: refused, naming the versions it has and how to add one', async () => {
    const target = sandboxTarget({ type: 'sandbox', url: sandbox.url }, MODEL);
    const err = await failureOf(target.write(step('v1', 'v9', 10)));
    expect(err).toBeInstanceOf(TargetRefusedError);
    expect(err.message).toBe(
      `sandbox ${MODEL} at ${sandbox.url} refused: canary.version: unknown version "v9" of model ${MODEL}; available: v1, v2, v3, v4; use a version the sandbox has, or add its artifact ${MODEL}/v9.json to the sandbox's models directory`,
    );
  });

  it('a model the sandbox does not serve: nothing at the URL, check the url and model', async () => {
    const target = sandboxTarget({ type: 'sandbox', url: sandbox.url, model: 'ranker' }, 'ranker');
    const err = await failureOf(target.read());
    expect(err).toBeInstanceOf(TargetAccessError);
    expect(err.message).toBe(
      `sandbox ranker at ${sandbox.url} refused: unknown model "ranker"; served models: ${MODEL}; nothing at ${sandbox.url}/admin/models/ranker/traffic: check the target's url and model (target.model, else the model's name in the config)`,
    );
  });

  it('a 503 from the proxy in front of it: not a refusal, the sandbox is not serving, run again once it is', async () => {
    const proxy = await platformPassThrough(sandbox.url, async ({ method }, forward) =>
      method === 'PUT' ? { status: 503, body: { error: 'no healthy upstream' } } : forward(),
    );
    closers.push(proxy.close);
    const err = await failureOf(
      sandboxTarget({ type: 'sandbox', url: proxy.url }, MODEL).write(step('v1', 'v2', 10)),
    );
    expect(err.message).toBe(
      `sandbox ${MODEL} at ${proxy.url} answered the traffic change with HTTP 503: no healthy upstream; the sandbox, or a proxy in front of it, is not serving (still starting, or down; GET ${proxy.url}/healthz answers once it is up)`,
    );
    expect(err.message).not.toContain('refused');
    // A read-back waits it out: it is no answer that the same request gets again.
    expect(isPermanent(err)).toBe(false);
  });

  it("a gateway's HTML 502 before the sandbox is up: worded by its status, not as nobody answering", async () => {
    const url = await htmlGateway(502);
    const err = await failureOf(sandboxTarget({ type: 'sandbox', url }, MODEL).read());
    expect(err.message).toBe(
      `sandbox ${MODEL} at ${url} answered the traffic read with HTTP 502; the sandbox, or a proxy in front of it, is not serving (still starting, or down; GET ${url}/healthz answers once it is up)`,
    );
    expect(isPermanent(err)).toBe(false);
  });
});
