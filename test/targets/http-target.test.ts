import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { HttpTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import { TargetBusyError } from '../../src/targets/errors.js';
import { capabilitiesSchema, httpTarget, trafficStatusSchema } from '../../src/targets/http-target.js';
import { reconcile } from '../../src/targets/reconcile.js';
import {
  OPENAPI_PATH,
  type ServingLayer,
  startServingLayer,
} from '../support/standins/http-serving-layer.js';
import { FAST, failingCanary, passingBlueGreen, passingCanary, step } from './drive.js';

let layer: ServingLayer;
const config = (): HttpTargetConfig => ({
  type: 'http',
  url: layer.url,
  headers: { Authorization: 'Bearer s3cret' },
  strategies: ['canary'],
  ...FAST,
});

beforeAll(async () => {
  layer = await startServingLayer({
    deployed: ['v1', 'v2'],
    stable: 'v1',
    token: 's3cret',
    capabilities: { strategies: ['canary', 'linear', 'blue-green'], weights: 'integer' },
  });
});
afterAll(async () => {
  await layer?.close();
});
beforeEach(() => {
  layer.traffic = { stable: { version: 'v1' } };
  layer.faults = { busy: 0, throttle: 0, silentRevert: 0, converge: 0, delayMs: 0, dropMirror: 0 };
  layer.requests = [];
});

describe('http target against a serving layer written to docs/http-target.openapi.yaml', () => {
  it('drives a passing blue-green: the promoted state keeps blue deployed without traffic', async () => {
    const seen = await passingBlueGreen(httpTarget(config()), 'v1', 'v2');
    expect(seen.at(-1)).toEqual({ stable: { version: 'v2' }, canary: { version: 'v1', weight: 0 } });
    expect(layer.contractViolations).toEqual([]);
  });

  it('drives a passing canary through PUT/GET /traffic, with the configured headers', async () => {
    const seen = await passingCanary(httpTarget(config()), 'v1', 'v2');
    expect(seen).toEqual([
      step('v1', 'v2', 10),
      step('v1', 'v2', 50),
      step('v1', 'v2', 0),
      { stable: { version: 'v2' } },
    ]);
    expect(layer.traffic).toEqual({ stable: { version: 'v2' } });
    expect(layer.requests[0]).toMatchObject({ method: 'GET', path: '/capabilities' });
    expect(layer.requests.every((r) => r.authorization === 'Bearer s3cret')).toBe(true);
    expect(layer.contractViolations).toEqual([]);
  });

  it('rolls a failing canary back to the stable version only', async () => {
    await failingCanary(httpTarget(config()), 'v1', 'v2');
    expect(layer.traffic).toEqual({ stable: { version: 'v1' } });
  });

  it('catches a service that answered 200 but kept serving the old state', async () => {
    layer.faults.silentRevert = 1;
    await expect(reconcile(httpTarget(config()), step('v1', 'v2', 10))).rejects.toThrow(
      new TargetError(`serving layer at ${layer.url} serves v1 100% after being asked for v1 90% / v2 10%`),
    );
  });

  it('waits through 409 busy and 429 throttling, and a 202 that converges', async () => {
    Object.assign(layer.faults, { busy: 2, throttle: 2, converge: 2 });
    // The service's Retry-After (1 s) is waited on the clock, not in real time; the whole change
    // (two busy PUTs, the throttled calls, the convergence) takes longer than FAST's 2 s.
    const target = httpTarget({ ...config(), settleTimeoutMs: 10_000 }, undefined, new FakeClock());
    await expect(reconcile(target, step('v1', 'v2', 10))).resolves.toEqual(step('v1', 'v2', 10));
    const gets = layer.requests.filter((r) => r.method === 'GET' && r.path === '/traffic');
    expect(gets.length).toBeGreaterThanOrEqual(3);
  });

  it('gives up on a service that stays busy with TargetBusyError', async () => {
    layer.faults.busy = 1000;
    const target = httpTarget(
      { ...config(), settleTimeoutMs: 60_000, pollIntervalMs: 20 },
      undefined,
      new FakeClock(),
    );
    const err = await reconcile(target, step('v1', 'v2', 10)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetBusyError);
    expect((err as Error).message).toBe(
      `serving layer at ${layer.url} is busy with another change (another traffic change is in progress), still after retrying for 1m; nothing was changed, try again later`,
    );
    expect(layer.traffic).toEqual({ stable: { version: 'v1' } });
  });

  it("reports the service's own reason for a state it cannot serve, a timeout, and wrong credentials", async () => {
    await expect(reconcile(httpTarget(config()), step('v1', 'v3', 10))).rejects.toThrow(
      `serving layer at ${layer.url} refused PUT /traffic (HTTP 422): version v3 is not deployed`,
    );
    layer.faults.delayMs = 400;
    // Made again until the settle timeout (on the clock), then reported with what to change.
    await expect(
      httpTarget({ ...config(), timeoutMs: 100 }, undefined, new FakeClock()).read(),
    ).rejects.toThrow(
      /GET .*\/traffic failed: no answer within 100ms \(still after retrying for 2s\); raise the target's timeout if the service is just slow$/,
    );
    layer.faults.delayMs = 0;
    await expect(httpTarget({ ...config(), headers: {} }).read()).rejects.toThrow(
      /refused GET \/traffic \(HTTP 401\): missing or wrong bearer token/,
    );
  });

  it("never names its URL's credentials, which may hold a secret", async () => {
    const secret = 'TARGETPASS_s3cr3t';
    const url = `http://admin:${secret}@127.0.0.1:1/api`;
    // Nobody listens: the refused connection is retried until the settle timeout, on the clock.
    const target = httpTarget({ ...config(), url }, undefined, new FakeClock());
    expect(target.description).toBe('serving layer at http://127.0.0.1:1/api');
    const error = (await target.read().catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^GET http:\/\/127\.0\.0\.1:1\/api\/traffic failed: /);
    expect(error.message).not.toContain(secret);
  });

  it('refuses what the service says it cannot do: a declared strategy, a fractional weight', async () => {
    const shadow = httpTarget({ ...config(), strategies: ['canary', 'shadow'] });
    await expect(reconcile(shadow, step('v1', 'v2', 10))).rejects.toThrow(
      `serving layer at ${layer.url} can do canary, linear, blue-green, but the config declares shadow for it: remove it from target.strategies or add it to the service`,
    );
    await expect(reconcile(httpTarget(config()), step('v1', 'v2', 12.5))).rejects.toThrow(
      `serving layer at ${layer.url} takes whole percentages of traffic, got 12.5`,
    );
    expect(layer.requests.some((r) => r.method === 'PUT')).toBe(false);
  });

  it('the OpenAPI document describes every call and its examples parse as the adapter reads them', () => {
    const doc = parse(readFileSync(OPENAPI_PATH, 'utf8'));
    expect(Object.keys(doc.paths['/traffic'])).toEqual(['get', 'put']);
    expect(Object.keys(doc.paths['/traffic'].put.responses)).toEqual(
      expect.arrayContaining(['200', '202', '409', '422', '429']),
    );
    const capabilities = doc.paths['/capabilities'].get.responses['200'].content['application/json'].example;
    expect(capabilitiesSchema.parse(capabilities).strategies).toContain('canary');
    const status = doc.paths['/traffic'].get.responses['200'].content['application/json'].example;
    expect(trafficStatusSchema.parse(status)).toEqual({ ...step('v1', 'v2', 10), updating: false });
  });
});

describe('http target: a shadow on a service that declares a mirror', () => {
  let shadowLayer: ServingLayer;
  beforeAll(async () => {
    shadowLayer = await startServingLayer({
      deployed: ['v1', 'v2'],
      stable: 'v1',
      capabilities: { strategies: ['canary', 'shadow'], mirror: { maxPercent: 50 } },
    });
  });
  afterAll(() => shadowLayer?.close());
  const target = () =>
    httpTarget({
      type: 'http',
      url: shadowLayer.url,
      headers: {},
      strategies: ['canary', 'shadow'],
      ...FAST,
    });
  const shadow = {
    stable: { version: 'v1' },
    canary: { version: 'v2', weight: 0 },
    mirror: { version: 'v2', share: 25 },
  };

  it('PUTs the mirror, reads it back, and stops it with the next state', async () => {
    await reconcile(target(), shadow);
    expect(shadowLayer.traffic).toEqual(shadow);
    expect(await target().read()).toEqual(shadow);
    await reconcile(target(), { stable: { version: 'v1' } });
    expect(shadowLayer.traffic).toEqual({ stable: { version: 'v1' } });
    expect(shadowLayer.contractViolations).toEqual([]);
  });

  it('catches a service that applied the traffic but dropped the mirror', async () => {
    shadowLayer.faults.dropMirror = 1;
    await expect(reconcile(target(), shadow)).rejects.toThrow(
      `serving layer at ${shadowLayer.url} serves v1 100% after being asked for v1 100% (+ mirror 25% to v2)`,
    );
  });

  it('refuses a share above the declared mirror limit, and a mirror the service does not have', async () => {
    const puts = () => shadowLayer.requests.filter((r) => r.method === 'PUT').length;
    const before = puts();
    await expect(reconcile(target(), { ...shadow, mirror: { version: 'v2', share: 60 } })).rejects.toThrow(
      `serving layer at ${shadowLayer.url} mirrors at most 50% of live traffic, asked for 60%`,
    );
    expect(puts()).toBe(before);
    await expect(reconcile(httpTarget(config()), shadow)).rejects.toThrow(
      `serving layer at ${layer.url} has no mirror in its capabilities, so it cannot shadow v2`,
    );
  });
});
