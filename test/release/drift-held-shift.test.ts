import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { reportTitle, runDecision } from '../../src/report/decision.js';
import { driftWatchPorts, fraudV2PromotedLongAgo } from '../support/engine-ports.js';
import { driftWatchYaml } from '../support/model-config.js';
import { shiftedScores } from '../support/shifted-scores.js';

// A shift held for 30 hours alerted after 1 hour, then about 25 hours later read "no drift, PSI
// 0.000; drift over": the watch compared the last hour with the 24 hours before it, which by then
// held the shifted predictions only. Nothing had come back. While a drift is on record the watch
// now judges against the reference from before it: "drift over" means the predictions came back.
const HOUR = 3_600_000;

/** Stable v2 on a file ledger, its predictions shifted from `shiftAt` until `backAt`, ticking hourly. */
async function world() {
  const clock = new FakeClock();
  const { ledger } = await fraudV2PromotedLongAgo(clock, 'model-gate-drift-held-');
  const { config } = parseConfig(driftWatchYaml('{ window: 1h, reference: 24h, max-psi: 0.2 }'), {});
  const w = {
    shiftAt: clock.now(),
    backAt: Number.POSITIVE_INFINITY,
    clock,
    async tick() {
      clock.advance(HOUR);
      const ports = driftWatchPorts({
        ledger,
        clock,
        serving: 'v2',
        // A window is shifted when it lies in the shift, as its start says.
        metrics: () => shiftedScores((m) => m.since >= w.shiftAt && m.since < w.backAt),
      });
      const result = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });
      return { result, note: result.drift?.[0]?.note ?? '', failed: runDecision(result) === 'failed' };
    },
  };
  return w;
}

describe('a shift held longer than the reference', () => {
  it('stays a drift until the predictions come back, then says "drift over" once', async () => {
    const w = await world();
    const held = [];
    for (let h = 1; h <= 30; h++) held.push(await w.tick());

    expect(held.map((t) => t.failed)).toEqual(held.map((_, i) => i === 0));
    for (const t of held.slice(1)) expect(t.note).toMatch(/; still drifting since 2026-01-01 01:00 UTC/);
    expect(held.some((t) => /drift over/.test(t.note))).toBe(false);
    expect(reportTitle(held[29]?.result ?? { releases: [], skipped: [] })).toBe(
      '⚠️ Still drifting (alerted before)',
    );

    w.backAt = w.clock.now();
    const back = await w.tick();
    expect(back.note).toMatch(
      /^fraud v2: no drift shown, PSI 0\.000 .+: the last 1h against the 1d before the drift found at 2026-01-01 01:00 UTC; drift over: the predictions match the reference from before it again \(drifting since 2026-01-01 01:00 UTC, first alerted by the tick then\)$/,
    );
    expect(back.failed).toBe(false);
  });
});
