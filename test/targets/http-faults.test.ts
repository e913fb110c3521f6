import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import { TargetBusyError, TargetRefusedError, TargetStateError } from '../../src/targets/errors.js';
import { httpTarget } from '../../src/targets/http-target.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { step } from './drive.js';

// The http target against a serving layer that misbehaves the way real ones behind gateways do:
// text and HTML error pages, Retry-After in seconds and as a date, dropped connections, a
// service that is not up yet. Each test gives the service's answers; time runs on a FakeClock,
// which records every wait.

type Reply = { status: number; body?: unknown; html?: string; headers?: Record<string, string> };
/** One request's answer: a reply, 'reset' (the connection dropped), or undefined (serve normally). */
type Fault = (req: IncomingMessage, body: string) => Reply | 'reset' | undefined;

interface Service {
  url: string;
  port: number;
  served: Record<string, unknown>;
  requests: { method: string; path: string; authorization?: string }[];
  fault: Fault;
  capabilities: Record<string, unknown>;
  server: Server;
}

let services: Service[] = [];
afterEach(async () => {
  for (const s of services) {
    s.server.closeAllConnections();
    await new Promise((resolve) => s.server.close(resolve));
  }
  services = [];
});

function send(res: ServerResponse, reply: Reply) {
  if (reply.html !== undefined) {
    res.writeHead(reply.status, { 'content-type': 'text/html', ...reply.headers });
    res.end(reply.html);
  } else {
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  }
}

/** A serving layer to the contract (docs/http-target.openapi.yaml), with `fault` asked first. */
async function service(listen = true): Promise<Service> {
  const s: Service = {
    url: '',
    port: 0,
    served: { stable: { version: 'v1' } },
    requests: [],
    fault: () => undefined,
    capabilities: { strategies: ['canary'], weights: 'fractional' },
    server: createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/models\/fraud/, '');
        s.requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization });
        const fault = s.fault(req, body);
        if (fault === 'reset') return req.socket.destroy();
        if (fault) return send(res, fault);
        if (req.method === 'GET' && path === '/capabilities')
          return send(res, { status: 200, body: s.capabilities });
        if (req.method === 'GET' && path === '/traffic')
          return send(res, { status: 200, body: { ...s.served, updating: false } });
        if (req.method === 'PUT' && path === '/traffic') {
          s.served = JSON.parse(body);
          return send(res, { status: 200, body: { ...s.served, updating: false } });
        }
        send(res, { status: 404, body: { error: 'no such route' } });
      });
    }),
  };
  s.port = await freePort();
  s.url = `http://127.0.0.1:${s.port}/models/fraud`;
  if (listen) await start(s);
  services.push(s);
  return s;
}

const start = (s: Service) => new Promise<void>((resolve) => s.server.listen(s.port, '127.0.0.1', resolve));

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** A FakeClock that remembers how long each wait was. */
class WaitLog extends FakeClock {
  waits: number[] = [];
  override async sleep(ms: number) {
    this.waits.push(ms);
    await super.sleep(ms);
  }
}

const config = (s: Service, more: Partial<HttpTargetConfig> = {}): HttpTargetConfig => ({
  type: 'http',
  url: s.url,
  headers: {},
  strategies: ['canary'],
  timeoutMs: 10_000,
  settleTimeoutMs: 60_000,
  pollIntervalMs: 1_000,
  ...more,
});

/** The first `n` PUTs answered `reply`, the rest served. */
const firstPuts = (n: number, reply: Reply | 'reset'): Fault => {
  let left = n;
  return (req) => (req.method === 'PUT' && left-- > 0 ? reply : undefined);
};

const GATEWAY_PAGE =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n';

