import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { httpTarget } from '../../src/targets/http-target.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { passingCanaryRecordWorld, tickJob } from '../support/canary-record-world.js';
import { step } from './drive.js';

// A serving layer that misses an answer within the target's `timeout` once (a GC pause, a slow
// node behind the gateway) is as passing as one that refuses a connection: the call is made again
// within the change's settle-timeout. It failed the step after one PUT ("no answer within 300ms")
// with nine minutes of its settle-timeout unused, and the release rolled back. A PUT asks for a
// whole state (idempotent by the contract), so making it again is safe even if the first one took.
// The serving layer is real, on 127.0.0.1; each request waits out `timeout` in real time, the
// waits between tries run on a FakeClock.

/** Which calls (`PUT /traffic`, `GET /traffic`) get their answer only after `LATE_MS`, and how many of them. */
type Late = { call: string; times: number };
const LATE_MS = 1_000;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A serving layer at v1 that takes every PUT (and says so `LATE_MS` late when `late` says). */
async function servingLayer(late: Late = { call: '', times: 0 }) {
  let served: TrafficState = { stable: { version: 'v1' } };
  const calls: string[] = [];
  let lateLeft = late.times;
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      const call = `${req.method} ${new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/models\/fraud/, '')}`;
      calls.push(call);
      if (call === 'PUT /traffic') served = JSON.parse(text) as TrafficState;
      const body = call === 'GET /capabilities' ? { strategies: ['canary'] } : { ...served, updating: false };
      const answer = () =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (call === late.call && lateLeft-- > 0) setTimeout(answer, LATE_MS).unref();
      else answer();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  closers.push(
    () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  );
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/fraud`;
  return { url, calls, served: () => served };
}

/** timeout 300ms, settle-timeout 10m, poll-interval 10s: the reviewer's case. */
const config = (url: string): HttpTargetConfig => ({
  type: 'http',
  url,
  headers: {},
  strategies: ['canary'],
  timeoutMs: 300,
  settleTimeoutMs: 600_000,
  pollIntervalMs: 10_000,
});

describe('http target: a call with no answer within its timeout is made again within the settle-timeout', () => {
  it('a PUT /traffic missed once: made again after the poll interval, and the step reaches its weight', async () => {
    const layer = await servingLayer({ call: 'PUT /traffic', times: 1 });
    const clock = new FakeClock();
    const t0 = clock.now();
    await expect(
      reconcile(httpTarget(config(layer.url), undefined, clock), step('v1', 'v2', 10)),
    ).resolves.toEqual(step('v1', 'v2', 10));
    expect(layer.calls.filter((c) => c === 'PUT /traffic')).toHaveLength(2);
    expect(layer.served()).toEqual(step('v1', 'v2', 10));
    expect(clock.now() - t0).toBe(10_000);
  });

  it('a GET /traffic missed once (a read on its own, a shadow tick): read again, what serves is returned', async () => {
    const layer = await servingLayer({ call: 'GET /traffic', times: 1 });
    await expect(httpTarget(config(layer.url), undefined, new FakeClock()).read()).resolves.toEqual({
      stable: { version: 'v1' },
    });
    expect(layer.calls).toEqual(['GET /traffic', 'GET /traffic']);
  });

  it('a PUT /traffic never answered in time: fails at the settle-timeout, saying to raise the timeout', async () => {
    const layer = await servingLayer({ call: 'PUT /traffic', times: Number.POSITIVE_INFINITY });
    const clock = new FakeClock();
    const t0 = clock.now();
    const err = await reconcile(httpTarget(config(layer.url), undefined, clock), step('v1', 'v2', 10)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TargetError);
    expect((err as Error).message).toBe(
      `PUT ${layer.url}/traffic failed: no answer within 300ms (still after retrying for 10m); raise the target's timeout if the service is just slow`,
    );
    expect(clock.now() - t0).toBe(600_000);
    // After 10s, 20s, 40s, ... 320s, then at the deadline.
    expect(layer.calls.filter((c) => c === 'PUT /traffic')).toHaveLength(7);
  });

  it('a release whose step to 10% meets one missed PUT analyses that step instead of rolling back', async () => {
    const layer = await servingLayer({ call: 'PUT /traffic', times: 1 });
    const w = await passingCanaryRecordWorld(
      `{ type: http, url: "${layer.url}", strategies: [canary], timeout: 300ms, settle-timeout: 10m, poll-interval: 10s }`,
    );
    w.ports.targetFor = (model) => httpTarget(model.target as HttpTargetConfig, model, w.clock);
    const [release] = (await tickJob(w)).releases;
    expect(release).toMatchObject({
      status: 'analysing',
      reason: 'analysing step 1 of 2 (10% of live traffic)',
    });
    expect(layer.served()).toEqual(step('v1', 'v2', 10));
    expect(layer.calls.filter((c) => c === 'PUT /traffic').length).toBeGreaterThanOrEqual(2);
  });
});
