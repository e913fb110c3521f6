import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceView } from '../../src/sandbox/instance-pool.js';
import type { WindowReport } from '../../src/sandbox/metrics-store.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { call, mapLimit, nextSecond, predictWith, until } from './helpers.js';

const MODEL = 'fraud-detector';
/**
 * Longer than the demo's 200 ms, so that a check made right after a change (the pool's state, a
 * request answered 503) still falls inside the warm-up on a busy machine.
 */
const WARMUP_MS = 600;
let sandbox: Sandbox;
let modelsDir: string;
let predictUrl: string;

beforeAll(async () => {
  modelsDir = await mkdtemp(join(tmpdir(), 'model-gate-rolling-'));
  await cp(join(demoModelsDir, MODEL), join(modelsDir, MODEL), { recursive: true });
  for (const version of ['v1', 'v2']) {
    const file = join(modelsDir, MODEL, `${version}.json`);
    await writeFile(
      file,
      JSON.stringify({ ...JSON.parse(await readFile(file, 'utf8')), warmupMs: WARMUP_MS }),
    );
  }
  sandbox = await startSandbox({ modelsDir, endpoints: [{ model: MODEL, stable: 'v1' }], seed: 12 });
  predictUrl = `${sandbox.url}/models/${MODEL}/predict`;
});
afterAll(async () => {
  await sandbox.close();
  await rm(modelsDir, { recursive: true, force: true });
});

