import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import type { Bucket } from '../../src/metrics/histogram.js';
import type { MetricSource, MetricWindow } from '../../src/metrics/source.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { runDecision } from '../../src/report/decision.js';
import { driftWatchPorts, fraudV2PromotedLongAgo } from '../support/engine-ports.js';
import { driftWatchYaml } from '../support/model-config.js';

// A shift held for 30 hours ended ("drift over"), and the very next tick alerted a new drift: the
// sliding 24 h reference then held the shifted predictions, and the normal ones read as drift from
// them. After a drift ends the watch keeps judging against the reference from before it until the
// sliding reference holds none of the drifted span.
const HOUR = 3_600_000;

/**
 * 1000 scores an hour, low-leaning, high-leaning in the spans `shifts` lists: each window's
 * histogram mixes both by how much of it lies in a shift, as a real source's would.
 */
function scores(shifts: { from: number; to: number }[]): MetricSource {
  const share = (w: MetricWindow) =>
    shifts.reduce((sum, s) => sum + Math.max(0, Math.min(w.until, s.to) - Math.max(w.since, s.from)), 0) /
    (w.until - w.since);
  return {
    requests: async () => 1000,
    value: async () => undefined,
    buckets: async (_q: string, w: MetricWindow): Promise<Bucket[]> => {
      const n = ((w.until - w.since) / HOUR) * 1000;
      const f = share(w);
      const normal = [0.4, 0.3, 0.2, 0.1];
      const shifted = [0.1, 0.2, 0.3, 0.4];
      let sum = 0;
      return normal.map((p, i) => {
        sum += n * ((1 - f) * p + f * (shifted[i] ?? 0));
        return { le: i === 3 ? '+Inf' : (i + 1) / 4, count: Math.round(sum) };
      });
    },
  };
}

/** Stable v2 on a file ledger, ticking hourly; `shifts` the spans its predictions lean high. */
async function world(
  opts: { prepare?: (path: string, now: number) => Promise<void>; shifted?: number[] } = {},
) {
  const clock = new FakeClock();
  const { ledger, path } = await fraudV2PromotedLongAgo(clock, 'model-gate-drift-over-');
  await opts.prepare?.(path, clock.now());
  const { config } = parseConfig(driftWatchYaml('{ window: 1h, reference: 24h, max-psi: 0.2 }'), {});
  const [from, to] = opts.shifted ?? [];
  const shifts =
    from === undefined || to === undefined ? [] : [{ from: clock.now() + from, to: clock.now() + to }];
  const w = {
    /** Shifts the predictions from now until `back` is called. */
    shift() {
      const s = { from: clock.now(), to: Number.POSITIVE_INFINITY };
      shifts.push(s);
      return { back: () => (s.to = clock.now()) };
    },
    async tick(l: Ledger = ledger) {
      clock.advance(HOUR);
      const ports = driftWatchPorts({ ledger: l, clock, serving: 'v2', metrics: () => scores(shifts) });
      const result = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });
      const d = result.drift?.[0];
      return { note: d?.note ?? '', drifted: d?.drifted === true, failed: runDecision(result) === 'failed' };
    },
    async ticks(n: number) {
      const out = [];
      for (let i = 0; i < n; i++) out.push(await w.tick());
      return out;
    },
  };
  return w;
}

describe('after a drift ends', () => {
  it('judges the normal predictions against the reference from before the drift, not the drifted span', async () => {
    const w = await world();
    const shift = w.shift();
    const held = await w.ticks(30);
    expect(held.map((t) => t.failed)).toEqual(held.map((_, i) => i === 0));
    shift.back();
    const [over] = await w.ticks(1);
    expect(over?.note).toMatch(/; drift over: the predictions match the reference from before it again/);

    // A day and more of normal predictions: no new drift while the sliding reference still holds
    // shifted ones, and none after, when it no longer does.
    const after = await w.ticks(30);
    expect(after.filter((t) => t.drifted || t.failed).map((t) => t.note)).toEqual([]);
    expect(after[0]?.note).toMatch(
      /^fraud v2: no drift shown, PSI 0\.000 .+: the last 1h against the 1d before the drift found at 2026-01-01 01:00 UTC, over at 2026-01-02 07:00 UTC$/,
    );
    expect(after.at(-1)?.note).toMatch(/: the last 1h against the 1d before$/);
  });

  it('keeps a drift found again soon after on record until the predictions come back', async () => {
    const w = await world();
    const first = w.shift();
    await w.ticks(30);
    first.back();
    await w.ticks(3); // drift over, then 2 hours of normal predictions
    // Shifted again within a day of the end: judged against the reference from before the first.
    const second = w.shift();
    const again = await w.ticks(10);
    expect(again.map((t) => t.failed)).toEqual(again.map((_, i) => i === 0));
    for (const t of again.slice(1)) expect(t.note).toMatch(/; still drifting since 2026-01-02 10:00 UTC/);
    second.back();
    const [over, ...after] = await w.ticks(30);
    expect(over?.note).toMatch(/; drift over: /);
    expect(after.filter((t) => t.drifted || t.failed).map((t) => t.note)).toEqual([]);
  });

  it('reads a ledger written before this change, its drift ended, and one written before drift ends were recorded', async () => {
    // The file as the previous version wrote it: a drift's start and end, no other field.
    const hour = (h: number, now: number) => now - 48 * HOUR + h * HOUR;
    const w = await world({
      async prepare(path, now) {
        const file = JSON.parse(await readFile(path, 'utf8'));
        file.drift = [
          // One entry per drifted look, as before drift alerted once: an older drift of v2, never ended.
          { model: 'fraud', version: 'v2', drifted: true, psi: 0.5, note: 'old', at: hour(1, now) },
          { model: 'fraud', version: 'v2', drifted: true, psi: 0.5, note: 'old', at: hour(2, now) },
          { model: 'fraud', version: 'v2', drifted: false, psi: 0, note: 'drift over', at: hour(3, now) },
          { model: 'fraud', version: 'v2', drifted: true, psi: 0.5, note: 'began', at: now - 20 * HOUR },
          { model: 'fraud', version: 'v2', drifted: false, psi: 0, note: 'drift over', at: now - 2 * HOUR },
        ];
        await writeFile(path, JSON.stringify(file, null, 2));
      },
      // The drifted span in the predictions, which the ledger above recorded.
      shifted: [-21 * HOUR, -2 * HOUR],
    });
    const t = await w.tick();
    expect(t.note).toMatch(/before the drift found at 2025-12-31 04:00 UTC, over at 2025-12-31 22:00 UTC$/);
  });
});
