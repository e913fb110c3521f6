import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import { DEADLINE_GRACE_MS } from '../../src/targets/change-deadline.js';
import { httpTarget } from '../../src/targets/http-target.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { step } from './drive.js';

// settle-timeout is the most one traffic change may take, reconcile's read-back after it included:
// a watch job's lease and max-wait count on it. Time runs on a FakeClock; a slow answer is the
// service moving that clock on before it answers.

/** How the service answers one request: a status and body, or 'hang' (it never answers). */
type Answer = { status: number; body: unknown } | 'hang';

interface Service {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

let services: Service[] = [];
afterEach(async () => {
  for (const s of services) await s.close();
  services = [];
});

/** A serving layer whose every answer `answer` gives (`GET /traffic`, `PUT /traffic`, ...). */
async function service(answer: (call: string) => Answer): Promise<Service> {
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const call = `${req.method} ${new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/models\/fraud/, '')}`;
      requests.push(call);
      const a = answer(call);
      if (a === 'hang') return;
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const s: Service = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/fraud`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  services.push(s);
  return s;
}

const config = (s: Service, more: Partial<HttpTargetConfig>): HttpTargetConfig => ({
  type: 'http',
  url: s.url,
  headers: {},
  strategies: ['canary'],
  timeoutMs: 10_000,
  settleTimeoutMs: 60_000,
  pollIntervalMs: 5_000,
  ...more,
});

const CAPABILITIES = { status: 200, body: { strategies: ['canary'] } };
const asked = step('v1', 'v2', 10);
const serving = (updating: boolean) => ({ status: 200, body: { ...asked, updating } });

describe('http target: the read-back after a change keeps the change’s settle-timeout', () => {
  it('gives up on a failing read-back when the change’s settle-timeout runs out, not one more later', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    let gets = 0;
    // The change converges for 50 s; then the gateway fails: the read-back gets 503s.
    const s = await service((call) => {
      if (call === 'GET /capabilities') return CAPABILITIES;
      if (call === 'PUT /traffic') return { status: 202, body: { ...asked, updating: true } };
      if (clock.now() - t0 < 50_000) return serving(true);
      gets += 1;
      return gets === 1 ? serving(false) : { status: 503, body: { error: 'maintenance' } };
    });
    const target = httpTarget(config(s, {}), undefined, clock);
    await expect(reconcile(target, asked)).rejects.toThrow(
      new TargetError(
        `serving layer at ${s.url} answered GET /traffic with HTTP 503 for 10s, giving up 1m after the traffic change began (settle-timeout 1m): maintenance; is the service (or the gateway in front of it) up?`,
      ),
    );
    expect(clock.now() - t0).toBe(60_000);
  });

  it('stops a read-back that has no answer when the change’s time is up, and says to raise settle-timeout', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    // The change converges until its deadline; the last look then takes all of the grace but
    // 250 ms to say it has settled (within the time that request was given). The read-back gets
    // no answer.
    let settled = false;
    const s = await service((call) => {
      if (call === 'GET /capabilities') return CAPABILITIES;
      if (call === 'PUT /traffic') return { status: 202, body: { ...asked, updating: true } };
      if (settled) return 'hang';
      if (clock.now() - t0 < 60_000) return serving(true);
      clock.advance(DEADLINE_GRACE_MS - 250);
      settled = true;
      return serving(false);
    });
    // Its own timeout (20 s) would let the read-back run on well past the change's deadline.
    const target = httpTarget(config(s, { timeoutMs: 20_000 }), undefined, clock);
    await expect(reconcile(target, asked)).rejects.toThrow(
      new TargetError(
        `GET ${s.url}/traffic failed: no answer within 250ms, the time left of the traffic change's settle-timeout (1m); raise the target's settle-timeout if the service is just slow`,
      ),
    );
    // 13 looks, every 5 s from 0 to 60 s, and the read-back.
    expect(s.requests.filter((r) => r === 'GET /traffic')).toHaveLength(14);
    expect(clock.now() - t0).toBe(60_000 + DEADLINE_GRACE_MS - 250);
  });
});