describe('http target: answers that are not the JSON of the contract', () => {
  it('retries a 409 and a 429 whose body is a text or HTML page, as it retries JSON ones', async () => {
    const s = await service();
    const clock = new WaitLog();
    let n = 0;
    s.fault = (req) => {
      if (req.method !== 'PUT') return undefined;
      n += 1;
      if (n === 1) return { status: 409, html: 'Conflict: a rollout is in progress' };
      if (n === 2) return { status: 429, html: '<html><body><h1>429 Too Many Requests</h1></body></html>' };
      return undefined;
    };
    await expect(reconcile(httpTarget(config(s), undefined, clock), step('v1', 'v2', 10))).resolves.toEqual(
      step('v1', 'v2', 10),
    );
    expect(s.requests.filter((r) => r.method === 'PUT')).toHaveLength(3);
  });

  it("retries a gateway's 502/503/504 and a dropped connection on a traffic change", async () => {
    const s = await service();
    const replies: (Reply | 'reset')[] = [
      { status: 502, html: GATEWAY_PAGE },
      'reset',
      { status: 503, html: '<html><body>Service Unavailable</body></html>' },
      { status: 504, body: { error: 'upstream timed out' } },
    ];
    s.fault = (req) => (req.method === 'PUT' ? replies.shift() : undefined);
    await reconcile(httpTarget(config(s), undefined, new WaitLog()), step('v1', 'v2', 10));
    expect(s.served).toEqual(step('v1', 'v2', 10));
    expect(s.requests.filter((r) => r.method === 'PUT')).toHaveLength(5);
  });

  it('waits for a service that refuses connections until it is up (a restart)', async () => {
    const s = await service(false);
    // The service comes up while model-gate waits for the second time.
    const clock = new (class extends WaitLog {
      override async sleep(ms: number) {
        await super.sleep(ms);
        if (this.waits.length === 2) await start(s);
      }
    })();
    await reconcile(httpTarget(config(s), undefined, clock), step('v1', 'v2', 10));
    expect(s.served).toEqual(step('v1', 'v2', 10));
  });

  it('gives up at the settle timeout, quoting the text of the page the gateway sent', async () => {
    const s = await service();
    s.fault = () => ({ status: 502, html: GATEWAY_PAGE });
    const clock = new WaitLog();
    const target = httpTarget(config(s, { settleTimeoutMs: 10_000 }), undefined, clock);
    const err = await reconcile(target, step('v1', 'v2', 10)).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      `serving layer at ${s.url} answered GET /capabilities with HTTP 502 for 10s: "502 Bad Gateway 502 Bad Gateway nginx/1.22.1"; is the service (or the gateway in front of it) up?`,
    );

    s.fault = (req) => (req.method === 'PUT' ? { status: 500, html: 'Internal Server Error' } : undefined);
    await expect(reconcile(target, step('v1', 'v2', 10))).rejects.toThrow(
      new TargetError(`serving layer at ${s.url} failed PUT /traffic (HTTP 500): "Internal Server Error"`),
    );
    s.fault = (req) => (req.method === 'GET' ? { status: 200, html: '<html>login</html>' } : undefined);
    // The service answered: another read gets the same page, so a read-back does not wait on it.
    await expect(target.read()).rejects.toThrow(
      new TargetStateError(
        `serving layer at ${s.url} answered GET /traffic with a body that is not JSON: "login"`,
      ),
    );
  });
});

describe('http target: Retry-After', () => {
  it('waits as long as Retry-After says, in seconds or as a date, on 409, 429 and 503', async () => {
    const s = await service();
    const clock = new WaitLog();
    // The date is 7 s after the moment of the answer.
    const in7s = () => new Date(clock.now() + 7_000).toUTCString();
    const replies: (() => Reply)[] = [
      () => ({ status: 429, body: { error: 'slow down' }, headers: { 'retry-after': '5' } }),
      () => ({ status: 409, body: { error: 'rollout running' }, headers: { 'retry-after': '5' } }),
      () => ({ status: 503, html: 'maintenance', headers: { 'retry-after': in7s() } }),
    ];
    s.fault = (req) => (req.method === 'PUT' ? replies.shift()?.() : undefined);
    await reconcile(httpTarget(config(s), undefined, clock), step('v1', 'v2', 10));
    expect(clock.waits).toEqual([5_000, 5_000, 7_000]);
  });

  it('never waits past the settle timeout, however long Retry-After asks for', async () => {
    const s = await service();
    s.fault = (req) =>
      req.method === 'PUT'
        ? { status: 429, body: { error: 'slow down' }, headers: { 'retry-after': '3600' } }
        : undefined;
    const clock = new WaitLog();
    const target = httpTarget(config(s, { settleTimeoutMs: 20_000 }), undefined, clock);
    await expect(reconcile(target, step('v1', 'v2', 10))).rejects.toThrow(
      new TargetError(
        `serving layer at ${s.url} kept refusing PUT /traffic for rate limits for 20s: slow down`,
      ),
    );
    expect(clock.waits).toEqual([20_000]);
  });

  it('still ends a busy wait with TargetBusyError', async () => {
    const s = await service();
    s.fault = firstPuts(1000, { status: 409, html: 'busy', headers: { 'retry-after': '2' } });
    const target = httpTarget(config(s, { settleTimeoutMs: 5_000 }), undefined, new WaitLog());
    const err = await reconcile(target, step('v1', 'v2', 10)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetBusyError);
    expect((err as Error).message).toBe(
      `serving layer at ${s.url} is busy with another change ("busy"), still after retrying for 5s; nothing was changed, try again later`,
    );
  });
});

