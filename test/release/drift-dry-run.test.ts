import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { runSchedule } from '../../src/release/schedule.js';
import { reportTitle, runDecision } from '../../src/report/decision.js';
import { driftWatchPorts, fraudV2PromotedLongAgo } from '../support/engine-ports.js';
import { driftWatchYaml } from '../support/model-config.js';
import { shiftedScores } from '../support/shifted-scores.js';

// `model-gate run --dry-run` of a schedule tick reported a drift an earlier tick had alerted as a
// fresh failure ("❌ Drift detected", exit 1). It now reads the ledger and says "still drifting".
const HOUR = 3_600_000;

async function world() {
  const clock = new FakeClock();
  const { ledger, path } = await fraudV2PromotedLongAgo(clock, 'model-gate-drift-dry-');
  const { config } = parseConfig(driftWatchYaml('{ window: 1h, reference: 24h, max-psi: 0.2 }'), {});
  return {
    /** The ledger file as written. */
    file: () => readFile(path, 'utf8'),
    /** One schedule tick, 15 minutes after the last, its predictions drifted in the last hour. */
    async tick(dryRun: boolean) {
      clock.advance(15 * 60_000);
      const lastHour = clock.now() - HOUR;
      const metrics = () => shiftedScores((m) => m.since >= lastHour);
      return runSchedule(config, driftWatchPorts({ ledger, clock, serving: 'v2', metrics }), {
        mode: 'tick',
        maxWaitMs: 0,
        dryRun,
      });
    },
  };
}

describe('a dry-run tick on a file ledger', () => {
  it('of a drift alerted before: still drifting, not failed, the ledger unchanged', async () => {
    const w = await world();
    await w.tick(false);
    const before = await w.file();
    const dry = await w.tick(true);

    expect(runDecision(dry)).not.toBe('failed');
    expect(reportTitle(dry)).toBe('⚠️ Still drifting (alerted before)');
    expect(dry.notify).toEqual([]);
    expect(await w.file()).toBe(before);
  });

  it('of a drift that begins: failed as the tick would be, nothing recorded, no PR told', async () => {
    const w = await world();
    const before = await w.file();
    const dry = await w.tick(true);

    expect(runDecision(dry)).toBe('failed');
    expect(dry.drift?.[0]?.note).toMatch(/; dry run: not recorded, no PR told$/);
    expect(dry.notify).toEqual([]);
    expect(await w.file()).toBe(before);
  });
});
