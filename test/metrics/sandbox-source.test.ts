import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ThresholdGateConfig } from '../../src/config/types.js';
import { MetricsError } from '../../src/core/errors.js';
import { foldMeasurement, measureThreshold } from '../../src/gates/threshold-gate.js';
import { STALE_ALLOWANCE_MS, sandboxSource } from '../../src/metrics/sandbox-source.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import type { GateState } from '../../src/release/types.js';
import { syntheticRows } from '../../src/sandbox/dataset.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { featureRows, predictMany, until as waitUntil } from '../sandbox/helpers.js';
import { type JsonServer, startJsonServer } from '../support/metrics-http.js';

// 2027-01-15T08:00:00Z: a whole second, so the source asks for exactly the window's `since`.
const NOW = 1_800_000_000_000;
const MINUTE = 60_000;

const hist = (n: number) => ({
  buckets: [
    { le: 50, count: 8 * n },
    { le: '+Inf', count: 10 * n },
  ],
  sum: 400 * n,
  count: 10 * n,
});
const slot = (n: number) => ({
  version: 'v2',
  requests: 10 * n,
  errors: 0,
  nulls: 0,
  latencyMs: hist(n),
  scores: hist(n),
});

/**
 * /metrics.json of a sandbox whose canary served 10 requests a minute (1 error, 2 slower than
 * 50 ms), answering as the sandbox does: up to `until`, or up to its now (NOW) when that is earlier.
 */
function perMinute(since: number, asked: number) {
  const until = Math.min(asked, NOW);
  const minutes = Math.max(0, Math.round((until - since) / MINUTE));
  const slot = {
    version: 'v2',
    requests: 10 * minutes,
    errors: minutes,
    nulls: 0,
    latencyMs: hist(minutes),
    scores: hist(minutes),
  };
  return { since, until, slots: { canary: slot } };
}

/** How the served /metrics.json answers a request asking for [since, until) (the test sets it). */
let respond: (since: number, until: number) => unknown;
let server: JsonServer;
let url: string;

beforeAll(async () => {
  server = await startJsonServer((req) => ({
    status: 200,
    body: respond(Number(req.query.get('since')), Number(req.query.get('until'))),
  }));
  url = server.url;
});
afterAll(() => server.close());
/** The `since` of each request the stand-in got. */
const asked = () => server.requests.map((r) => Number(r.query.get('since')));
/** The `until` of each request the stand-in got. */
const askedUntil = () => server.requests.map((r) => Number(r.query.get('until')));

const window = (since: number, until: number, slotName: MetricWindow['slot'] = 'canary'): MetricWindow => ({
  model: 'fraud-detector',
  slot: slotName,
  version: 'v2',
  since,
  until,
});

describe('the sandbox source for the statistical gates', () => {
  beforeEach(() => {
    respond = perMinute;
  });

  it('counts events over the window up to now in one request', async () => {
    const source = sandboxSource({ type: 'sandbox', url });
    server.requests.length = 0;
    expect(await source.count?.('errors', window(NOW - 5 * MINUTE, NOW))).toBe(5);
    expect(await source.count?.('answered', window(NOW - 5 * MINUTE, NOW))).toBe(45);
    expect(asked()).toEqual([NOW - 5 * MINUTE, NOW - 5 * MINUTE]);
    expect(askedUntil()).toEqual([NOW, NOW]);
  });

  it('counts exactly a window that ended earlier by asking the sandbox for its until', async () => {
    const source = sandboxSource({ type: 'sandbox', url });
    server.requests.length = 0;
    expect(await source.count?.('requests', window(NOW - 15 * MINUTE, NOW - 5 * MINUTE))).toBe(100);
    expect(askedUntil()).toEqual([NOW - 5 * MINUTE]);
    const h = await source.buckets?.('latency', window(NOW - 15 * MINUTE, NOW - 5 * MINUTE));
    expect(h).toEqual([
      { le: 50, count: 80 },
      { le: '+Inf', count: 100 },
    ]);
  });

  it('refuses unknown count and histogram queries, naming the known ones', async () => {
    const source = sandboxSource({ type: 'sandbox', url });
    await expect(source.count?.('error-rate', window(NOW - MINUTE, NOW))).rejects.toThrow(MetricsError);
    await expect(source.count?.('error-rate', window(NOW - MINUTE, NOW))).rejects.toThrow(
      'unknown sandbox count query "error-rate" (known: requests, errors, nulls, answered, conversions, exposures, users, exposed-users, converted-users, dropped, offered)',
    );
    await expect(source.buckets?.('p95', window(NOW - MINUTE, NOW))).rejects.toThrow(
      'unknown sandbox histogram "p95" (known: latency, scores)',
    );
  });
});

