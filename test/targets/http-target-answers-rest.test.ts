import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { HttpTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { isPermanent, TargetAccessError } from '../../src/targets/errors.js';
import { httpTarget } from '../../src/targets/http-target.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { canaryOnTarget, prReleaseWorld } from '../support/pr-release-world.js';
import { OPENAPI_PATH } from '../support/standins/http-serving-layer.js';
import { failingCanary, passingCanary, step } from './drive.js';

// Serving layers as REST frameworks write them, real on 127.0.0.1: a PUT answered 201 or 204 No
// Content, absent parts of GET /traffic sent as null (FastAPI/pydantic), a redirect (http to https,
// `/traffic` to `/traffic/`), a service too slow for the target's timeout. Each was a failure
// with no clue (a 204 "refused", its rollback "also failed"), or stopped every release.

interface RestAnswers {
  /** The status of a PUT the service applied: 201 with the status, 204 with no body. */
  put?: number;
  /** Absent canary/mirror/sticky in GET /traffic as null, as pydantic writes them. */
  nulls?: boolean;
  /** A redirect instead of the answer to `method path`: its status and Location (none when undefined). */
  redirect?: (method: string, path: string) => { status: number; location?: string } | undefined;
  /** Never answers GET /capabilities. */
  hang?: boolean;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A serving layer of v1 and v2 at `/models/fraud` answering as `answers` says; what it serves, the calls it got. */
async function restService(answers: RestAnswers) {
  let traffic: TrafficState = { stable: { version: 'v1' } };
  const calls: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').replace(/^\/models\/fraud/, '').replace(/\?.*$/, '');
      const method = req.method ?? 'GET';
      calls.push(`${method} ${path}`);
      const send = (status: number, body?: unknown) => {
        res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
        res.end(body === undefined ? undefined : JSON.stringify(body));
      };
      const redirect = answers.redirect?.(method, path);
      if (redirect) {
        res.writeHead(redirect.status, redirect.location ? { location: redirect.location } : {});
        return res.end();
      }
      const status = answers.nulls
        ? { canary: null, mirror: null, sticky: null, ...traffic, updating: false }
        : { ...traffic, updating: false };
      if (path === '/capabilities') {
        if (answers.hang) return;
        return send(200, { strategies: ['canary'] });
      }
      if (method === 'GET') return send(200, status);
      traffic = JSON.parse(Buffer.concat(chunks).toString()) as TrafficState;
      const put = answers.put ?? 200;
      send(put, put === 204 ? undefined : { ...traffic, updating: false });
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
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/models/fraud`, port, calls, served: () => traffic };
}

const config = (url: string, more: Partial<HttpTargetConfig> = {}): HttpTargetConfig => ({
  type: 'http',
  url,
  headers: {},
  strategies: ['canary'],
  timeoutMs: 5_000,
  settleTimeoutMs: 5_000,
  pollIntervalMs: 100,
  ...more,
});

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => expect.unreachable('the change succeeded'),
    (e: unknown) => e as Error,
  );

describe('a PUT /traffic the service applied and answered with another 2xx', () => {
  it.each([201, 204])('HTTP %i: accepted like a 202, confirmed by reading GET /traffic back', async (put) => {
    const service = await restService({ put });
    const target = httpTarget(config(service.url), undefined, new FakeClock());
    expect(await failingCanary(target, 'v1', 'v2')).toEqual([step('v1', 'v2', 10), withdrawTraffic('v1')]);
    expect(service.served()).toEqual(withdrawTraffic('v1'));
  });

  it('204 No Content: a release goes through to its promotion, with nothing "refused" or "also failed"', async () => {
    const service = await restService({ put: 204 });
    const { release, ports, lines } = await prReleaseWorld(
      canaryOnTarget(`{ type: http, url: "${service.url}", settle-timeout: 2s, poll-interval: 10ms }`),
    );
    expect(await release(7, 'v1', 'v2')).toEqual(['ready', 'promoted']);
    expect(service.served()).toEqual(withdrawTraffic('v2'));
    expect((await ports.ledger.history('fraud')).map((e) => e.kind)).toEqual(['promotion']);
    expect(lines.join('\n')).not.toMatch(/refused|also failed/);
  });
});

describe('GET /traffic with absent parts sent as null (FastAPI/pydantic)', () => {
  it('reads `"canary": null` (and mirror, sticky) as absent: a canary runs and promotes', async () => {
    const service = await restService({ nulls: true });
    const seen = await passingCanary(httpTarget(config(service.url), undefined, new FakeClock()), 'v1', 'v2');
    expect(seen.at(-1)).toEqual(withdrawTraffic('v2'));
  });

  it('is what the OpenAPI document allows (nullable), and a PUT may answer 204', () => {
    const doc = parse(readFileSync(OPENAPI_PATH, 'utf8'));
    const ajv = new Ajv2020({ strict: false });
    ajv.addSchema(doc, 'openapi');
    const valid = ajv.compile({ $ref: 'openapi#/components/schemas/TrafficStatus' });
    expect(
      valid({ stable: { version: 'v1' }, canary: null, mirror: null, sticky: null, updating: false }),
    ).toBe(true);
    expect(valid({ stable: { version: 'v1' }, canary: { version: 'v2' } })).toBe(false);
    expect(Object.keys(doc.paths['/traffic'].put.responses)).toContain('204');
  });
});

describe('a redirect (3xx), which model-gate never follows', () => {
  it.each([301, 302, 307, 308])(
    'HTTP %i from http to https: says where, to set the target’s url to it, with no secret of the Location',
    async (status) => {
      let https = '';
      const service = await restService({
        redirect: (_method, path) => ({ status, location: `${https}${path}?sig=s3cr3t` }),
      });
      https = `https://svc:hunter2@127.0.0.1:${service.port}/models/fraud`;
      const err = await failureOf(reconcile(httpTarget(config(service.url)), step('v1', 'v2', 10)));
      expect(err.message).toBe(
        `serving layer at ${service.url} redirected GET /capabilities (HTTP ${status}) to https://127.0.0.1:${service.port}/models/fraud/capabilities?…: model-gate does not follow redirects, so its requests and their headers never go elsewhere; set the target's url to https://127.0.0.1:${service.port}/models/fraud`,
      );
      expect(err.message).not.toMatch(/s3cr3t|hunter2/);
      expect(err).toBeInstanceOf(TargetAccessError);
    },
  );

  it('of /traffic to /traffic/ after a PUT it took: permanent, so the read-back stops at once', async () => {
    const service = await restService({
      redirect: (method, path) =>
        method === 'GET' && path === '/traffic'
          ? { status: 308, location: '/models/fraud/traffic/' }
          : undefined,
    });
    const clock = new FakeClock();
    const err = await failureOf(
      reconcile(httpTarget(config(service.url), undefined, clock), withdrawTraffic('v2')),
    );
    expect(err.message).toBe(
      `serving layer at ${service.url} redirected GET /traffic (HTTP 308) to ${service.url}/traffic/: model-gate does not follow redirects, so its requests and their headers never go elsewhere; have the service answer ${service.url}/traffic itself, without the redirect (a trailing-slash rule?)`,
    );
    expect(isPermanent(err)).toBe(true);
    expect(service.calls.filter((c) => c === 'GET /traffic')).toHaveLength(1);
  });

  it('without a Location: says so', async () => {
    const service = await restService({ redirect: () => ({ status: 302 }) });
    const err = await failureOf(reconcile(httpTarget(config(service.url)), step('v1', 'v2', 10)));
    expect(err.message).toBe(
      `serving layer at ${service.url} redirected GET /capabilities (HTTP 302) without saying where (no Location): model-gate does not follow redirects, so its requests and their headers never go elsewhere; check the target's url`,
    );
  });
});

describe('a request with no answer within the target’s timeout', () => {
  it('is made again until the settle-timeout, then says to raise the timeout if the service is just slow', async () => {
    const service = await restService({ hang: true });
    const err = await failureOf(
      reconcile(
        httpTarget(config(service.url, { timeoutMs: 200 }), undefined, new FakeClock()),
        step('v1', 'v2', 10),
      ),
    );
    expect(err.message).toBe(
      `GET ${service.url}/capabilities failed: no answer within 200ms (still after retrying for 5s); raise the target's timeout if the service is just slow`,
    );
    expect(service.calls.filter((c) => c === 'GET /capabilities').length).toBeGreaterThan(1);
  });
});
