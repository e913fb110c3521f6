import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { call } from './helpers.js';

// A request straight to one deployed version (a blue-green smoke test on green): answered by
// that version whatever the live split, and kept out of the metrics the gates judge.
const MODEL = 'fraud-detector';
let sandbox: Sandbox;
const direct = (version: string, features: number[]) =>
  call<{ version?: string; prediction?: number; error?: string }>(
    'POST',
    `${sandbox.url}/models/${MODEL}/versions/${version}/predict`,
    { features },
  );

beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
  await call('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, {
    stable: { version: 'v1' },
    canary: { version: 'v3', weight: 0 },
  });
});
afterAll(() => sandbox.close());

describe('POST /models/{model}/versions/{version}/predict', () => {
  it('is answered by a version that has no live traffic, with its own faults', async () => {
    const since = Date.now();
    const ok = await direct('v3', [0.1, 0.2, 0.3, 0.4]);
    expect(ok.status).toBe(200);
    expect(ok.body.version).toBe('v3');
    // v3 fails when feature 2 is above 1.175; v1, serving live, would not.
    const failed = await direct('v3', [0.1, 0.2, 1.5, 0.4]);
    expect(failed).toMatchObject({ status: 500, body: { error: 'model error', version: 'v3' } });
    expect((await direct('v1', [0.1, 0.2, 1.5, 0.4])).status).toBe(200);
    const metrics = await call<{ slots: Record<string, { requests: number } | undefined> }>(
      'GET',
      `${sandbox.url}/metrics.json?model=${MODEL}&since=${since}`,
    );
    expect(metrics.body.slots.canary?.requests ?? 0).toBe(0);
    expect(metrics.body.slots.stable?.requests ?? 0).toBe(0);
  });

  it('refuses a version that is not deployed, naming the deployed ones', async () => {
    const res = await direct('v4', [0, 0, 0, 0]);
    expect(res.status).toBe(404);
    expect(res.body.error).toBe(
      'version "v4" of model fraud-detector is not deployed (deployed: v1, v3); a direct request reaches only a deployed version',
    );
  });
});