describe('the sandbox source refuses answers that do not cover the window', () => {
  it('refuses a frozen answer (its until far behind the window end) as stale', async () => {
    // A proxy replaying the last good answer: the counts stop at NOW - 40 s.
    respond = (since) => ({ since, until: NOW - 40_000, slots: { canary: slot(5) } });
    const source = sandboxSource({ type: 'sandbox', url });
    const w = window(NOW - 5 * MINUTE, NOW);
    await expect(source.requests(w)).rejects.toThrow(MetricsError);
    await expect(source.count?.('requests', w)).rejects.toThrow(
      "sandbox metrics for fraud-detector are stale: they end at 07:59:20, 40 s before the window's end (is something caching /metrics.json?)",
    );
    await expect(source.value('error-rate', w)).rejects.toThrow(/are stale/);
    await expect(source.buckets?.('latency', w)).rejects.toThrow(/are stale/);
  });

  it('accepts an answer ending within the allowance of the window end (clock granularity, skew)', async () => {
    const source = sandboxSource({ type: 'sandbox', url });
    for (const lag of [STALE_ALLOWANCE_MS, 1000, 0]) {
      respond = (since) => ({ since, until: NOW - lag, slots: { canary: slot(5) } });
      expect(await source.requests(window(NOW - 5 * MINUTE, NOW))).toBe(50);
    }
    respond = (since) => ({ since, until: NOW - STALE_ALLOWANCE_MS - 1, slots: { canary: slot(5) } });
    await expect(source.requests(window(NOW - 5 * MINUTE, NOW))).rejects.toThrow(/are stale/);
  });

  it('refuses an answer whose since is not the one asked for', async () => {
    // A cache keyed without the query string answering an earlier look's request.
    respond = () => ({ since: NOW - 10 * MINUTE, until: NOW, slots: { canary: slot(10) } });
    const source = sandboxSource({ type: 'sandbox', url });
    server.requests.length = 0;
    await expect(source.requests(window(NOW - 5 * MINUTE, NOW))).rejects.toThrow(
      'sandbox metrics for fraud-detector answer for another window: they start at 07:50:00, not at 07:55:00 as asked (is something caching /metrics.json?)',
    );
    expect(asked()).toEqual([NOW - 5 * MINUTE]);
  });

  it('compares since with exactly what it sent: the window start rounded up to a whole second', async () => {
    const source = sandboxSource({ type: 'sandbox', url });
    respond = (since) => ({ since, until: NOW, slots: { canary: slot(5) } });
    server.requests.length = 0;
    expect(await source.requests(window(NOW - 5 * MINUTE - 400, NOW))).toBe(50);
    expect(asked()).toEqual([NOW - 5 * MINUTE]);
    // An answer echoing the unrounded start is not the one asked for.
    respond = () => ({ since: NOW - 5 * MINUTE - 400, until: NOW, slots: { canary: slot(5) } });
    await expect(source.requests(window(NOW - 5 * MINUTE - 400, NOW))).rejects.toThrow(/another window/);
  });

  it('refuses an answer that does not say which window it covers', async () => {
    const source = sandboxSource({ type: 'sandbox', url });
    respond = (since) => ({ since, slots: { canary: slot(5) } });
    await expect(source.requests(window(NOW - MINUTE, NOW))).rejects.toThrow(
      'sandbox metrics for fraud-detector do not say which window they cover (no until): is /metrics.json served by a model-gate sandbox?',
    );
    respond = () => ({ until: NOW, slots: { canary: slot(5) } });
    await expect(source.requests(window(NOW - MINUTE, NOW))).rejects.toThrow(/\(no since\)/);
  });

  it('refuses, for a window that ended earlier, an answer that ends before it', async () => {
    // A proxy replaying an answer given 30 s before the window ended.
    respond = (since) => ({ since, until: NOW - 5 * MINUTE - 30_000, slots: { canary: slot(9) } });
    const source = sandboxSource({ type: 'sandbox', url });
    await expect(source.requests(window(NOW - 15 * MINUTE, NOW - 5 * MINUTE))).rejects.toThrow(
      "sandbox metrics for fraud-detector are stale: they end at 07:54:30, 30 s before the window's end (is something caching /metrics.json?)",
    );
  });

  it('refuses counts that run past a window that ended earlier (a sandbox that ignores until)', async () => {
    // A sandbox from before `until=` answers from `since` up to its now.
    respond = (since) => perMinute(since, NOW);
    const source = sandboxSource({ type: 'sandbox', url: `${url}/` });
    await expect(source.requests(window(NOW - 15 * MINUTE, NOW - 5 * MINUTE))).rejects.toThrow(
      `sandbox metrics for fraud-detector run past the window asked for: they end at 08:00:00, not at 07:55:00; the sandbox at ${url} ignores until= (it is older than this model-gate): run the same model-gate version for the sandbox`,
    );
    // Within the second after the window's end its counts are what the window holds.
    expect(await source.requests(window(NOW - 5 * MINUTE, NOW - 1000))).toBe(50);
  });

  it("makes a threshold gate's look an error, never a pass, and fails at the error limit", async () => {
    respond = (since) => ({ since, until: NOW - 40_000, slots: { canary: slot(5) } });
    const gate: ThresholdGateConfig = {
      kind: 'threshold',
      name: 'errors',
      query: 'error-rate',
      max: 0.02,
      failureLimit: 0,
      consecutiveErrorLimit: 2,
    };
    const ctx = {
      metrics: sandboxSource({ type: 'sandbox', url }),
      model: 'fraud-detector',
      stable: 'v1',
      candidate: 'v2',
      since: NOW - 5 * MINUTE,
      now: NOW,
      minRequests: 1,
    };
    let state: GateState = {
      name: 'errors',
      kind: 'threshold',
      verdict: 'pending',
      failures: 0,
      inconclusives: 0,
      consecutiveErrors: 0,
    };
    for (let look = 1; look <= 3; look++) {
      const m = await measureThreshold(gate, ctx);
      expect(m.verdict).toBe('error');
      expect(m.note).toMatch(/^sandbox metrics for fraud-detector are stale/);
      state = foldMeasurement(state, gate, m);
      expect(state.verdict).toBe(look <= 2 ? 'pending' : 'fail');
    }
  });
});

