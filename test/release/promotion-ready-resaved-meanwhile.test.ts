import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { handleCommand } from '../../src/release/commands.js';
import type { PullRequestEvent } from '../../src/release/pull-request.js';
import { MODEL, promotionInterrupted, raceJobs, STORES, useRaceWorld } from '../support/race-world.js';

// v2 passed its analysis, but the run that recorded it ready stopped before the change that takes
// it to idle (GitHub failing the read that guards it): the record says that change is pending. v2 is
// promoted (the promote command, the merge job), and a schedule tick finishes the change to idle
// inside that promotion, saving the same release, still ready, again. The promotion took that
// record for another run's ending: it put v2 back to idle, v1 served, and no run promoted v2 again
// (no merge on record for a tick to retry). The platform is a real sandbox; the ledger a PR comment
// on a GitHub stand-in, or a ledger file.
const world = useRaceWorld({ firstPr: 940, firstRunId: 9400, closePr: (closed) => prJob(closed, 'tick') });
const {
  job,
  prJob,
  scheduleTick,
  readyWithIdlePending: readyIdlePending,
} = raceJobs(world, () => config, true);
let config: Config;
beforeAll(() => {
  config = world.configWith('[10]');
});

/** The PR's release left ready with its change to idle pending, v2 still on its canary share. */
async function readyWithIdlePending(event: PullRequestEvent) {
  await readyIdlePending(event);
  expect(await world.serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
}

async function promotionEntries() {
  const history = await world.ledgerOf().history(MODEL);
  return history.filter((e) => e.kind === 'promotion' && e.pr === world.pr);
}

describe.each(STORES)('releases kept %s', (_, inFile) => {
  beforeEach(() => world.useLedgerFile(inFile, 'model-gate-promotion-ready-resaved-'));

  it.each(['before-change', 'before-read-back'] as const)(
    'the promote command promotes v2 while a tick finishes its change to idle (%s): v2 serves, promoted',
    async (at) => {
      const event = world.pullRequest('v2', 2);
      await readyWithIdlePending(event);

      world.clock.advance(20_000);
      const warnings: string[] = [];
      const { ports, publish } = job(undefined, {
        warnings,
        target: promotionInterrupted(at, () => scheduleTick()),
      });
      const inputs = { model: MODEL, dryRun: false, trigger: 'workflow_dispatch' };
      const result = await publish(await handleCommand(config, 'promote', inputs, ports));

      expect(await world.serving()).toEqual({ stable: { version: 'v2' } });
      expect(await promotionEntries()).toHaveLength(1);
      const recorded = await world.recorded();
      expect(recorded).toMatchObject({ to: 'v2', status: 'promoted' });
      expect(recorded?.idlePending).toBeUndefined();
      expect(result.releases).toEqual([recorded]);
      expect(warnings.filter((w) => w.includes('another run'))).toEqual([]);
    },
  );

  it.each(['before-change', 'before-read-back'] as const)(
    'the merge job promotes v2 while a tick finishes its change to idle (%s): v2 serves, promoted',
    async (at) => {
      const event = world.pullRequest('v2', 2);
      await readyWithIdlePending(event);

      world.clock.advance(20_000);
      const warnings: string[] = [];
      await prJob({ ...event, action: 'closed', merged: true }, 'tick', {
        warnings,
        target: promotionInterrupted(at, () => scheduleTick()),
      });

      expect(await world.serving()).toEqual({ stable: { version: 'v2' } });
      expect(await promotionEntries()).toHaveLength(1);
      expect(await world.recorded()).toMatchObject({ to: 'v2', status: 'promoted' });
      expect(warnings.filter((w) => w.includes('another run'))).toEqual([]);
      if (!inFile) expect(world.comment()).toContain('Promoted');
    },
  );
});
