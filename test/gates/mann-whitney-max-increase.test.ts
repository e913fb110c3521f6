import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { analyzeCommand } from '../../src/cli/analyze-command.js';
import { mannWhitneyLook } from '../../src/gates/judge-looks.js';
import { measureRatio } from '../../src/gates/ratio-gate.js';
import type { MeasureContext } from '../../src/gates/threshold-gate.js';
import { ratioGate } from '../support/model-config.js';
import { FakeCounts } from './fake-metrics.js';

// A ratio or latency gate on `judge: mann-whitney` requires `max-increase`: it is Kayenta's
// allowedIncrease on the mean ratio, so a credible shift within it passes and one beyond it fails.

const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

/** Twelve whole minutes of a step, as the live watch passes them. */
const ctx: MeasureContext = {
  metrics: new FakeCounts({
    stable: { rps: 95, errorRate: 0.01, medianMs: 40 },
    canary: { rps: 5, errorRate: 0.01, medianMs: 40 },
  }),
  model: 'fraud',
  stable: 'v1',
  candidate: 'v2',
  since: T0,
  now: T0 + 12 * MINUTE,
  minRequests: 100,
};

/** The baseline's per-minute p99 (ms), around 200, and the candidate's at `factor` times it every minute. */
const JITTER = [0, 3, -2, 4, -3, 1, -1, 2, -4, 3, -2, 1];
const p99s = (factor: number) => async (slot: 'stable' | 'canary', from: number) => {
  const minute = (from - T0) / MINUTE;
  const baseline = 200 + (JITTER[minute] ?? 0);
  // The candidate's minutes in another order, so its values are no copy of the baseline's.
  return slot === 'stable' ? baseline : factor * (200 + (JITTER[(minute + 5) % JITTER.length] ?? 0));
};

const seen = { at: ctx.now, canary: 0, baseline: 0 };

describe('a mann-whitney gate with max-increase 20%', () => {
  it('passes a candidate credibly 5% slower every minute: within the tolerance', async () => {
    const m = await mannWhitneyLook(ctx, seen, p99s(1.05), 0.2);
    expect(m.verdict).toBe('pass');
    // The shift is credible (its interval is above 0) yet the mean ratio is under the tolerated one.
    expect(m.note).toMatch(
      /^score 100: within tolerance: shift 10 \(\d+(\.\d+)? to \d+(\.\d+)?\), meanRatio 1\.05; tolerated meanRatio 1\.2$/,
    );
    expect(m.evidence?.interval?.[0]).toBeGreaterThan(0);
  });

  it('fails a candidate credibly 50% slower every minute, and says what it tolerated', async () => {
    const m = await mannWhitneyLook(ctx, seen, p99s(1.5), 0.2);
    expect(m.verdict).toBe('fail');
    expect(m.note).toMatch(
      /^score 0: classified High: shift 100 \(.*\), meanRatio 1\.5; tolerated meanRatio 1\.2$/,
    );
    expect(m.evidence?.method).toBe('mann-whitney');
  });
});

describe('a ratio gate on judge mann-whitney with max-increase 100%', () => {
  it('passes a candidate with 1.5 times the baseline error rate, every minute: within the tolerance', async () => {
    const metrics = new FakeCounts({
      stable: { rps: 95, errorRate: 0.01, medianMs: 40 },
      canary: { rps: 5, errorRate: 0.015, medianMs: 40 },
    });
    const gate = ratioGate({ maxIncrease: 1, judge: 'mann-whitney' });
    const m = await measureRatio(gate, { ...ctx, metrics });
    expect(m.verdict).toBe('pass');
    expect(m.note).toMatch(/meanRatio 1\.\d+; tolerated meanRatio 2$/);
  });
});

describe('model-gate analyze on the same one-minute values', () => {
  afterEach(() => vi.restoreAllMocks());

  it("gives the live gate's verdict when the line carries its maxIncrease, and Kayenta's default without", async () => {
    const minutes = JITTER.map((_, i) => T0 + i * MINUTE);
    const values = async (factor: number, slot: 'stable' | 'canary') =>
      Promise.all(minutes.map((from) => p99s(factor)(slot, from)));
    const line = async (maxIncrease?: number) =>
      JSON.stringify({
        time: new Date(ctx.now).toISOString(),
        gate: 'p99',
        kind: 'mann-whitney',
        canary: { samples: await values(1.05, 'canary') },
        baseline: { samples: await values(1.05, 'stable') },
        ...(maxIncrease === undefined ? {} : { maxIncrease }),
      });
    const dir = mkdtempSync(join(tmpdir(), 'model-gate-mw-analyze-'));
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), `${text}\n`);
      return join(dir, name);
    };
    vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await analyzeCommand([file('tolerated.jsonl', await line(0.2))])).toBe(0);
    expect(await analyzeCommand([file('kayenta.jsonl', await line())])).toBe(1);
  });
});