describe('the sandbox source on a real sandbox with live traffic', () => {
  let sandbox: Sandbox;
  let traffic: TrafficGenerator;

  beforeAll(async () => {
    sandbox = await startSandbox({
      modelsDir: demoModelsDir,
      endpoints: [{ model: 'fraud-detector', stable: 'v1' }],
      seed: 1,
    });
    traffic = startTraffic({ url: sandbox.url, model: 'fraud-detector', rps: 100, seed: 2 });
  });
  afterAll(async () => {
    await traffic?.stop();
    await sandbox?.close();
  });

  it('is never refused over several looks, for windows up to now and windows that ended earlier', async () => {
    const source = sandboxSource({ type: 'sandbox', url: sandbox.url });
    // A phase that starts mid-second, as a real one does (just before this second, which is
    // asked for from its beginning), as the traffic begins. The looks begin once the sandbox has
    // counted requests in the phase, so every look has some (a look counts only the seconds that
    // have ended, and on a slow machine the first answers can land after the phase's first second).
    const start = Math.floor(Date.now() / 1000) * 1000 - 1;
    const live = (end: number) => ({ ...window(start, end, 'stable'), version: 'v1' });
    await waitUntil(
      async () => (await source.requests(live(Date.now()))) > 0,
      'the phase has counted requests',
    );
    const seen: number[] = [];
    for (let look = 0; look < 8; look++) {
      await new Promise((r) => setTimeout(r, 400));
      const now = Date.now();
      const w = live(now);
      seen.push(await source.requests(w));
      expect(await source.value('error-rate', w)).toBeGreaterThanOrEqual(0);
      expect(await source.count?.('answered', w)).toBeGreaterThan(0);
      expect(await source.buckets?.('latency', w)).toBeDefined();
      // A reference window that ended 1.5 s ago, asked with its until: never refused, never
      // negative (the first looks' one ends before the traffic began: no counts, no data).
      const earlier = { ...w, since: start - 2000, until: now - 1500 };
      const counted = await source.count?.('requests', earlier);
      expect(counted === undefined || counted >= 0).toBe(true);
    }
    // Live counts, not a replay: they kept growing.
    expect(seen[seen.length - 1]).toBeGreaterThan(seen[0] ?? 0);
  });
});

