import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpTargetConfig, ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { confirmingTarget } from '../../src/release/confirmed-change.js';
import { httpTarget } from '../../src/targets/http-target.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { MemoryTarget } from '../support/memory-target.js';
import { fraudCanaryOn } from '../support/model-config.js';

// The message of a change the platform accepted that no read confirmed said, for the http target
// (whose own wait inside the write retries reads until the settle-timeout, leaving the read-back
// one try at its end), "reading it back failed once (settle-timeout 1m), last with: ... (still
// after retrying for 1m)": once, then retrying. It now says for how long and how often the reads
// failed, and the last error, for every target alike. Time runs on a FakeClock.

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A serving layer at v1 + v2 (10%) that takes every PUT and answers every GET /traffic after one 503. */
async function readsFailAfterPut(): Promise<string> {
  let served: TrafficState = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };
  let taken = false;
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const send = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url?.endsWith('/capabilities')) return send(200, { strategies: ['canary'] });
    if (req.method === 'PUT') {
      served = JSON.parse(text) as TrafficState;
      taken = true;
      return send(200, { ...served, updating: false });
    }
    if (taken) return send(503, { error: 'upstream connect error' });
    return send(200, { ...served, updating: false });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/fraud`;
}

/** The withdrawal to v1 through `make`'s target, read back patiently as a rollback's is: its error. */
async function withdraw(
  target: string,
  make: (model: ModelConfig, clock: FakeClock) => MemoryTarget | ReturnType<typeof httpTarget>,
) {
  const clock = new FakeClock();
  const model = fraudCanaryOn(target).model;
  const confirming = confirmingTarget(make(model, clock), model, clock);
  return reconcile(confirming, withdrawTraffic('v1')).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
}

describe('a change the platform accepted that no read confirmed, in words', () => {
  it('on http (reads retried inside the write): how long and how often they failed, and the last error, once', async () => {
    const url = await readsFailAfterPut();
    const err = await withdraw(
      `{ type: http, url: "${url}", strategies: [canary], settle-timeout: 1m, poll-interval: 10s }`,
      (model, clock) => httpTarget(model.target as HttpTargetConfig, model, clock),
    );
    expect(err?.message).toMatch(
      new RegExp(
        `^serving layer at ${url} accepted the change to v1 100% but never confirmed it: reading it back kept failing until its settle-timeout \\(1m\\) ran out, 1m after the change was sent \\(a read every 10s, its poll-interval\\); the last read failed with: serving layer at ${url} answered GET /traffic with HTTP 503`,
      ),
    );
    expect(err?.message).not.toMatch(/\bonce\b/);
  });

  it('on a target read back by the read-back alone: the same words', async () => {
    class ReadsLost extends MemoryTarget {
      override async read(): Promise<TrafficState> {
        throw new TargetError('memory target: GET /traffic timed out upstream');
      }
    }
    const err = await withdraw(
      '{ type: http, url: "http://127.0.0.1:1/models/fraud", strategies: [canary], settle-timeout: 1m, poll-interval: 10s }',
      () => new ReadsLost({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } }),
    );
    expect(err?.message).toBe(
      'memory target accepted the change to v1 100% but never confirmed it: reading it back kept failing until its settle-timeout (1m) ran out, 1m after the change was sent (a read every 10s, its poll-interval); the last read failed with: memory target: GET /traffic timed out upstream',
    );
  });
});
