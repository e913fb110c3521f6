import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WindowReport } from '../../src/sandbox/metrics-store.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { binomialInterval, call, mapLimit, predictWith } from './helpers.js';

const MODEL = 'fraud-detector';
const HEADER = 'x-account';
let sandbox: Sandbox;
let predictUrl: string;
let trafficUrl: string;

beforeAll(async () => {
  sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: MODEL, stable: 'v1' }],
    seed: 6,
  });
  predictUrl = `${sandbox.url}/models/${MODEL}/predict`;
  trafficUrl = `${sandbox.url}/admin/models/${MODEL}/traffic`;
});
afterAll(() => sandbox.close());

const keys = Array.from({ length: 2000 }, (_, i) => `account-${i}`);
const features = (i: number) => [Math.sin(i), Math.cos(i), 0.1, -0.2];

/** The arm each key lands on; every response's header and body agree on it. */
const armsOf = (
  keys: string[],
  headers: (key: string) => Record<string, string> = (k) => ({ [HEADER]: k }),
) =>
  mapLimit(keys, 64, async (key, i) => {
    const res = await predictWith(predictUrl, { features: features(i) }, headers(key));
    expect(res.status === 200 || res.body.error === 'model error').toBe(true);
    expect(res.headers.get('x-model-gate-slot')).toBe(res.body.slot);
    expect(res.body.version).toBe(res.body.slot === 'canary' ? 'v2' : 'v1');
    return res.body.slot;
  });

let firstArms: string[];

describe('sticky routing by a configured header', () => {
  it('splits 2000 keys by the canary weight, within the binomial interval', async () => {
    const state = {
      stable: { version: 'v1' },
      canary: { version: 'v2', weight: 30 },
      sticky: { header: HEADER },
    };
    const applied = await call('PUT', trafficUrl, state);
    expect(applied.body).toEqual(state);
    expect((await call('GET', trafficUrl)).body).toEqual(state);
    firstArms = await armsOf(keys);
    const inCanary = firstArms.filter((a) => a === 'canary').length;
    const [low, high] = binomialInterval(2000, 0.3);
    expect(inCanary).toBeGreaterThanOrEqual(low);
    expect(inCanary).toBeLessThanOrEqual(high);
  });

  it('sends the same key to the same arm every time (100%)', async () => {
    const again = await armsOf(keys);
    expect(again).toEqual(firstArms);
  });

  it('keeps the canary users in the canary as its weight grows', async () => {
    await call('PUT', trafficUrl, {
      stable: { version: 'v1' },
      canary: { version: 'v2', weight: 60 },
      sticky: { header: HEADER },
    });
    const sample = keys.slice(0, 500);
    const grown = await armsOf(sample);
    sample.forEach((_, i) => {
      if (firstArms[i] === 'canary') expect(grown[i]).toBe('canary');
    });
    expect(grown.filter((a) => a === 'canary').length).toBeGreaterThan(
      firstArms.slice(0, 500).filter((a) => a === 'canary').length,
    );
  });

  it('sends requests without the header to stable and counts them as unkeyed', async () => {
    const before = (await call<WindowReport>('GET', `${sandbox.url}/metrics.json?model=${MODEL}`)).body;
    // No header at all, an empty one, and only x-user-id (not the configured header).
    const plain = await armsOf(
      Array.from({ length: 100 }, (_, i) => `none-${i}`),
      () => ({}),
    );
    const empty = await armsOf(['', '', ''], () => ({ [HEADER]: '' }));
    const other = await armsOf(
      Array.from({ length: 50 }, (_, i) => `user-${i}`),
      (k) => ({ 'x-user-id': k }),
    );
    expect([...plain, ...empty, ...other].every((a) => a === 'stable')).toBe(true);
    const after = (await call<WindowReport>('GET', `${sandbox.url}/metrics.json?model=${MODEL}`)).body;
    expect(before.slots.stable?.unkeyed).toBe(0);
    expect(after.slots.stable?.unkeyed).toBe(153);
    expect(after.slots.canary?.unkeyed).toBe(0);
    expect((after.slots.stable?.requests ?? 0) - (before.slots.stable?.requests ?? 0)).toBe(153);
  });

  it('matches the header name case-insensitively and echoes it as applied', async () => {
    const state = {
      stable: { version: 'v1' },
      canary: { version: 'v2', weight: 30 },
      sticky: { header: 'X-Account' },
    };
    expect((await call('PUT', trafficUrl, state)).body).toEqual(state);
    const arms = await armsOf(keys.slice(0, 200));
    expect(arms).toEqual(firstArms.slice(0, 200));
  });

  it.each([
    [{ header: 'x user' }, 'sticky.header: must be an HTTP header name like "x-user-id", got "x user"'],
    [{ header: '' }, 'sticky.header: must be an HTTP header name'],
    [{ name: 'x-user-id' }, 'sticky.name: unknown field'],
    ['x-user-id', 'sticky: must be an object {"header": "x-user-id"}, got string "x-user-id"'],
  ])('refuses sticky %j naming the field', async (sticky, message) => {
    const res = await call('PUT', trafficUrl, { stable: { version: 'v1' }, sticky });
    expect(res.status).toBe(400);
    expect(res.body.error).toContain(message);
  });
});