const put = (state: unknown) =>
  call<Record<string, unknown>>('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, state);
const rolling = (replaced: number, instances = 8) => ({
  stable: { version: 'v1' },
  rolling: { version: 'v2', instances, replaced },
});
const instances = async () =>
  (await call<{ instances: InstanceView[] }>('GET', `${sandbox.url}/admin/models/${MODEL}/instances`)).body
    .instances;
const metrics = async (since?: number) =>
  (
    await call<WindowReport>(
      'GET',
      `${sandbox.url}/metrics.json?model=${MODEL}${since === undefined ? '' : `&since=${since}`}`,
    )
  ).body;
const allHealthy = async () => (await instances()).every((i) => i.healthy);

interface Served {
  sentAt: number;
  receivedAt: number;
  status: number;
  slot?: string;
  version?: string;
  instance?: string;
}

/** Live traffic while a change rolls: 8 callers in a loop until stopped, every answer kept. */
function liveTraffic() {
  const served: Served[] = [];
  let running = true;
  const caller = async () => {
    while (running) {
      const sentAt = performance.now();
      const res = await predictWith(predictUrl, { features: [0.2, -0.1, 0.3, 0.1] });
      const { slot, version, instance } = res.body;
      served.push({ sentAt, receivedAt: performance.now(), status: res.status, slot, version, instance });
    }
  };
  const callers = Promise.all(Array.from({ length: 8 }, caller));
  return {
    served,
    stop: async () => {
      running = false;
      await callers;
      return served;
    },
  };
}

/** Rolls to `replaced` under live traffic; returns when every instance is healthy again. */
async function rollTo(replaced: number) {
  const traffic = liveTraffic();
  await until(() => traffic.served.length >= 20, 'traffic flows');
  const changedAt = performance.now();
  const res = await put(rolling(replaced));
  const appliedAt = performance.now();
  expect(res.status).toBe(200);
  const during = await instances();
  await until(allHealthy, 'the warm-up ended');
  await until(
    () => traffic.served.filter((s) => s.sentAt > appliedAt + WARMUP_MS).length >= 30,
    'traffic after',
  );
  return { served: await traffic.stop(), changedAt, appliedAt, during };
}

describe('rolling instance pools', () => {
  it('starts a pool of 8 instances already running stable, and spreads requests round-robin', async () => {
    const res = await put(rolling(0));
    expect(res.body).toEqual(rolling(0));
    const pool = await instances();
    expect(pool).toEqual(
      Array.from({ length: 8 }, (_, i) => ({ id: `i${i}`, version: 'v1', healthy: true })),
    );
    const answers = await mapLimit(Array.from({ length: 800 }), 16, () =>
      predictWith(predictUrl, { features: [0, 0, 0, 0] }),
    );
    const perInstance = new Map<string, number>();
    for (const a of answers) {
      expect(a.body).toMatchObject({ slot: 'stable', version: 'v1' });
      perInstance.set(a.body.instance ?? '?', (perInstance.get(a.body.instance ?? '?') ?? 0) + 1);
    }
    expect([...perInstance.keys()].sort()).toEqual(pool.map((i) => i.id));
    expect([...perInstance.values()]).toEqual(new Array(8).fill(100));
  });

  it('replaces 2 of 8: never fewer than 6 healthy, and the new ones serve only after the warm-up', async () => {
    const since = await nextSecond();
    const { served, changedAt, during } = await rollTo(2);
    // Right after the change, the two replaced instances are down, loading v2.
    expect(during.filter((i) => !i.healthy)).toEqual([
      { id: 'i0', version: 'v2', healthy: false },
      { id: 'i1', version: 'v2', healthy: false },
    ]);
    expect(during.filter((i) => i.healthy).every((i) => i.version === 'v1')).toBe(true);
    expect(served.every((s) => s.status === 200)).toBe(true);
    const canary = served.filter((s) => s.slot === 'canary');
    expect(canary.length).toBeGreaterThan(0);
    for (const s of canary) {
      expect(s.version).toBe('v2');
      expect(['i0', 'i1']).toContain(s.instance);
      // Causality, not timing: an answer from a warmed-up instance cannot arrive before the warm-up ended.
      expect(s.receivedAt - changedAt).toBeGreaterThanOrEqual(WARMUP_MS);
    }
    for (const s of served.filter((x) => x.slot === 'stable')) expect(s.version).toBe('v1');

    const m = await metrics(since);
    expect(m.instances).toEqual({ total: 8, healthy: 8, minHealthySeen: 6 });
    expect(m.slots.canary?.version).toBe('v2');
    expect(m.slots.canary?.requests).toBe(canary.length);
    expect(m.slots.stable?.requests).toBe(served.length - canary.length);
    const prometheus = await (await fetch(`${sandbox.url}/metrics`)).text();
    expect(prometheus).toContain(
      'model_gate_traffic_weight{model="fraud-detector",slot="canary",version="v2"} 25',
    );
  });

  it('replaces 2 more (4 of 8) taking down only those two', async () => {
    const since = Date.now();
    const { during } = await rollTo(4);
    expect(during.filter((i) => !i.healthy).map((i) => i.id)).toEqual(['i2', 'i3']);
    expect(during.slice(0, 2)).toEqual([
      { id: 'i0', version: 'v2', healthy: true },
      { id: 'i1', version: 'v2', healthy: true },
    ]);
    expect((await metrics(since)).instances?.minHealthySeen).toBe(6);
  });

  it('rolls back: the replaced instances warm up again and then serve stable only', async () => {
    const since = Date.now();
    const { served, appliedAt, during } = await rollTo(0);
    expect(during.filter((i) => !i.healthy)).toEqual(
      ['i0', 'i1', 'i2', 'i3'].map((id) => ({ id, version: 'v1', healthy: false })),
    );
    expect(await instances()).toEqual(
      Array.from({ length: 8 }, (_, i) => ({ id: `i${i}`, version: 'v1', healthy: true })),
    );
    // Requests sent after the rollback was applied are all answered by v1.
    const after = served.filter((s) => s.sentAt > appliedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((s) => s.slot === 'stable' && s.version === 'v1')).toBe(true);
    // All four come back at once: a rollback is not a batched release.
    expect((await metrics(since)).instances?.minHealthySeen).toBe(4);
  });

  it('answers 503 naming the model while every instance is warming up', async () => {
    expect((await put({ stable: { version: 'v1' } })).body).toEqual({ stable: { version: 'v1' } });
    expect(await instances()).toEqual([]);
    await put(rolling(1, 1));
    const res = await predictWith(predictUrl, { features: [0, 0, 0, 0] });
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('no healthy instance of model fraud-detector: all 1 are warming up');
    expect((await metrics()).instances?.minHealthySeen).toBe(0);
    await until(allHealthy, 'the warm-up ended');
    expect((await predictWith(predictUrl, { features: [0, 0, 0, 0] })).body).toMatchObject({
      slot: 'canary',
      version: 'v2',
      instance: 'i0',
    });
  });

  it.each([
    [
      { version: 'v2', instances: 8, replaced: 9 },
      'rolling.replaced: must be a whole number from 0 to rolling.instances (8), got 9',
    ],
    [
      { version: 'v2', instances: 0, replaced: 0 },
      'rolling.instances: must be a whole number from 1 to 100, got 0',
    ],
    [
      { version: 'v2', instances: 2.5, replaced: 0 },
      'rolling.instances: must be a whole number from 1 to 100, got 2.5',
    ],
    [
      { version: 'v9', instances: 2, replaced: 1 },
      'rolling.version: unknown version "v9" of model fraud-detector',
    ],
  ])('refuses rolling %j naming the field', async (r, message) => {
    const res = await put({ stable: { version: 'v1' }, rolling: r });
    expect(res.status).toBe(400);
    expect(res.body.error).toContain(message);
  });

  it('refuses rolling combined with a canary or a sticky split', async () => {
    const r = { version: 'v2', instances: 4, replaced: 1 };
    const canary = await put({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 5 }, rolling: r });
    expect(canary.status).toBe(400);
    expect(canary.body.error).toBe(
      'rolling: cannot be combined with canary (replaced instances are the canary slot)',
    );
    const sticky = await put({ stable: { version: 'v1' }, sticky: { header: 'x-user-id' }, rolling: r });
    expect(sticky.status).toBe(400);
    expect(sticky.body.error).toContain('rolling: cannot be combined with sticky');
  });
});
