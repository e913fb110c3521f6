import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { TargetAccessError } from '../../src/targets/errors.js';
import { sandboxTarget } from '../../src/targets/sandbox-target.js';
import { passingCanary, step } from './drive.js';

// A sandbox target url with a query string (a tenant, a gateway's key) had the API path added
// after the query (`…/?tenant=a/admin/models/…`): every call asked the root, a 404. The sandbox
// metric source keeps the url's path and query (api-url.ts); the target now does the same.

const MODEL = 'fraud-detector';
let sandbox: Sandbox;
let gateway: Server;
let gatewayUrl: string;

/** In front of the sandbox at `/ml`, a gateway that passes on only the requests of `?tenant=a`. */
function tenantGateway(upstream: string): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (url.searchParams.get('tenant') !== 'a') return answer(403, { error: 'unknown tenant' });
    if (!url.pathname.startsWith('/ml/')) return answer(404, { error: `no route ${url.pathname}` });
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', async () => {
      const method = req.method === 'PUT' ? 'PUT' : 'GET';
      const sent = body ? JSON.parse(body) : undefined;
      const passed = await requestJson(method, `${upstream}${url.pathname.slice('/ml'.length)}`, sent);
      answer(passed.status, passed.body);
    });
  });
}

beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
  gateway = tenantGateway(sandbox.url);
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => gateway?.close(resolve));
  await sandbox?.close();
});
beforeEach(async () => {
  await requestJson('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, { stable: { version: 'v1' } });
});

describe('the sandbox target, at a url with a query string', () => {
  it('changes and reads the traffic of a sandbox at `/?tenant=a`', async () => {
    const target = sandboxTarget({ type: 'sandbox', url: `${sandbox.url}/?tenant=a` }, MODEL);
    await target.write(step('v1', 'v2', 10));
    expect(await target.read()).toEqual(step('v1', 'v2', 10));
  });

  it('drives a canary through a gateway that needs its path and tenant on every call', async () => {
    const target = sandboxTarget({ type: 'sandbox', url: `${gatewayUrl}/ml?tenant=a` }, MODEL);
    expect(await passingCanary(target, 'v1', 'v2')).toEqual([
      step('v1', 'v2', 10),
      step('v1', 'v2', 50),
      step('v1', 'v2', 0),
      { stable: { version: 'v2' } },
    ]);
  });

  it('names the address it asked, path before the query, when nothing is there', async () => {
    const target = sandboxTarget(
      { type: 'sandbox', url: `${gatewayUrl}/ml?tenant=a`, model: 'ranker' },
      'ranker',
    );
    const err = await target.read().then(
      () => expect.unreachable('the read succeeded'),
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(TargetAccessError);
    expect(err.message).toBe(
      `sandbox ranker at ${gatewayUrl}/ml refused: unknown model "ranker"; served models: ${MODEL}; nothing at ${gatewayUrl}/ml/admin/models/ranker/traffic: check the target's url and model (target.model, else the model's name in the config)`,
    );
  });
});
