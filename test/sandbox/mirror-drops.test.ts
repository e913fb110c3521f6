import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticRows } from '../../src/sandbox/dataset.js';
import type { WindowReport } from '../../src/sandbox/metrics-store.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { call, featureRows, predictMany, until } from './helpers.js';

const MODEL = 'fraud-detector';
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: MODEL, stable: 'v1' }],
    seed: 8,
    mirrorMaxInFlight: 2,
  });
});
afterAll(() => sandbox.close());

const metrics = async () =>
  (await call<WindowReport>('GET', `${sandbox.url}/metrics.json?model=${MODEL}`)).body;

describe('a shadow slower than the traffic', () => {
  it('drops the copies past the in-flight bound, counts them, and never holds a caller', async () => {
    // v3 takes ~18 ms; 32 callers at a time produce far more copies than 2 can run.
    await call('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, {
      stable: { version: 'v1' },
      mirror: { version: 'v3', share: 100 },
    });
    const responses = await predictMany(
      `${sandbox.url}/models/${MODEL}/predict`,
      featureRows(syntheticRows(8), 400),
    );
    expect(responses.every((r) => r.body.version === 'v1' && r.body.slot === 'stable')).toBe(true);
    await until(async () => (await metrics()).mirror?.inFlight === 0, 'the shadow copies finished');
    const m = await metrics();
    const shadow = m.slots.shadow;
    if (!shadow) throw new Error('no shadow slot');
    expect(m.mirror?.maxInFlight).toBe(2);
    expect(shadow.dropped).toBeGreaterThan(100);
    // With a 100% share every request was drawn: each copy either ran or was dropped.
    expect(shadow.requests + (shadow.dropped ?? 0)).toBe(400);
    expect(m.slots.stable?.requests).toBe(400);
  });

  it('refuses a bound that is not a whole number >= 1', async () => {
    await expect(
      startSandbox({
        modelsDir: demoModelsDir,
        endpoints: [{ model: MODEL, stable: 'v1' }],
        mirrorMaxInFlight: 0,
      }),
    ).rejects.toThrow('mirrorMaxInFlight: must be a whole number >= 1, got 0');
    await expect(
      startSandbox({
        modelsDir: demoModelsDir,
        endpoints: [{ model: MODEL, stable: 'v1' }],
        conversionRate: 1.5,
      }),
    ).rejects.toThrow('conversionRate: must be a probability from 0 to 1, got 1.5');
  });
});
