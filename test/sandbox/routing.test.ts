import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrafficState } from '../../src/core/traffic.js';
import { syntheticRows } from '../../src/sandbox/dataset.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { binomialInterval, call, featureRows, mapLimit, predictMany, predictWith } from './helpers.js';

const MODEL = 'fraud-detector';
let sandbox: Sandbox;
let trafficUrl: string;
let predictUrl: string;
const rows = syntheticRows(42);

const put = (state: unknown) => call<TrafficState & { error?: string }>('PUT', trafficUrl, state);
const get = () => call<TrafficState>('GET', trafficUrl);

beforeAll(async () => {
  sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: MODEL, stable: 'v1' }],
    seed: 3,
  });
  trafficUrl = `${sandbox.url}/admin/models/${MODEL}/traffic`;
  predictUrl = `${sandbox.url}/models/${MODEL}/predict`;
});
afterAll(() => sandbox.close());

describe('weighted routing', () => {
  it('sends a 20% canary a binomial share of 2000 requests, each slot answering with its version', async () => {
    expect((await put({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 20 } })).status).toBe(
      200,
    );
    const responses = await predictMany(predictUrl, featureRows(rows, 2000));
    const ok = responses.filter((r) => r.status === 200 || r.body.error === 'model error');
    expect(ok).toHaveLength(2000);
    for (const r of responses) {
      expect(r.headers.get('x-model-gate-slot')).toBe(r.body.slot);
      expect(r.body.version).toBe(r.body.slot === 'canary' ? 'v2' : 'v1');
    }
    const canary = responses.filter((r) => r.body.slot === 'canary').length;
    const [low, high] = binomialInterval(2000, 0.2);
    expect(canary).toBeGreaterThanOrEqual(low);
    expect(canary).toBeLessThanOrEqual(high);
  });

  it('keeps a weight-0 canary deployed but sends it nothing', async () => {
    const applied = await put({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 0 } });
    expect(applied.body).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 0 } });
    const responses = await predictMany(predictUrl, featureRows(rows, 300));
    expect(responses.filter((r) => r.body.slot === 'canary')).toHaveLength(0);
    expect((await get()).body.canary).toEqual({ version: 'v2', weight: 0 });
  });

  it('keeps users on one slot with x-user-id, splitting users by the weight', async () => {
    await put({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 30 } });
    const slotOf = async (user: string) => {
      const res = await fetch(predictUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user-id': user },
        body: JSON.stringify({ features: [0, 0, 0, 0] }),
      });
      await res.text();
      return res.headers.get('x-model-gate-slot');
    };
    const users = Array.from({ length: 400 }, (_, i) => `user-${i}`);
    const first = await Promise.all(users.map(slotOf));
    const again = await Promise.all(users.map(slotOf));
    expect(again).toEqual(first);
    const [low, high] = binomialInterval(400, 0.3);
    const inCanary = first.filter((s) => s === 'canary').length;
    expect(inCanary).toBeGreaterThanOrEqual(low);
    expect(inCanary).toBeLessThanOrEqual(high);
  });

  it('splits requests with an empty x-user-id by the weight, as without one (no key, not one arm)', async () => {
    await put({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 50 } });
    const slots = await mapLimit(featureRows(rows, 400), 32, async (features) => {
      const res = await predictWith(predictUrl, { features }, { 'x-user-id': '' });
      return res.headers.get('x-model-gate-slot');
    });
    const [low, high] = binomialInterval(400, 0.5);
    const inCanary = slots.filter((s) => s === 'canary').length;
    expect(inCanary).toBeGreaterThanOrEqual(low);
    expect(inCanary).toBeLessThanOrEqual(high);
  });

  it('answers POST /predict with the first model', async () => {
    await put({ stable: { version: 'v2' } });
    const res = await call('POST', `${sandbox.url}/predict`, { features: [0.1, 0.2, -0.3, 0.4] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ model: MODEL, version: 'v2', slot: 'stable' });
  });
});

describe('traffic changes', () => {
  it('reads back exactly what was applied, fractional weights included, and removes a canary', async () => {
    const state = { stable: { version: 'v2' }, canary: { version: 'v3', weight: 12.5 } };
    const applied = await put(state);
    expect(applied.status).toBe(200);
    expect(applied.body).toEqual(state);
    expect((await get()).body).toEqual(state);
    const listed = await call<{ models: unknown[] }>('GET', `${sandbox.url}/admin/models`);
    expect(listed.body.models).toEqual([
      { model: MODEL, versions: ['v1', 'v2', 'v3', 'v4'], traffic: state },
    ]);

    const stableOnly = await put({ stable: { version: 'v1' } });
    expect(stableOnly.body).toEqual({ stable: { version: 'v1' } });
    expect((await get()).body).toEqual({ stable: { version: 'v1' } });
  });

  it('rejects an unknown version with its name and the available ones, and changes nothing', async () => {
    const before = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 5 } };
    await put(before);
    const canary = await put({ stable: { version: 'v1' }, canary: { version: 'v9', weight: 50 } });
    expect(canary.status).toBe(400);
    expect(canary.body.error).toBe(
      'canary.version: unknown version "v9" of model fraud-detector; available: v1, v2, v3, v4',
    );
    const stable = await put({ stable: { version: '../v1' } });
    expect(stable.status).toBe(400);
    expect(stable.body.error).toContain('stable.version: unknown version "../v1"');
    expect((await get()).body).toEqual(before);
  });

  it.each([
    [{ stable: { version: 'v1' }, canary: { version: 'v2', weight: 150 } }, 'canary.weight', '150'],
    [{ stable: { version: 'v1' }, canary: { version: 'v2', weight: -1 } }, 'canary.weight', '-1'],
    [{ stable: { version: 'v1' }, canary: { version: 'v2', weight: '20' } }, 'canary.weight', '"20"'],
    [{ stable: { version: 'v1' }, canary: { version: 'v2' } }, 'canary.weight', 'got nothing'],
    [{ canary: { version: 'v2', weight: 5 } }, 'stable', 'got nothing'],
    [{ stable: { version: 1 } }, 'stable.version', '1'],
    [{ stable: { version: 'v1' }, canery: {} }, 'canery', 'unknown field'],
    [[], 'request body', 'an array'],
  ])('rejects %j with 400 naming %s', async (body, field, value) => {
    const before = (await get()).body;
    const res = await put(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toContain(field);
    expect(res.body.error).toContain(value);
    expect((await get()).body).toEqual(before);
  });

  it('answers 404 for an unknown model', async () => {
    const res = await call('GET', `${sandbox.url}/admin/models/nope/traffic`);
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('unknown model "nope"; served models: fraud-detector');
  });
});
