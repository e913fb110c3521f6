import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { LedgerEntry } from '../../src/ledger/ledger.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { reportTitle, runDecision } from '../../src/report/decision.js';
import { driftWatchPorts } from '../support/engine-ports.js';
import { driftWatchYaml } from '../support/model-config.js';
import { shiftedScores } from '../support/shifted-scores.js';

// A drift watch on a 15-minute schedule alerts when a drift begins, not on every tick that finds it
// still there: each tick used to fail its run, note the PR again and add a drift entry to the ledger
// (stamped with the wall clock, not the run's), until the 24 h reference absorbed the shift.
const HOUR = 3_600_000;
const TICK = 15 * 60_000;

const entry = (e: Pick<LedgerEntry, 'kind' | 'previous' | 'version' | 'at' | 'pr'>): LedgerEntry => ({
  model: 'fraud',
  summary: `${e.kind} to ${e.version}`,
  ...e,
});

/** A stable model on a file ledger, its predictions drifted while `world.drifting`, one tick at a time. */
async function world() {
  const clock = new FakeClock();
  const path = join(await mkdtemp(join(tmpdir(), 'model-gate-drift-once-')), 'ledger.json');
  const ledger = fileLedger(path);
  await ledger.record(
    entry({ kind: 'promotion', previous: 'v1', version: 'v2', at: clock.now() - 48 * HOUR, pr: 7 }),
  );
  const { config } = parseConfig(driftWatchYaml('{ window: 1h, reference: 24h, max-psi: 0.2 }'), {});
  const w = {
    clock,
    ledger,
    drifting: true,
    /** The ledger file's drift entries. */
    entries: async (): Promise<{ version: string; drifted: boolean; at: number }[]> =>
      JSON.parse(await readFile(path, 'utf8')).drift ?? [],
    /** One schedule tick, 15 minutes after the last. */
    async tick() {
      clock.advance(TICK);
      const metrics = () => {
        const lastHour = clock.now() - HOUR;
        return shiftedScores((m) => w.drifting && m.since >= lastHour);
      };
      const ports = driftWatchPorts({ ledger, clock, serving: 'v2', metrics });
      const result = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });
      const [report] = result.drift ?? [];
      return { result, report, failed: runDecision(result) === 'failed' };
    },
  };
  return w;
}

describe('a drift that persists over many ticks', () => {
  it('alerts once: one PR note, one ledger entry, only the first run failed; later ticks say since when', async () => {
    const w = await world();
    const ticks = [await w.tick()];
    const beganAt = w.clock.now();
    for (let i = 1; i < 6; i++) ticks.push(await w.tick());
    const began = ticks[0]?.report?.note ?? '';

    expect(ticks.map((t) => t.failed)).toEqual([true, false, false, false, false, false]);
    expect(ticks.flatMap((t) => t.result.notify)).toEqual([{ pr: 7, model: 'fraud', why: began }]);
    expect(ticks.map((t) => t.report?.drifted)).toEqual([true, true, true, true, true, true]);
    // The first alerted 00:15 UTC (the fake clock's start plus one tick): later ticks say so.
    for (const t of ticks.slice(1)) {
      expect(t.report?.note).toBe(
        // Judged against the reference from before the drift, which its first look judged against.
        `${began.replace('the 1d before;', 'the 1d before the drift found at 2026-01-01 00:15 UTC;')}; still drifting since 2026-01-01 00:15 UTC (first alerted by the tick then): no new alert until the drift ends`,
      );
      expect(reportTitle(t.result)).toBe('⚠️ Still drifting (alerted before)');
    }
    expect(reportTitle(ticks[0]?.result ?? { releases: [], skipped: [] })).toBe('❌ Drift detected');
    // One entry, stamped with the run's clock.
    expect(await w.entries()).toMatchObject([{ version: 'v2', drifted: true, at: beganAt }]);
  });
});

describe('a drift that ends and comes back', () => {
  it('says "drift over" once, then alerts again', async () => {
    const w = await world();
    const first = await w.tick();
    await w.tick();
    w.drifting = false;
    const over = await w.tick();
    const quiet = await w.tick();
    w.drifting = true;
    const again = await w.tick();
    const still = await w.tick();

    expect(over.report?.note).toMatch(
      /^fraud v2: no drift shown, .+: the last 1h against the 1d before the drift found at 2026-01-01 00:15 UTC; drift over: the predictions match the reference from before it again \(drifting since 2026-01-01 00:15 UTC, first alerted by the tick then\)$/,
    );
    expect(quiet.report?.note).not.toMatch(/drift over/);
    expect([first, over, quiet, again, still].map((t) => t.failed)).toEqual([
      true,
      false,
      false,
      true,
      false,
    ]);
    expect([first, again].map((t) => t.result.notify)).toEqual([
      [{ pr: 7, model: 'fraud', why: first.report?.note }],
      [{ pr: 7, model: 'fraud', why: again.report?.note }],
    ]);
    // The PR told of the drift is told of its end (its line replaces the alert's), of nothing else.
    expect(over.result.notify).toEqual([{ pr: 7, model: 'fraud', why: over.report?.note }]);
    expect([quiet, still].flatMap((t) => t.result.notify)).toEqual([]);
    expect((await w.entries()).map((e) => e.drifted)).toEqual([true, false, true]);
  });
});

describe('a drift of a version rolled back to', () => {
  it('starts fresh: the drift of v2 before its promotion is not the drift of v2 serving again', async () => {
    const w = await world();
    await w.tick();
    // v2 is rolled back to v1 and promoted again; the platform serves v2 all along (same scores).
    const at = w.clock.now();
    await w.ledger.record(entry({ kind: 'rollback', previous: 'v2', version: 'v1', at: at + 1 }));
    await w.ledger.record(entry({ kind: 'promotion', previous: 'v1', version: 'v2', at: at + 2, pr: 8 }));
    w.clock.advance(25 * HOUR);
    const fresh = await w.tick();

    expect(fresh.failed).toBe(true);
    expect(fresh.result.notify).toEqual([{ pr: 8, model: 'fraud', why: fresh.report?.note }]);
  });
});
