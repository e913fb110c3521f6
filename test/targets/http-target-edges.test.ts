import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HttpTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { httpTarget } from '../../src/targets/http-target.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { type ServingLayer, startServingLayer } from '../support/standins/http-serving-layer.js';
import { passingCanary, step } from './drive.js';

// The http target's url as gateways hand it out (a key in its query string), what a service's
// JSON `error` may quote (a URL with a password), and the times its messages show. The serving
// layer is the contract's stand-in; in front of it runs a small gateway, as Azure Functions or
// API Management put one: when keyed, it lets through only requests carrying `?code=k3y`; each
// request through it takes 3 ms of the (fake) clock, as real requests take time.

const KEY = 'k3y';
const MS_PER_REQUEST = 3;
type Reply = { status: number; body: unknown };

let layer: ServingLayer;
let gatewayServer: Server;
let gatewayUrl: string;
let clock: FakeClock;
/** Answers a request at the gateway instead of passing it on, when it returns a reply. */
let fault: (method: string) => Reply | undefined;
/** The query strings the gateway saw. */
let queries: string[];
/** Whether the gateway asks for the key (and the target's url carries it). */
let keyed: boolean;

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}

async function pass(req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const url = new URL(req.url ?? '/', 'http://gateway');
  queries.push(url.search);
  clock.advance(MS_PER_REQUEST);
  if (keyed && url.searchParams.get('code') !== KEY)
    return send(res, 401, JSON.stringify({ error: 'a valid code is required' }));
  const faulty = fault(req.method ?? '');
  if (faulty) return send(res, faulty.status, JSON.stringify(faulty.body));
  const upstream = await fetch(`${new URL(layer.url).origin}${url.pathname}`, {
    method: req.method,
    headers: { 'content-type': 'application/json' },
    body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
  });
  const retryAfter = upstream.headers.get('retry-after');
  send(res, upstream.status, await upstream.text(), retryAfter ? { 'retry-after': retryAfter } : {});
}

beforeAll(async () => {
  layer = await startServingLayer({ deployed: ['v1', 'v2'], stable: 'v1' });
  gatewayServer = createServer((req, res) => {
    pass(req, res).catch((err: unknown) => send(res, 500, JSON.stringify({ error: String(err) })));
  });
  await new Promise<void>((resolve) => gatewayServer.listen(0, '127.0.0.1', resolve));
  gatewayUrl = `http://127.0.0.1:${(gatewayServer.address() as AddressInfo).port}/models/fraud`;
});
afterAll(async () => {
  gatewayServer?.closeAllConnections();
  await new Promise((resolve) => gatewayServer?.close(resolve));
  await layer?.close();
});
beforeEach(() => {
  layer.traffic = { stable: { version: 'v1' } };
  layer.faults = { busy: 0, throttle: 0, silentRevert: 0, converge: 0, delayMs: 0, dropMirror: 0 };
  layer.requests = [];
  clock = new FakeClock();
  fault = () => undefined;
  queries = [];
  keyed = false;
});
afterEach(() => {
  expect(layer.contractViolations).toEqual([]);
});

const config = (more: Partial<HttpTargetConfig> = {}): HttpTargetConfig => ({
  type: 'http',
  url: keyed ? `${gatewayUrl}?code=${KEY}` : gatewayUrl,
  headers: {},
  strategies: ['canary'],
  timeoutMs: 10_000,
  settleTimeoutMs: 10_000,
  pollIntervalMs: 100,
  ...more,
});

const failure = (target: ReturnType<typeof httpTarget>, weight = 10) =>
  reconcile(target, step('v1', 'v2', weight)).then(
    () => new Error('the change succeeded'),
    (err: Error) => err,
  );

describe('http target: a url with a query string (a gateway key)', () => {
  beforeEach(() => {
    keyed = true;
  });

  it('sends the key with every request and the path after the url’s own', async () => {
    const seen = await passingCanary(httpTarget(config(), undefined, clock), 'v1', 'v2');
    expect(seen.at(-1)).toEqual({ stable: { version: 'v2' } });
    expect(layer.traffic).toEqual({ stable: { version: 'v2' } });
    expect(new Set(layer.requests.map((r) => `${r.method} ${r.path}`))).toEqual(
      new Set(['GET /capabilities', 'PUT /traffic', 'GET /traffic']),
    );
    expect(new Set(queries)).toEqual(new Set([`?code=${KEY}`]));
  });

  it('never shows the key in a message', async () => {
    fault = (method) =>
      method === 'PUT' ? { status: 422, body: { error: 'version v2 is not deployed' } } : undefined;
    const err = await failure(httpTarget(config(), undefined, clock));
    expect(err.message).toBe(
      `serving layer at ${gatewayUrl} refused PUT /traffic (HTTP 422): version v2 is not deployed`,
    );
  });
});

describe('http target: what a JSON `error` quotes', () => {
  it('hides the password and query of a URL in it, as in a text or HTML body', async () => {
    fault = (method) =>
      method === 'PUT'
        ? {
            status: 500,
            body: { error: 'cannot pull https://deploy:hunter2pw@registry.internal/fraud?sig=abc' },
          }
        : undefined;
    const err = await failure(httpTarget(config(), undefined, clock));
    expect(err.message).toBe(
      `serving layer at ${gatewayUrl} failed PUT /traffic (HTTP 500): cannot pull https://registry.internal/fraud?…`,
    );
  });

  it('shows a long, many-line error on one line, cut short', async () => {
    const trace = `Traceback (most recent call last):\n${'  File "/srv/app.py", line 12, in put\n'.repeat(20)}KeyError: 'v2'`;
    fault = (method) => (method === 'PUT' ? { status: 500, body: { error: trace } } : undefined);
    const err = await failure(httpTarget(config(), undefined, clock));
    const said = err.message.replace(`serving layer at ${gatewayUrl} failed PUT /traffic (HTTP 500): `, '');
    expect(said).toMatch(
      /^Traceback \(most recent call last\): File "\/srv\/app.py", line 12, in put File .*…$/,
    );
    expect(said).toHaveLength(160);
  });
});

describe('http target: measured times in messages', () => {
  it('says how long it retried a throttled request in whole seconds, not the clock’s milliseconds', async () => {
    layer.faults.throttle = 1_000;
    const err = await failure(httpTarget(config({ settleTimeoutMs: 1_000 }), undefined, clock));
    expect(err.message).toBe(
      `serving layer at ${gatewayUrl} kept refusing GET /capabilities for rate limits for 1s: too many requests`,
    );
  });

  it('says how long a change kept updating in whole seconds', async () => {
    layer.faults.converge = 1_000;
    const err = await failure(httpTarget(config({ settleTimeoutMs: 1_000 }), undefined, clock));
    expect(err.message).toBe(
      `serving layer at ${gatewayUrl} did not settle: it still reports updating: true 1s after the traffic change began (settle-timeout 1s); try again later`,
    );
  });
});
