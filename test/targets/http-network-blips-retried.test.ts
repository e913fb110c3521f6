import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { httpTarget } from '../../src/targets/http-target.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { step } from './drive.js';

// Network blips no local server can stage (a connection not made in time, a route or a DNS lookup
// failing for a moment) are passing, like a refused connection: the PUT is made again within the
// settle-timeout. They failed the step at once. The next request to make fails as undici reports
// it, on the socket error itself or as its cause; the serving layer is real, on 127.0.0.1.

/** The error the next request fails with, then cleared. */
const blip: { next?: Error } = {};

vi.mock('undici', async (actual) => {
  const undici = await actual<typeof import('undici')>();
  return {
    ...undici,
    request: (...args: Parameters<typeof undici.request>) => {
      const failure = blip.next;
      blip.next = undefined;
      return failure ? Promise.reject(failure) : undici.request(...args);
    },
  };
});

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

let url = '';
let served: TrafficState = { stable: { version: 'v1' } };
let puts = 0;
const server = createServer((req, res) => {
  let text = '';
  req.on('data', (chunk) => {
    text += chunk;
  });
  req.on('end', () => {
    if (req.method === 'PUT') {
      puts += 1;
      served = JSON.parse(text) as TrafficState;
    }
    const body = req.url?.endsWith('/capabilities')
      ? { strategies: ['canary'] }
      : { ...served, updating: false };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
});
beforeAll(async () => {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/fraud`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
});

describe('http target: a PUT /traffic that meets a network blip once', () => {
  it.each([
    ['a connection not made in time', withCode('Connect Timeout Error', 'UND_ERR_CONNECT_TIMEOUT')],
    ['a connection timed out', withCode('connect ETIMEDOUT 10.0.0.7:443', 'ETIMEDOUT')],
    ['no route to the host', withCode('connect EHOSTUNREACH 10.0.0.7:443', 'EHOSTUNREACH')],
    [
      'a DNS lookup that failed for now',
      Object.assign(new TypeError('fetch failed'), {
        cause: withCode('getaddrinfo EAI_AGAIN serving.internal', 'EAI_AGAIN'),
      }),
    ],
  ])('%s: made again after the poll interval, the step reaches its weight', async (_, failure) => {
    served = { stable: { version: 'v1' } };
    puts = 0;
    const clock = new FakeClock();
    const target = httpTarget(
      {
        type: 'http',
        url,
        headers: {},
        strategies: ['canary'],
        timeoutMs: 10_000,
        settleTimeoutMs: 600_000,
        pollIntervalMs: 10_000,
      },
      undefined,
      clock,
    );
    await target.capabilities();
    const t0 = clock.now();
    blip.next = failure;
    await expect(reconcile(target, step('v1', 'v2', 10))).resolves.toEqual(step('v1', 'v2', 10));
    expect(puts).toBe(1);
    expect(clock.now() - t0).toBe(10_000);
  });
});
