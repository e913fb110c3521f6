import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticRows } from '../../src/sandbox/dataset.js';
import type { SlotCounts, WindowReport } from '../../src/sandbox/metrics-store.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { startHalfCanarySandbox } from '../support/half-canary-sandbox.js';
import { call, featureRows, type JsonResponse, nextSecond, type Prediction, predictMany } from './helpers.js';

const MODEL = 'fraud-detector';
let sandbox: Sandbox;
const rows = syntheticRows(7);

interface Tally {
  requests: number;
  errors: number;
  nulls: number;
}
type SlotTally = Record<'stable' | 'canary', Tally>;

/** What the client saw, per slot: the numbers /metrics.json must reproduce exactly. */
function tally(responses: JsonResponse<Prediction>[]): SlotTally {
  const t: SlotTally = {
    stable: { requests: 0, errors: 0, nulls: 0 },
    canary: { requests: 0, errors: 0, nulls: 0 },
  };
  for (const r of responses) {
    const slot = t[r.body.slot];
    slot.requests++;
    if (r.status === 500) slot.errors++;
    else if (r.body.prediction === null) slot.nulls++;
  }
  return t;
}

const add = (a: SlotTally, b: SlotTally): SlotTally => ({
  stable: {
    requests: a.stable.requests + b.stable.requests,
    errors: a.stable.errors + b.stable.errors,
    nulls: a.stable.nulls + b.stable.nulls,
  },
  canary: {
    requests: a.canary.requests + b.canary.requests,
    errors: a.canary.errors + b.canary.errors,
    nulls: a.canary.nulls + b.canary.nulls,
  },
});

const metrics = async (query = '') =>
  (await call<WindowReport>('GET', `${sandbox.url}/metrics.json?model=${MODEL}${query}`)).body;
const counts = (c: SlotCounts | undefined) => c && { requests: c.requests, errors: c.errors, nulls: c.nulls };
const mean = (h: SlotCounts['latencyMs']) => h.sum / h.count;

let batchA: SlotTally;
let batchB: SlotTally;
let sinceB: number;

beforeAll(async () => {
  sandbox = await startHalfCanarySandbox(5, 'v3');
  const predictUrl = `${sandbox.url}/models/${MODEL}/predict`;
  batchA = tally(await predictMany(predictUrl, featureRows(rows, 1200)));
  sinceB = await nextSecond();
  batchB = tally(await predictMany(predictUrl, featureRows(rows, 400)));
});
afterAll(() => sandbox.close());

