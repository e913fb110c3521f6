import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpTargetConfig, ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { confirmingTarget, UnconfirmedChange } from '../../src/release/confirmed-change.js';
import { httpTarget } from '../../src/targets/http-target.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { fraudCanaryOn } from '../support/model-config.js';

// A rollback's read-back answered 401/403 (the token expired, a permission was taken away) or 404
// (the route is gone) was read again every poll-interval for the whole settle-timeout (10m here),
// then reported as an unconfirmed change quoting the last answer. Waiting changes neither: the
// rollback fails after one read, saying what to fix. A gateway's 503 is still waited out.
// Time runs on a FakeClock; the serving layer is real, on 127.0.0.1.

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

type Reply = { status: number; body: unknown };

/**
 * A serving layer that serves v1 + v2 at 10%, takes the rollback's PUT, answers the GET that settles
 * it, and answers each GET after that (the read-back) with the next of `readBack` (the last one repeated).
 */
async function servingLayer(readBack: Reply[]) {
  let served: unknown = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };
  const seen = { readBacks: 0 };
  let settled = false;
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const send = ({ status, body }: Reply) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method === 'PUT') {
      served = JSON.parse(text);
      return send({ status: 200, body: served });
    }
    if (!settled) {
      settled = true;
      return send({ status: 200, body: { ...(served as object), updating: false } });
    }
    seen.readBacks += 1;
    const reply = readBack[Math.min(seen.readBacks, readBack.length) - 1] as Reply;
    send(reply.status === 200 ? { status: 200, body: served } : reply);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  closers.push(
    () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  );
  return { seen, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** The rollback to v1 on the serving layer at `url`, read back patiently: its error, and the time it took. */
async function rollBack(url: string) {
  const clock = new FakeClock();
  const began = clock.now();
  const model: ModelConfig = fraudCanaryOn(
    `{ type: http, url: "${url}", strategies: [canary], settle-timeout: 10m, poll-interval: 10s }`,
  ).model;
  const target = confirmingTarget(httpTarget(model.target as HttpTargetConfig, model, clock), model, clock);
  const err = await reconcile(target, withdrawTraffic('v1')).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { err, tookMs: clock.now() - began };
}

describe('a rollback on the http target whose read-back no wait can fix', () => {
  it.each([
    [
      401,
      'token expired',
      "check the credentials model-gate sends (the target's headers, or user:password in its url): expired, or without the permission",
    ],
    [
      403,
      'not allowed to read traffic',
      "check the credentials model-gate sends (the target's headers, or user:password in its url): expired, or without the permission",
    ],
    [
      404,
      'no such route',
      "nothing at {url}/traffic: check the target's url (its host, and the model's name in its path)",
    ],
  ])('answered HTTP %i: fails after one read, at once, naming what to fix', async (status, said, fix) => {
    const layer = await servingLayer([{ status, body: { error: said } }]);
    const { err, tookMs } = await rollBack(layer.url);
    expect(err).not.toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toBe(
      `serving layer at ${layer.url} refused GET /traffic (HTTP ${status}): ${said}; ${fix.replace('{url}', layer.url)}`,
    );
    expect(layer.seen.readBacks).toBe(1);
    expect(tookMs).toBe(0);
  });

  it('answered HTTP 503 (a gateway while the service restarts): waits, and the rollback is confirmed', async () => {
    const unavailable = { status: 503, body: { error: 'upstream connect error' } };
    const layer = await servingLayer([unavailable, unavailable, { status: 200, body: {} }]);
    const { err, tookMs } = await rollBack(layer.url);
    expect(err).toBeUndefined();
    expect(layer.seen.readBacks).toBe(3);
    expect(tookMs).toBeGreaterThan(0);
  });
});