describe('http target: credentials in its URL', () => {
  it('sends them as Basic authorization, as the metric sources do, and never shows them', async () => {
    const s = await service();
    const basic = `Basic ${Buffer.from('svc:p@ss w0rd', 'utf8').toString('base64')}`;
    s.fault = (req) =>
      req.headers.authorization === basic ? undefined : { status: 401, body: { error: 'who are you?' } };
    const url = `http://svc:p%40ss%20w0rd@127.0.0.1:${s.port}/models/fraud`;
    const target = httpTarget(config(s, { url }));
    expect(target.description).toBe(`serving layer at ${s.url}`);
    await expect(reconcile(target, step('v1', 'v2', 10))).resolves.toEqual(step('v1', 'v2', 10));
    expect(new Set(s.requests.map((r) => r.authorization))).toEqual(new Set([basic]));
  });

  it('lets an Authorization header of the config win over them', async () => {
    const s = await service();
    const url = `http://svc:pw@127.0.0.1:${s.port}/models/fraud`;
    await httpTarget(config(s, { url, headers: { Authorization: 'Bearer t0ken' } })).read();
    expect(s.requests.map((r) => r.authorization)).toEqual(['Bearer t0ken']);
  });
});

describe('http target: a strategy the service cannot serve', () => {
  it('refuses fractional steps on a service with whole-percent weights before moving any traffic', async () => {
    const s = await service();
    s.capabilities = { strategies: ['canary'], weights: 'integer' };
    const model = {
      name: 'fraud',
      strategy: {
        type: 'canary' as const,
        steps: [10, 12.5],
        stepDurationMs: 8_000,
        minRequests: 50,
        intervalMs: 1_000,
      },
    };
    const target = httpTarget(config(s), model, new WaitLog());
    // The request's refusal: nothing changed, and the config must (not a retry).
    await expect(reconcile(target, step('v1', 'v2', 10))).rejects.toThrow(
      new TargetRefusedError(
        `models.fraud.strategy.steps[1]: serving layer at ${s.url} takes whole percentages of traffic (its /capabilities say weights: integer), got 12.5; use whole numbers`,
      ),
    );
    expect(s.requests.filter((r) => r.method === 'PUT')).toEqual([]);
    // Taking the candidate away stays possible.
    await expect(reconcile(target, withdrawTraffic('v1'))).resolves.toEqual({ stable: { version: 'v1' } });
  });
});

describe('http target: a read-back that differs in the third decimal', () => {
  it('shows both weights precisely enough to see the difference', async () => {
    const s = await service();
    // The service rounds weights to its own grid and serves 2.1234 when asked for 2.12.
    s.fault = (req, body) => {
      if (req.method !== 'PUT') return undefined;
      const asked = JSON.parse(body);
      s.served = { ...asked, canary: { ...asked.canary, weight: 2.1234 } };
      return { status: 200, body: { ...s.served, updating: false } };
    };
    await expect(reconcile(httpTarget(config(s)), step('v1', 'v2', 2.12))).rejects.toThrow(
      new TargetError(
        `serving layer at ${s.url} serves v1 97.8766% / v2 2.1234% after being asked for v1 97.88% / v2 2.12%`,
      ),
    );
  });
});

