import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Row, syntheticRows, TRUE_MODEL } from '../../src/sandbox/dataset.js';
import type { WindowReport } from '../../src/sandbox/metrics-store.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { startTraffic } from '../../src/sandbox/traffic.js';
import { call } from './helpers.js';

const MODEL = 'fraud-detector';
let sandbox: Sandbox;
// A plain recorder of what the generator sends, for comparing two runs body by body.
let recorder: Server;
let recorderUrl: string;
let received: { body: { id: string; features: number[] }; userId: string | undefined }[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: MODEL, stable: 'v1' }],
    seed: 4,
  });
  recorder = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      text += c;
    });
    req.on('end', () => {
      const userId = req.headers['x-user-id'];
      received.push({ body: JSON.parse(text), userId: typeof userId === 'string' ? userId : undefined });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
  recorderUrl = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await sandbox.close();
  await new Promise<void>((resolve) => {
    recorder.close(() => resolve());
    recorder.closeAllConnections();
  });
});

/** Polls (briefly) until `done` holds; a bound, not a timing assertion. */
async function until(done: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await done()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`gave up waiting until ${what}`);
}

const openConnections = (server: Server) =>
  new Promise<number>((resolve, reject) => server.getConnections((e, n) => (e ? reject(e) : resolve(n))));

describe('syntheticRows', () => {
  const take = (seed: number, n: number): Row[] => {
    const it = syntheticRows(seed);
    return Array.from({ length: n }, () => it.next().value as Row);
  };

  it('gives the same rows for the same seed and different rows for another', () => {
    expect(take(5, 200)).toEqual(take(5, 200));
    expect(take(6, 5)[0]?.features).not.toEqual(take(5, 5)[0]?.features);
  });

  it('draws 4 standard-normal features and labels from the true logistic model', () => {
    const rows = take(1, 20_000);
    const all = rows.flatMap((r) => r.features);
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    const variance = all.reduce((a, b) => a + (b - mean) ** 2, 0) / all.length;
    expect(rows.every((r) => r.features.length === 4)).toBe(true);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    // Mean label matches the mean true probability (standard error ~0.0035).
    const p = (x: number[]) =>
      1 / (1 + Math.exp(-x.reduce((z, xi, i) => z + xi * (TRUE_MODEL.weights[i] ?? 0), TRUE_MODEL.bias)));
    const meanLabel = rows.reduce((a, r) => a + r.label, 0) / rows.length;
    const meanP = rows.reduce((a, r) => a + p(r.features), 0) / rows.length;
    expect(Math.abs(meanLabel - meanP)).toBeLessThan(0.015);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
  });
});

describe('startTraffic', () => {
  it('sends live traffic the sandbox counts one for one, and stop() waits for it all', async () => {
    const traffic = startTraffic({ url: sandbox.url, model: MODEL, rps: 400, seed: 3 });
    await until(() => traffic.stats().sent >= 150, '150 requests were sent');
    await traffic.stop();
    const stats = traffic.stats();
    expect(stats.ok + stats.failed).toBe(stats.sent); // nothing left in flight
    expect(stats.ok).toBeGreaterThan(0);
    const counted = (await call<WindowReport>('GET', `${sandbox.url}/metrics.json?model=${MODEL}`)).body;
    expect(counted.slots.stable?.requests).toBe(stats.sent);
    expect(counted.slots.stable?.errors).toBe(stats.failed); // only model errors fail here
  });

  it('sends the same rows for the same seed, and leaves no request or socket open after stop()', async () => {
    const run = async () => {
      received = [];
      const traffic = startTraffic({ url: recorderUrl, rps: 500, seed: 9, userIds: 20 });
      await until(() => received.length >= 100, '100 requests arrived');
      await traffic.stop();
      const sent = traffic.stats().sent;
      expect(received).toHaveLength(sent);
      await until(async () => (await openConnections(recorder)) === 0, 'the keep-alive sockets closed');
      return [...received];
    };
    const first = await run();
    const second = await run();
    const byId = (rs: typeof received) => new Map(rs.map((r) => [r.body.id, r]));
    const a = byId(first);
    const b = byId(second);
    for (let n = 0; n < 100; n++) {
      const id = `s9-${n}`;
      expect(a.get(id)?.body.features).toHaveLength(4);
      expect(b.get(id)).toEqual(a.get(id));
    }
    expect(first.every((r) => /^u([0-9]|1[0-9])$/.test(r.userId ?? ''))).toBe(true);
  });

  it('waits without spinning when the next request is further off than a timer can wait', async () => {
    // 1e-7 req/s: the first arrival is some 116 days off; the timer used to fire at once, again and again.
    const overflows: Error[] = [];
    const onWarning = (w: Error) => {
      if (w.name === 'TimeoutOverflowWarning') overflows.push(w);
    };
    process.on('warning', onWarning);
    try {
      const traffic = startTraffic({ url: recorderUrl, rps: 1e-7, seed: 1 });
      await new Promise((resolve) => setTimeout(resolve, 200));
      await traffic.stop();
      expect(traffic.stats().sent).toBe(0);
      expect(overflows).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('refuses a rate that is not positive', () => {
    expect(() => startTraffic({ url: sandbox.url, rps: 0 })).toThrow('rps: must be > 0, got 0');
  });

  it('shifts every feature only of the requests arriving shiftAfterMs or later after the start', async () => {
    const run = async (opts: { shift?: number; shiftAfterMs?: number }) => {
      received = [];
      const traffic = startTraffic({ url: recorderUrl, rps: 1000, seed: 11, ...opts });
      await until(() => received.length >= 300, '300 requests arrived');
      await traffic.stop();
      return new Map(received.map((r) => [r.body.id, r.body.features]));
    };
    const plain = await run({});
    const delayed = await run({ shift: 1.5, shiftAfterMs: 100 });
    const shifted: boolean[] = [];
    for (let n = 0; n < 300; n++) {
      const before = plain.get(`s11-${n}`) ?? [];
      const after = delayed.get(`s11-${n}`) ?? [];
      expect(after).toHaveLength(4);
      const moved = after.map((f, i) => f - (before[i] ?? Number.NaN));
      if (moved.every((d) => d === 0)) shifted.push(false);
      else {
        for (const d of moved) expect(d).toBeCloseTo(1.5, 12);
        shifted.push(true);
      }
    }
    // About 100 unshifted rows (1000 req/s for 100 ms), then only shifted ones.
    const first = shifted.indexOf(true);
    expect(first).toBeGreaterThan(30);
    expect(first).toBeLessThan(250);
    expect(shifted.slice(first).every(Boolean)).toBe(true);
  });

  it('refuses a shift delay that is not a number of ms >= 0', () => {
    expect(() => startTraffic({ url: sandbox.url, rps: 1, shift: 1, shiftAfterMs: -1 })).toThrow(
      'shiftAfterMs: must be a number of ms >= 0, got -1',
    );
  });
});
