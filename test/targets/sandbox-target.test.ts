import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { sandboxTarget } from '../../src/targets/sandbox-target.js';
import { passingAb, step } from './drive.js';

const MODEL = 'fraud-detector';
let sandbox: Sandbox;
let forgetful: Server;
let forgetfulUrl: string;

/**
 * In front of the real sandbox, a proxy that drops `sticky` from every traffic change it passes
 * on: a sandbox that takes the weights of an A/B but loses its key.
 */
function forgetSticky(upstream: string): Server {
  return createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', async () => {
      let sent: TrafficState | undefined;
      if (body) {
        const { sticky: _, ...rest } = JSON.parse(body) as TrafficState;
        sent = rest;
      }
      const method = req.method === 'PUT' ? 'PUT' : 'GET';
      const answer = await requestJson(method, `${upstream}${req.url}`, sent);
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
}

beforeAll(async () => {
  sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: MODEL, stable: 'v1' }],
    seed: 3,
  });
  forgetful = forgetSticky(sandbox.url);
  await new Promise<void>((resolve) => forgetful.listen(0, '127.0.0.1', resolve));
  forgetfulUrl = `http://127.0.0.1:${(forgetful.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => forgetful?.close(resolve));
  await sandbox?.close();
});
beforeEach(async () => {
  await requestJson('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, { stable: { version: 'v1' } });
});

describe('sandbox target: an A/B keeps its sticky split', () => {
  it('splits by the sticky key and reads the key back', async () => {
    const seen = await passingAb(sandboxTarget({ type: 'sandbox', url: sandbox.url }, MODEL), 'v1', 'v2');
    expect(seen).toEqual([
      { ...step('v1', 'v2', 50), sticky: { header: 'x-user-id' } },
      step('v1', 'v2', 0),
      { stable: { version: 'v2' } },
    ]);
  });

  it('refuses a read-back that lost the sticky key, though the weights are right', async () => {
    const target = sandboxTarget({ type: 'sandbox', url: forgetfulUrl }, MODEL);
    const ab = { ...step('v1', 'v2', 50), sticky: { header: 'x-user-id' } };
    await expect(reconcile(target, ab)).rejects.toThrow(
      `sandbox ${MODEL} at ${forgetfulUrl} serves v1 50% / v2 50% after being asked for v1 50% / v2 50% (sticky by x-user-id)`,
    );
  });
});
