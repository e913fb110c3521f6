import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import type { Bucket } from '../../src/metrics/histogram.js';
import type { MetricSource, MetricWindow } from '../../src/metrics/source.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { reportTitle, runDecision } from '../../src/report/decision.js';
import { driftWatchPorts, fraudV2PromotedLongAgo } from '../support/engine-ports.js';
import { driftWatchYaml } from '../support/model-config.js';

// A quiet hour ended a drift that was still there: a window of 20 predictions, still shifted, read
// "no drift, PSI 0.913 (KS distance 0.4 is within chance …); drift over", and the next full hour
// alerted again, failing its run and telling the PR again: with daily traffic cycles, nightly. A
// drift on record now ends only when its size does (PSI below end-psi), not on a look too small for
// the judge to tell the windows apart.
const HOUR = 3_600_000;

/** Stable v2 on a file ledger, ticking hourly: 1000 predictions an hour, `quiet` ones in a quiet hour. */
async function world() {
  const clock = new FakeClock();
  const { ledger, path } = await fraudV2PromotedLongAgo(clock, 'model-gate-drift-quiet-');
  const { config } = parseConfig(driftWatchYaml('{ window: 1h, reference: 24h, max-psi: 0.2 }'), {});
  const w = {
    clock,
    shiftAt: clock.now(),
    backAt: Number.POSITIVE_INFINITY,
    /** Predictions in the last hour, where it is quiet. */
    quiet: undefined as number | undefined,
    /** Their cumulative shares per bucket, where not those of the hour's shift (or its absence). */
    quietShares: undefined as number[] | undefined,
    entries: async (): Promise<{ drifted: boolean }[]> =>
      JSON.parse(await readFile(path, 'utf8')).drift ?? [],
    async tick() {
      clock.advance(HOUR);
      const metrics = (): MetricSource => ({
        requests: async () => 1000,
        value: async () => undefined,
        buckets: async (_q: string, m: MetricWindow): Promise<Bucket[]> => {
          const recent = m.until === clock.now();
          const n = recent && w.quiet !== undefined ? w.quiet : ((m.until - m.since) / HOUR) * 1000;
          const shifted = m.since >= w.shiftAt && m.since < w.backAt;
          const quietHour = recent && w.quiet !== undefined;
          const shares =
            quietHour && w.quietShares ? w.quietShares : shifted ? [0.1, 0.3, 0.6, 1] : [0.4, 0.7, 0.9, 1];
          return shares.map((c, i) => ({ le: i === 3 ? '+Inf' : (i + 1) / 4, count: Math.round(c * n) }));
        },
      });
      const ports = driftWatchPorts({ ledger, clock, serving: 'v2', metrics });
      const result = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });
      const note = result.drift?.[0]?.note ?? '';
      return { result, note, failed: runDecision(result) === 'failed', notified: result.notify ?? [] };
    },
  };
  return w;
}

describe('a quiet hour while a drift is on record', () => {
  it('keeps the drift: a window too small to tell, still shifted, is no end; no new alert after it', async () => {
    const w = await world();
    const began = await w.tick();
    w.quiet = 20;
    const quiet = await w.tick();
    w.quiet = undefined;
    const busy = await w.tick();

    expect(began.failed).toBe(true);
    expect(quiet.note).toMatch(
      /^fraud v2: drift not over, PSI 0\.913 still at or above level 0\.2; this look's 20 predictions are too few to tell the windows apart \(KS distance 0\.4 is within chance for 20 and 24000 predictions, up to 0\.919\): the last 1h against the 1d before the drift found at 2026-01-01 01:00 UTC; to roll back: .+; still drifting since 2026-01-01 01:00 UTC \(first alerted by the tick then\): no new alert until the drift ends$/,
    );
    expect(quiet.note).not.toMatch(/drift over/);
    expect(reportTitle(quiet.result)).toBe('⚠️ Still drifting (alerted before)');
    expect([quiet.failed, busy.failed]).toEqual([false, false]);
    expect([...quiet.notified, ...busy.notified]).toEqual([]);
    expect(busy.note).toMatch(/; still drifting since 2026-01-01 01:00 UTC/);
    expect((await w.entries()).map((e) => e.drifted)).toEqual([true]);
  });

  it('keeps the drift on a quiet hour whose PSI is below max-psi but not below end-psi: no new alert after it', async () => {
    // The quiet hour's PSI 0.151 lies between end-psi (0.1) and max-psi (0.2): the drift was ended
    // ("the judge no longer tells the window from the reference") and the next busy hour alerted again.
    const w = await world();
    await w.tick();
    w.quiet = 100;
    w.quietShares = [0.25, 0.55, 0.8, 1];
    const quiet = await w.tick();
    w.quiet = undefined;
    const busy = await w.tick();

    expect(quiet.note).toMatch(
      /^fraud v2: drift not over, PSI 0\.151 below level 0\.2 but still at or above the end level 0\.1; this look's 100 predictions are too few to tell the windows apart \(KS distance 0\.15 is within chance for 100 and 24000 predictions, up to 0\.429\): the last 1h against the 1d before the drift found at 2026-01-01 01:00 UTC; to roll back: .+; still drifting since 2026-01-01 01:00 UTC/,
    );
    expect(quiet.note).not.toMatch(/drift over/);
    expect([quiet.failed, busy.failed]).toEqual([false, false]);
    expect([...quiet.notified, ...busy.notified]).toEqual([]);
    expect((await w.entries()).map((e) => e.drifted)).toEqual([true]);
  });

  it('ends the drift on a quiet hour whose predictions are back: its size is gone', async () => {
    const w = await world();
    await w.tick();
    w.backAt = w.clock.now();
    w.quiet = 20;
    const back = await w.tick();

    expect(back.note).toMatch(
      /^fraud v2: no drift shown, PSI 0\.000 \(KS distance 0 is within chance for 20 and 24000 predictions, up to .+\): the last 1h against the 1d before the drift found at 2026-01-01 01:00 UTC; drift over: /,
    );
    expect((await w.entries()).map((e) => e.drifted)).toEqual([true, false]);
  });
});
