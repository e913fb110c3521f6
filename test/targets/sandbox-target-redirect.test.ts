import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isPermanent, TargetAccessError } from '../../src/targets/errors.js';
import { sandboxTarget } from '../../src/targets/sandbox-target.js';
import { step } from './drive.js';

// A sandbox target whose url answers with a redirect (http to https, a moved host) read
// "refused: HTTP 308", an error a read-back waited on, with nothing to do. The http target says
// where the redirect points and what to set the url to (http-target-answers-rest.test.ts); the
// sandbox target now says the same. The server is real, on 127.0.0.1.

const MODEL = 'fraud-detector';
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A server answering every request 308 to `where(path)` (no Location when it gives none). */
async function redirecting(where: (path: string, base: string) => string | undefined) {
  const server = createServer((req, res) => {
    const location = where(req.url ?? '/', base);
    res.writeHead(308, location ? { location } : {}).end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  closers.push(() => new Promise<void>((done) => server.close(() => done())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return base;
}

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => expect.unreachable('the call succeeded'),
    (e: unknown) => e as Error,
  );

const NO_FOLLOW =
  'model-gate does not follow redirects, so its requests and their headers never go elsewhere';

describe('the sandbox target, redirected', () => {
  it('to another address: a permanent error naming where, and the url to set', async () => {
    const url = await redirecting((path) => `https://sandbox.internal:8443/ml${path}`);
    const err = await failureOf(sandboxTarget({ type: 'sandbox', url }, MODEL).read());
    expect(err).toBeInstanceOf(TargetAccessError);
    expect(isPermanent(err)).toBe(true);
    expect(err.message).toBe(
      `sandbox ${MODEL} at ${url} redirected GET /admin/models/${MODEL}/traffic (HTTP 308) to https://sandbox.internal:8443/ml/admin/models/${MODEL}/traffic: ${NO_FOLLOW}; set the target's url to https://sandbox.internal:8443/ml`,
    );
  });

  it('a traffic change to its own path with a slash: the url is right, the redirect is the sandbox’s', async () => {
    const url = await redirecting((path, base) => `${base}${path}/`);
    const err = await failureOf(sandboxTarget({ type: 'sandbox', url }, MODEL).write(step('v1', 'v2', 10)));
    expect(err).toBeInstanceOf(TargetAccessError);
    expect(err.message).toBe(
      `sandbox ${MODEL} at ${url} redirected PUT /admin/models/${MODEL}/traffic (HTTP 308) to ${url}/admin/models/${MODEL}/traffic/: ${NO_FOLLOW}; have the sandbox answer ${url}/admin/models/${MODEL}/traffic itself, without the redirect (a trailing-slash rule?)`,
    );
  });

  it('elsewhere, or without saying where: check the url, secrets in the Location hidden', async () => {
    const login = await redirecting(() => 'https://sso.example.com/login?token=s3cret');
    const err = await failureOf(sandboxTarget({ type: 'sandbox', url: login }, MODEL).read());
    expect(err.message).toBe(
      `sandbox ${MODEL} at ${login} redirected GET /admin/models/${MODEL}/traffic (HTTP 308) to https://sso.example.com/login?…: ${NO_FOLLOW}; set the target's url to the address the sandbox answers at`,
    );
    const nowhere = await redirecting(() => undefined);
    const silent = await failureOf(sandboxTarget({ type: 'sandbox', url: nowhere }, MODEL).read());
    expect(silent).toBeInstanceOf(TargetAccessError);
    expect(silent.message).toBe(
      `sandbox ${MODEL} at ${nowhere} redirected GET /admin/models/${MODEL}/traffic (HTTP 308) without saying where (no Location): ${NO_FOLLOW}; check the target's url`,
    );
  });
});
