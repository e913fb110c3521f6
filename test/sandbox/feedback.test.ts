import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Row, syntheticRows } from '../../src/sandbox/dataset.js';
import type { Outcomes, SlotCounts, WindowReport } from '../../src/sandbox/metrics-store.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { startTraffic } from '../../src/sandbox/traffic.js';
import { binomialInterval, call, mapLimit, nextSecond, post, predictWith, until } from './helpers.js';

const MODEL = 'fraud-detector';
/** High, so that v3's 0.85 factor is a large effect in a few thousand requests. */
const CONVERSION_RATE = 0.5;
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: MODEL, stable: 'v1' }],
    seed: 9,
    conversionRate: CONVERSION_RATE,
  });
});
afterAll(() => sandbox.close());

const predictUrl = () => `${sandbox.url}/models/${MODEL}/predict`;
const feedbackUrl = () => `${sandbox.url}/models/${MODEL}/feedback`;
const setTraffic = (state: unknown) => call('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, state);
const metrics = async (since?: number) =>
  (
    await call<WindowReport>(
      'GET',
      `${sandbox.url}/metrics.json?model=${MODEL}${since === undefined ? '' : `&since=${since}`}`,
    )
  ).body;
const outcomes = (s: SlotCounts | undefined): Outcomes =>
  s?.outcomes ?? { labelled: 0, correct: 0, conversions: 0, exposures: 0 };
const minus = (a: Outcomes, b: Outcomes): Outcomes => ({
  labelled: a.labelled - b.labelled,
  correct: a.correct - b.correct,
  conversions: a.conversions - b.conversions,
  exposures: a.exposures - b.exposures,
});

/** An A/B split: v1 against v3, each request sticky by its own id, so its arm is fixed by the id. */
const AB = {
  stable: { version: 'v1' },
  canary: { version: 'v3', weight: 50 },
  sticky: { header: 'x-user-id' },
};

interface Answered {
  row: Row;
  slot: 'stable' | 'canary';
  version: string;
  prediction: 0 | 1 | null | undefined;
}

async function predictRows(rows: Row[]): Promise<Answered[]> {
  return mapLimit(rows, 64, async (row) => {
    const res = await predictWith(
      predictUrl(),
      { id: row.id, features: row.features },
      { 'x-user-id': row.id },
    );
    expect([200, 500]).toContain(res.status);
    return {
      row,
      slot: res.body.slot,
      version: res.body.version,
      prediction: res.status === 200 ? res.body.prediction : undefined,
    };
  });
}

const take = (seed: number, n: number) => {
  const it = syntheticRows(seed);
  return Array.from({ length: n }, () => it.next().value as Row);
};

describe('delayed outcome feedback', () => {
  it('credits labels and conversions to the arm and version that served each request', async () => {
    await setTraffic(AB);
    const answered = await predictRows(take(31, 400));
    const since = await nextSecond();
    const expected = { stable: zero(), canary: zero() };
    await mapLimit(answered, 32, async (a, i) => {
      const converted = i % 4 === 0;
      const res = await post(feedbackUrl(), { id: a.row.id, label: a.row.label, converted });
      expect(res.status).toBe(200);
      const correct = a.prediction === a.row.label;
      expect(res.body).toEqual({
        id: a.row.id,
        model: MODEL,
        slot: a.slot,
        version: a.version,
        converted,
        correct,
      });
      const e = expected[a.slot];
      e.exposures++;
      e.labelled++;
      if (correct) e.correct++;
      if (converted) e.conversions++;
    });
    // Only feedback arrived in this window, no request: the slots still appear, with their outcomes.
    const m = await metrics(since);
    expect(m.slots.stable?.requests).toBe(0);
    expect(m.slots.stable?.version).toBe('v1');
    expect(m.slots.canary?.version).toBe('v3');
    expect(outcomes(m.slots.stable)).toEqual(expected.stable);
    expect(outcomes(m.slots.canary)).toEqual(expected.canary);
    expect(expected.stable.exposures).toBeGreaterThan(100);
    expect(expected.canary.exposures).toBeGreaterThan(100);
  });

  it('converts fewer of the requests v3 served than of those v1 served (seeded, deterministic)', async () => {
    await setTraffic(AB);
    const before = await metrics();
    const answered = await predictRows(take(32, 2000));
    const drawn = { stable: { n: 0, failed: 0, converted: 0 }, canary: { n: 0, failed: 0, converted: 0 } };
    await mapLimit(answered, 32, async (a) => {
      // No `converted`: the sandbox draws it from its rate and the serving version's factor.
      const res = await post<{ converted: boolean; version: string }>(feedbackUrl(), {
        id: a.row.id,
        label: a.row.label,
      });
      expect(res.body.version).toBe(a.version);
      drawn[a.slot].n++;
      if (a.prediction === undefined) drawn[a.slot].failed++;
      if (res.body.converted) drawn[a.slot].converted++;
    });
    const after = await metrics();
    const v1 = minus(outcomes(after.slots.stable), outcomes(before.slots.stable));
    const v3 = minus(outcomes(after.slots.canary), outcomes(before.slots.canary));
    expect(v1.conversions).toBe(drawn.stable.converted);
    expect(v3.conversions).toBe(drawn.canary.converted);
    expect(v1.exposures + v3.exposures).toBe(2000);
    // Each arm converts at its version's rate (0.5 and 0.5 × 0.85) on the requests it answered,
    // within its binomial interval: a request the model failed never converts (v3 fails 12%).
    for (const [arm, p] of [
      [drawn.stable, CONVERSION_RATE],
      [drawn.canary, CONVERSION_RATE * 0.85],
    ] as const) {
      const [low, high] = binomialInterval(arm.n - arm.failed, p);
      expect(arm.converted).toBeGreaterThanOrEqual(low);
      expect(arm.converted).toBeLessThanOrEqual(high);
    }
    // Seed 9 gives 528 of 1023 for v1 and 369 of 977 for v3, every run: arms and draws hang on the ids.
    expect(drawn.canary.converted / drawn.canary.n).toBeLessThan(
      drawn.stable.converted / drawn.stable.n - 0.03,
    );
  });

  it('answers 404 for an unknown id, 409 for a second report, 400 naming a bad field', async () => {
    await setTraffic({ stable: { version: 'v1' } });
    const unknown = await call('POST', feedbackUrl(), { id: 'never-sent', label: 1 });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe(
      'id: unknown prediction "never-sent" of model fraud-detector; feedback must name the id sent ' +
        'with a prediction (the last 200000 of the last 2 hours are kept)',
    );
    const served = await call('POST', predictUrl(), { id: 'once', features: [0, 0, 0, 0] });
    expect(served.status).toBe(200);
    expect((await call('POST', feedbackUrl(), { id: 'once', converted: false })).status).toBe(200);
    const again = await call('POST', feedbackUrl(), { id: 'once', converted: true });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('id: feedback for "once" was already recorded');
    for (const [body, message] of [
      [{ id: 'once', label: 2 }, 'label: must be 0 or 1, got 2'],
      [{ id: 'once', converted: 'yes' }, 'converted: must be true or false, got "yes"'],
      [{ label: 1 }, 'id: must be the id sent with the prediction'],
      [{ id: 'once', score: 1 }, 'score: unknown field'],
    ] as const) {
      const res = await call('POST', feedbackUrl(), body);
      expect(res.status).toBe(400);
      expect(res.body.error).toContain(message);
    }
    // The first model also answers on the short route.
    expect((await call('POST', `${sandbox.url}/feedback`, { id: 'never-sent' })).status).toBe(404);
  });

  it('has the traffic generator report each row’s label after a delay', async () => {
    await setTraffic({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 30 } });
    const before = await metrics();
    const traffic = startTraffic({
      url: sandbox.url,
      model: MODEL,
      rps: 300,
      seed: 5,
      feedback: { delayMs: 30 },
    });
    await until(() => traffic.stats().feedback.ok >= 60, '60 outcomes were reported');
    await traffic.stop();
    const stats = traffic.stats();
    expect(stats.feedback.failed).toBe(0);
    expect(stats.feedback.sent).toBe(stats.feedback.ok);
    expect(stats.feedback.ok).toBeLessThanOrEqual(stats.sent);
    const after = await metrics();
    const reported = [
      minus(outcomes(after.slots.stable), outcomes(before.slots.stable)),
      minus(outcomes(after.slots.canary), outcomes(before.slots.canary)),
    ];
    const total = reported.reduce((a, b) => a + b.exposures, 0);
    expect(total).toBe(stats.feedback.ok);
    // Every generated report carries the label, and v1/v2 are right most of the time.
    expect(reported.reduce((a, b) => a + b.labelled, 0)).toBe(total);
    expect(reported.reduce((a, b) => a + b.correct, 0)).toBeGreaterThan(total * 0.6);
  });

  it('refuses a negative feedback delay', () => {
    expect(() => startTraffic({ url: sandbox.url, rps: 10, feedback: { delayMs: -1 } })).toThrow(
      'feedback.delayMs: must be a number of ms from 0 to 2147483647, got -1',
    );
  });
});

function zero(): Outcomes {
  return { labelled: 0, correct: 0, conversions: 0, exposures: 0 };
}
