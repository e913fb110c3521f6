import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { MetricsError } from '../../src/core/errors.js';
import type { Bucket } from '../../src/metrics/histogram.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { runDecision } from '../../src/report/decision.js';
import { driftWatchPorts, fraudV2PromotedLongAgo } from '../support/engine-ports.js';
import { driftWatchYaml } from '../support/model-config.js';

// A shift hovering near max-psi alerted again and again: a drift on record ended on the first look
// with PSI below max-psi ("drift over: the predictions match the reference from before it again",
// though the same look said the distributions differ), and the next look at or above it began a
// new one, each failing its run and noting the PR. A drift now ends below end-psi (default half
// of max-psi); the PR that was told of the drift is told of its end; and a look that cannot see
// (the metrics source down) says the drift on record is not over.
const HOUR = 3_600_000;
const PER_HOUR = 4000;
const NORMAL = [0.25, 0.25, 0.25, 0.25];
/** Against NORMAL: PSI 0.263 and 0.170, either side of max-psi 0.23, both above its half (0.115). */
const HIGH = [0.09, 0.2, 0.3, 0.41];
const LOW = [0.12, 0.2, 0.3, 0.38];
/** PSI 0.048: below the end level, though 4,000 predictions an hour still tell it from NORMAL. */
const SMALL = [0.18, 0.22, 0.28, 0.32];

/**
 * A stable model v2 (promoted by PR 7), its predictions per hour since the clock's start as
 * `w.hours` says (NORMAL before and past them), one hourly schedule tick at a time.
 */
async function world(watch: string) {
  const clock = new FakeClock();
  const start = clock.now();
  const { ledger, path } = await fraudV2PromotedLongAgo(clock, 'model-gate-drift-hysteresis-');
  const { config } = parseConfig(driftWatchYaml(watch), {});
  const shares = (hour: number) => w.hours[hour] ?? NORMAL;
  /** A window's predictions: each hour it overlaps adds its share of that hour's. */
  const histogram = ({ since, until }: MetricWindow): Bucket[] => {
    const counts = [0, 0, 0, 0];
    for (let h = Math.floor((since - start) / HOUR); start + h * HOUR < until; h++) {
      const overlap = Math.min(until, start + (h + 1) * HOUR) - Math.max(since, start + h * HOUR);
      shares(h).forEach((s, i) => {
        counts[i] = (counts[i] ?? 0) + (s * PER_HOUR * overlap) / HOUR;
      });
    }
    let sum = 0;
    return counts.map((c, i) => {
      sum += c;
      return { le: i === 3 ? '+Inf' : (i + 1) / 4, count: Math.round(sum) };
    });
  };
  const w = {
    clock,
    hours: [] as number[][],
    /** The metrics source refuses every query while set. */
    down: false,
    entries: async (): Promise<{ drifted: boolean }[]> =>
      JSON.parse(await readFile(path, 'utf8')).drift ?? [],
    async tick() {
      clock.advance(HOUR);
      const metrics = () => ({
        requests: async () => PER_HOUR,
        value: async () => undefined,
        buckets: async (_q: string, window: MetricWindow) => {
          if (w.down) throw new MetricsError('prometheus: connect ECONNREFUSED 10.0.0.1:9090');
          return histogram(window);
        },
      });
      const ports = driftWatchPorts({ ledger, clock, serving: 'v2', metrics });
      const result = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });
      const note = result.drift?.[0]?.note ?? '';
      return {
        note,
        drifted: result.drift?.[0]?.drifted,
        notify: result.notify ?? [],
        failed: runDecision(result) === 'failed',
      };
    },
  };
  return w;
}

describe('a shift hovering near max-psi', () => {
  it('alerts once while it holds, and ends once PSI falls below the end level, telling the PR', async () => {
    const w = await world('{ window: 1h, reference: 24h, max-psi: 0.23 }');
    w.hours = Array.from({ length: 12 }, (_, h) => (h % 2 === 0 ? HIGH : LOW));
    const held = [];
    for (let h = 0; h < 12; h++) held.push(await w.tick());

    expect(held.map((t) => t.failed)).toEqual([true, ...Array(11).fill(false)]);
    expect(held.map((t) => t.drifted)).toEqual(Array(12).fill(true));
    expect(held.flatMap((t) => t.notify)).toEqual([{ pr: 7, model: 'fraud', why: held[0]?.note }]);
    expect(held.filter((t) => /drift over/.test(t.note))).toEqual([]);
    // Below max-psi, but the windows still differ by at least the end level: the same drift.
    expect(held[1]?.note).toMatch(
      /^fraud v2: drift not over, PSI 0\.170 below level 0\.23 but still at or above the end level 0\.115; the distributions differ, KS distance 0\.18: the last 1h against the 1d before the drift found at 2026-01-01 01:00 UTC; to roll back: .+; still drifting since 2026-01-01 01:00 UTC \(first alerted by the tick then\): no new alert until the drift ends$/,
    );

    // The shift mostly goes: still told apart from the reference, but by less than the end level.
    w.hours.push(SMALL);
    const over = await w.tick();
    expect(over.failed).toBe(false);
    expect(over.note).toMatch(
      /^fraud v2: no drift, PSI 0\.048 \(below level 0\.23; the distributions differ, KS distance 0\.1\): the last 1h against the 1d before the drift found at 2026-01-01 01:00 UTC; drift over: PSI 0\.048 below the end level 0\.115, though the window still differs from the reference from before it \(KS distance 0\.1\) \(drifting since 2026-01-01 01:00 UTC, first alerted by the tick then\)$/,
    );
    expect(over.note).not.toMatch(/match the reference/);
    // The PR told of the drift is told of its end: that line replaces the alert's in its comment.
    expect(over.notify).toEqual([{ pr: 7, model: 'fraud', why: over.note }]);
    expect((await w.entries()).map((e) => e.drifted)).toEqual([true, false]);
  });

  it('ends below end-psi where the config sets it', async () => {
    const w = await world('{ window: 1h, reference: 24h, max-psi: 0.23, end-psi: 0.2 }');
    w.hours = [HIGH, LOW];
    const began = await w.tick();
    const over = await w.tick();

    expect(began.failed).toBe(true);
    expect(over.note).toMatch(
      /; drift over: PSI 0\.170 below the end level 0\.2, though the window still differs/,
    );
    expect(over.notify).toEqual([{ pr: 7, model: 'fraud', why: over.note }]);
  });

  it('refuses an end-psi not below max-psi, naming the field', () => {
    const text = driftWatchYaml('{ max-psi: 0.2, end-psi: 0.2 }');
    expect(() => parseConfig(text, {})).toThrow(
      /models\.fraud\.drift-watch\.end-psi: must be below max-psi \(0\.2\), got 0\.2/,
    );
  });
});

describe('a look that cannot see while a drift is on record', () => {
  it('says the drift on record is not over', async () => {
    const w = await world('{ window: 1h, reference: 24h, max-psi: 0.23 }');
    w.hours = [HIGH, HIGH];
    w.down = true;
    const blindBefore = await w.tick();
    w.down = false;
    await w.tick();
    w.down = true;
    const blind = await w.tick();

    expect(blindBefore.note).not.toMatch(/drift on record/);
    expect(blind.note).toBe(
      'fraud v2: drift not checked (inconclusive): the metrics source sandbox at http://127.0.0.1:1 could not answer: prometheus: connect ECONNREFUSED 10.0.0.1:9090; the next tick looks again; a drift on record since 2026-01-01 02:00 UTC, not over',
    );
    expect(blind.failed).toBe(false);
    expect(blind.notify).toEqual([]);
  });
});