describe('http target: one settle timeout for a whole traffic change', () => {
  // settle-timeout 5m: the PUT's retries, the wait for `updating: false` and the GETs in that
  // wait share it, from the moment the change begins (a watch job's lease counts on that).
  const slow = (s: Service) => config(s, { settleTimeoutMs: 300_000, pollIntervalMs: 5_000 });
  const unavailable: Reply = { status: 503, html: 'maintenance', headers: { 'retry-after': '30' } };

  it('gives up 5m after the change began when the service goes down while it converges', async () => {
    const s = await service();
    const clock = new WaitLog();
    const t0 = clock.now();
    const at = () => clock.now() - t0;
    // 503 on the PUT for a minute; then it converges for a minute, and the gateway fails.
    s.fault = (req, body) => {
      if (req.method === 'PUT') {
        if (at() < 60_000) return unavailable;
        s.served = JSON.parse(body);
        return { status: 202, body: { ...s.served, updating: true } };
      }
      if (req.method === 'GET' && req.url?.endsWith('/traffic')) {
        return at() < 120_000 ? { status: 200, body: { ...s.served, updating: true } } : unavailable;
      }
      return undefined;
    };
    const target = httpTarget(slow(s), undefined, clock);
    await expect(reconcile(target, step('v1', 'v2', 10))).rejects.toThrow(
      new TargetError(
        `serving layer at ${s.url} answered GET /traffic with HTTP 503 for 3m, giving up 5m after the traffic change began (settle-timeout 5m): "maintenance"; is the service (or the gateway in front of it) up?`,
      ),
    );
    expect(at()).toBe(300_000);

    // A read on its own gets a settle timeout of its own, not what the change left over.
    await expect(target.read()).rejects.toThrow(
      new TargetError(
        `serving layer at ${s.url} answered GET /traffic with HTTP 503 for 5m: "maintenance"; is the service (or the gateway in front of it) up?`,
      ),
    );
    expect(at()).toBe(600_000);
  });

  it('counts a busy PUT against the wait for updating: false', async () => {
    const s = await service();
    const clock = new WaitLog();
    const t0 = clock.now();
    s.fault = (req, body) => {
      if (req.method === 'PUT') {
        if (clock.now() - t0 < 120_000) return { status: 409, body: { error: 'rollout running' } };
        s.served = JSON.parse(body);
      }
      return req.url?.endsWith('/traffic')
        ? { status: 200, body: { ...s.served, updating: true } }
        : undefined;
    };
    const err = await reconcile(httpTarget(slow(s), undefined, clock), step('v1', 'v2', 10)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TargetBusyError);
    expect((err as Error).message).toBe(
      `serving layer at ${s.url} did not settle: it still reports updating: true 5m after the traffic change began (settle-timeout 5m); try again later`,
    );
    expect(clock.now() - t0).toBe(300_000);
  });

  it('says the change may have begun when GET /traffic stays busy or unreachable after the PUT', async () => {
    const s = await service();
    const clock = new WaitLog();
    const t0 = clock.now();
    let afterPut: Reply | 'reset' = { status: 409, body: { error: 'rollout running' } };
    // Each change: a minute of 503 on its PUT, which is then taken; GET /traffic fails from then on.
    s.fault = (req, body) => {
      if (req.method === 'PUT') {
        if ((clock.now() - t0) % 300_000 < 60_000) return unavailable;
        s.served = JSON.parse(body);
        return { status: 202, body: { ...s.served, updating: true } };
      }
      return req.url?.endsWith('/traffic') ? afterPut : undefined;
    };
    const target = httpTarget(slow(s), undefined, clock);
    const err = await reconcile(target, step('v1', 'v2', 10)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetBusyError);
    expect((err as Error).message).toBe(
      `serving layer at ${s.url} is busy with another change (rollout running), still after retrying for 4m, giving up 5m after the traffic change began (settle-timeout 5m); try again later`,
    );

    afterPut = 'reset';
    const dropped = (await reconcile(target, step('v1', 'v2', 20)).catch((e: unknown) => e)) as Error;
    expect(dropped.message).toMatch(
      /^GET \S+\/traffic failed: .+ \(still after retrying for 4m\), giving up 5m after the traffic change began \(settle-timeout 5m\)$/,
    );
    expect(clock.now() - t0).toBe(600_000);
  });

  it('counts the retries of its capabilities against the PUT', async () => {
    const s = await service();
    const clock = new WaitLog();
    const t0 = clock.now();
    s.fault = (req) => {
      if (req.url?.endsWith('/capabilities')) return clock.now() - t0 < 200_000 ? unavailable : undefined;
      return req.method === 'PUT'
        ? { status: 429, body: { error: 'slow down' }, headers: { 'retry-after': '30' } }
        : undefined;
    };
    await expect(reconcile(httpTarget(slow(s), undefined, clock), step('v1', 'v2', 10))).rejects.toThrow(
      new TargetError(
        `serving layer at ${s.url} kept refusing PUT /traffic for rate limits for 1m30s, giving up 5m after the traffic change began (settle-timeout 5m): slow down`,
      ),
    );
    expect(clock.now() - t0).toBe(300_000);
  });
});