describe('/metrics.json', () => {
  it('counts exactly the requests, errors and nulls the client saw, per slot and version', async () => {
    const all = await metrics();
    const expected = add(batchA, batchB);
    expect(all.model).toBe(MODEL);
    expect(all.slots.stable?.version).toBe('v1');
    expect(all.slots.canary?.version).toBe('v3');
    expect(counts(all.slots.stable)).toEqual(expected.stable);
    expect(counts(all.slots.canary)).toEqual(expected.canary);
    for (const slot of [all.slots.stable, all.slots.canary]) {
      if (!slot) throw new Error('slot missing');
      expect(slot.latencyMs.count).toBe(slot.requests);
      expect(slot.latencyMs.buckets.at(-1)).toEqual({ le: '+Inf', count: slot.requests });
      expect(slot.scores.count).toBe(slot.requests - slot.errors);
      expect(slot.scores.buckets.at(-1)).toEqual({ le: '+Inf', count: slot.requests - slot.errors });
      const ordered = slot.latencyMs.buckets.map((b) => b.count);
      expect(ordered).toEqual([...ordered].sort((x, y) => x - y));
    }
  });

  it('excludes requests completed before `since`', async () => {
    const recent = await metrics(`&since=${sinceB}`);
    expect(recent.since).toBe(sinceB);
    expect(recent.until).toBeGreaterThanOrEqual(sinceB);
    expect(counts(recent.slots.stable)).toEqual(batchB.stable);
    expect(counts(recent.slots.canary)).toEqual(batchB.canary);
  });

  it('counts up to `until`, leaving out the second that contains it', async () => {
    const earlier = await metrics(`&until=${sinceB}`);
    expect(earlier.until).toBe(sinceB);
    expect(counts(earlier.slots.stable)).toEqual(batchA.stable);
    expect(counts(earlier.slots.canary)).toEqual(batchA.canary);
    // What `since=sinceB` counts (batch B) is left out: back-to-back windows share no request.
    expect((await metrics(`&since=${sinceB}&until=${sinceB}`)).slots).toEqual({});
  });

  it('answers up to now, and says so, for an `until` later than now', async () => {
    const asked = Date.now() + 60_000;
    const report = await metrics(`&since=${sinceB}&until=${asked}`);
    expect(report.until).toBeLessThan(asked);
    expect(report.until).toBeGreaterThanOrEqual(sinceB);
    expect(counts(report.slots.stable)).toEqual(batchB.stable);
  });

  it('shows v3 failing more often and answering slower than v1', async () => {
    const { stable, canary } = (await metrics()).slots;
    if (!stable || !canary) throw new Error('slot missing');
    expect(canary.errors / canary.requests).toBeGreaterThan(0.07); // v3 fails on ~12% of inputs
    expect(stable.errors / stable.requests).toBeLessThan(0.02); // v1 on ~0.2%
    // Medians 18 ms vs 6 ms: a difference, so event-loop lag under load (added to both) cannot hide it.
    expect(mean(canary.latencyMs) - mean(stable.latencyMs)).toBeGreaterThan(8);
  });

  it('reports only the current version of a slot that served two', async () => {
    await call('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, {
      stable: { version: 'v1' },
      canary: { version: 'v2', weight: 50 },
    });
    const after = tally(await predictMany(`${sandbox.url}/models/${MODEL}/predict`, featureRows(rows, 200)));
    const all = await metrics();
    expect(all.slots.canary?.version).toBe('v2');
    expect(counts(all.slots.canary)).toEqual(after.canary);
    expect(all.slots.stable?.requests).toBe(
      batchA.stable.requests + batchB.stable.requests + after.stable.requests,
    );
  });

  it('refuses a bad `since`, `until` or model with a message', async () => {
    const bad = await call('GET', `${sandbox.url}/metrics.json?model=${MODEL}&since=yesterday`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('since: must be a time in epoch milliseconds, got "yesterday"');
    const badUntil = await call('GET', `${sandbox.url}/metrics.json?model=${MODEL}&until=-5`);
    expect(badUntil.status).toBe(400);
    expect(badUntil.body.error).toBe('until: must be a time in epoch milliseconds, got "-5"');
    const reversed = await call('GET', `${sandbox.url}/metrics.json?model=${MODEL}&since=2000&until=1000`);
    expect(reversed.status).toBe(400);
    expect(reversed.body.error).toBe('until: must not be before since (2000), got 1000');
    // Also when the end left out (since: the sandbox's start; until: its now) falls on the wrong side.
    const beforeStart = await call('GET', `${sandbox.url}/metrics.json?model=${MODEL}&until=1`);
    expect(beforeStart.status).toBe(400);
    expect(beforeStart.body.error).toMatch(
      /^until: must not be before since, which defaults to the sandbox's start \(\d+\), got 1$/,
    );
    const future = Date.now() + 60_000;
    const notBegun = await call('GET', `${sandbox.url}/metrics.json?model=${MODEL}&since=${future}`);
    expect(notBegun.status).toBe(400);
    expect(notBegun.body.error).toMatch(
      new RegExp(
        `^since: must not be after the sandbox's now \\(\\d+\\), got ${future}: a window that has not begun`,
      ),
    );
    const unknown = await call('GET', `${sandbox.url}/metrics.json?model=nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toContain('"nope"');
  });
});