describe('the sandbox source on a real sandbox: windows that ended earlier, under live traffic', () => {
  // The sandbox counts by a clock the test sets, so the requests of each second are known exactly;
  // the traffic and the reads are real and run at the same time.
  let t = NOW;
  let sandbox: Sandbox;
  let traffic: TrafficGenerator;
  const served: number[] = [];
  const stable = (since: number, until: number): MetricWindow => ({
    ...window(since, until, 'stable'),
    version: 'v1',
  });

  beforeAll(async () => {
    sandbox = await startSandbox({
      modelsDir: demoModelsDir,
      endpoints: [{ model: 'fraud-detector', stable: 'v1' }],
      seed: 3,
      now: () => t,
    });
    const rows = syntheticRows(4);
    // 300 requests in the second NOW, then 200 in the next one; a model error is served too.
    for (const [at, n] of [
      [NOW + 500, 300],
      [NOW + 1500, 200],
    ] as const) {
      t = at;
      const statuses = (await predictMany(`${sandbox.url}/predict`, featureRows(rows, n))).map(
        (r) => r.status,
      );
      expect(statuses.every((s) => s === 200 || s === 500)).toBe(true);
      served.push(statuses.length);
    }
    // From here on the live traffic lands 5 s after NOW, after every window read below.
    t = NOW + 5000;
    traffic = startTraffic({ url: sandbox.url, model: 'fraud-detector', rps: 300, seed: 6 });
  });
  afterAll(async () => {
    await traffic?.stop();
    await sandbox?.close();
  });

  it('counts exactly the requests served in each window, never fewer or negative, on every read', async () => {
    const source = sandboxSource({ type: 'sandbox', url: sandbox.url });
    const [first = 0, second = 0] = served;
    const windows: [MetricWindow, number][] = [
      [stable(NOW - 3000, NOW), 0],
      [stable(NOW, NOW + 1000), first],
      [stable(NOW + 1000, NOW + 2000), second],
      [stable(NOW, NOW + 2000), first + second],
      [stable(NOW + 2000, NOW + 4000), 0],
    ];
    const sentBefore = traffic.stats().sent;
    for (let read = 0; read < 10; read++) {
      for (const [w, requests] of windows) {
        expect(await source.requests(w)).toBe(requests);
      }
    }
    const both = await source.buckets?.('latency', stable(NOW, NOW + 2000));
    expect(both?.at(-1)).toEqual({ le: '+Inf', count: first + second });
    // The reads raced live traffic: requests kept being served while they ran.
    expect(traffic.stats().sent).toBeGreaterThan(sentBefore);
  });

  it("still refuses counts that end well before the window's end (the sandbox's clock is behind it)", async () => {
    const source = sandboxSource({ type: 'sandbox', url: sandbox.url });
    await expect(source.requests(stable(NOW, NOW + 8000))).rejects.toThrow(
      "sandbox metrics for fraud-detector are stale: they end at 08:00:05, 3 s before the window's end",
    );
  });
});

describe('the sandbox source on a real sandbox: every gate of one look reads the same counts', () => {
  // The sandbox's clock is set by the test: requests land in the seconds it chooses.
  let t = NOW;
  let sandbox: Sandbox;
  const rows = syntheticRows(8);
  const serve = async (at: number, n: number) => {
    t = at;
    await predictMany(`${sandbox.url}/predict`, featureRows(rows, n));
  };

  beforeAll(async () => {
    sandbox = await startSandbox({
      modelsDir: demoModelsDir,
      endpoints: [{ model: 'fraud-detector', stable: 'v1' }],
      seed: 9,
      now: () => t,
    });
  });
  afterAll(() => sandbox?.close());

  it('counts the seconds that have ended, not the requests of the second still running', async () => {
    const source = sandboxSource({ type: 'sandbox', url: sandbox.url });
    await serve(NOW + 500, 30);
    await serve(NOW + 1200, 20);
    // One look at 1.2 s into the phase: its gates ask one after the other, while requests go on.
    const look = { ...window(NOW, NOW + 1200, 'stable'), version: 'v1' };
    const errorsGate = await source.requests(look);
    await serve(NOW + 1350, 20);
    const latencyGate = await source.buckets?.('latency', look);
    expect(errorsGate).toBe(30);
    expect(latencyGate?.at(-1)).toEqual({ le: '+Inf', count: 30 });
    // The next look, once the second has ended, counts it whole.
    t = NOW + 2100;
    expect(await source.requests({ ...look, until: NOW + 2100 })).toBe(70);
  });

  it('has no counts, and no error, before a whole second of the window has ended', async () => {
    const source = sandboxSource({ type: 'sandbox', url: sandbox.url });
    t = NOW + 2300;
    const justBegun = { ...window(NOW + 2100, NOW + 2300, 'stable'), version: 'v1' };
    expect(await source.requests(justBegun)).toBe(0);
    expect(await source.count?.('errors', justBegun)).toBeUndefined();
  });
});
