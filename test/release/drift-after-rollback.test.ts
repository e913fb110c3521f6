import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { LedgerEntry } from '../../src/ledger/ledger.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { driftWatchPorts } from '../support/engine-ports.js';
import { driftWatchYaml } from '../support/model-config.js';
import { shiftedScores } from '../support/shifted-scores.js';

// Drift of the stable version is noted on the PR that introduced it. A version back in place by a
// rollback has its rollback as its newest ledger entry, which names no PR: drift of it told no one.
// The PR that promoted it before is the one to tell.
const HOUR = 3_600_000;

const entry = (
  e: Pick<LedgerEntry, 'kind' | 'previous' | 'version' | 'at'> & { pr?: number },
): LedgerEntry => ({
  model: 'fraud',
  summary: `${e.kind} to ${e.version}`,
  ...e,
});

describe('drift of a version a rollback put back', () => {
  it('is noted on the PR that promoted that version', async () => {
    const clock = new FakeClock();
    const ledger = fileLedger(
      join(await mkdtemp(join(tmpdir(), 'model-gate-rollback-drift-')), 'ledger.json'),
    );
    const day = 24 * HOUR;
    await ledger.record(
      entry({ kind: 'promotion', previous: 'v0', version: 'v1', at: clock.now() - 9 * day, pr: 11 }),
    );
    await ledger.record(
      entry({ kind: 'promotion', previous: 'v1', version: 'v2', at: clock.now() - 8 * day, pr: 12 }),
    );
    await ledger.record(
      entry({ kind: 'rollback', previous: 'v2', version: 'v1', at: clock.now() - 7 * day }),
    );
    const { config } = parseConfig(driftWatchYaml('{ window: 1h, reference: 24h, max-psi: 0.2 }'), {});
    const metrics = () => {
      const lastHour = clock.now() - HOUR;
      return shiftedScores((w) => w.since >= lastHour);
    };
    const ports = driftWatchPorts({ ledger, clock, serving: 'v1', metrics });
    const result = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });
    const [report] = result.drift ?? [];
    expect(report).toMatchObject({ version: 'v1', drifted: true });
    expect(result.notify).toEqual([{ pr: 11, model: 'fraud', why: report?.note }]);
  });
});
