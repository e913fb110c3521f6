import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpTargetConfig } from '../../src/config/types.js';
import { isPermanent, TargetAccessError, TargetRefusedError } from '../../src/targets/errors.js';
import { httpTarget } from '../../src/targets/http-target.js';
import { step } from './drive.js';

// A 404 to a traffic change was always "check the target's url: nothing answers PUT /traffic under
// it" and an access failure, though a service that says `model version v9 not found` is there: its
// URL is right, the version is not. A 404 naming a version of the change says so and is a refusal
// of the change (the PR's to fix); one naming none says nothing is at the URL. A serving layer to the
// contract, real on 127.0.0.1, answers the PUT with the 404 each test gives.

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A serving layer that serves v1 and answers every `PUT /traffic` with a 404 saying `error`. */
async function answeringPutWith404(error: string) {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const send = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.method === 'PUT') return send(404, { error });
      if (req.url?.endsWith('/capabilities')) return send(200, { strategies: ['canary'] });
      send(200, { stable: { version: 'v1' }, updating: false });
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  closers.push(() => new Promise<void>((done) => server.close(() => done())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/fraud`;
}

const config = (url: string): HttpTargetConfig => ({
  type: 'http',
  url,
  headers: {},
  strategies: ['canary'],
  timeoutMs: 5_000,
  settleTimeoutMs: 5_000,
  pollIntervalMs: 100,
});

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => expect.unreachable('the change succeeded'),
    (e: unknown) => e as Error,
  );

describe('a 404 to a traffic change on the http target', () => {
  it('naming the candidate: the service does not know that version, a refusal of the change', async () => {
    const url = await answeringPutWith404('model version v9 not found');
    const err = await failureOf(httpTarget(config(url)).write(step('v1', 'v9', 10)));
    expect(err.message).toBe(
      `serving layer at ${url} refused PUT /traffic (HTTP 404): model version v9 not found; version v9 is not known to the service: deploy it there first, or ask for a version it has`,
    );
    expect(err.message).not.toContain("check the target's url");
    // The request is the PR's to change (refused-first-change.ts: "the platform refused the change"), not access.
    expect(err).toBeInstanceOf(TargetRefusedError);
    expect(isPermanent(err)).toBe(true);
  });

  it('naming no version of it (the stable one only inside a path): nothing at the URL, check it', async () => {
    const url = await answeringPutWith404('no route PUT /api/v1/models/fraud/traffic');
    const err = await failureOf(httpTarget(config(url)).write(step('v1', 'v2', 10)));
    expect(err.message).toBe(
      `serving layer at ${url} refused PUT /traffic (HTTP 404): no route PUT /api/v1/models/fraud/traffic; nothing at ${url}/traffic: check the target's url (its host, and the model's name in its path)`,
    );
    expect(err).toBeInstanceOf(TargetAccessError);
    expect(isPermanent(err)).toBe(true);
  });
});
