import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { handleCommand } from '../../src/release/commands.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { MODEL, promotionInterrupted, raceJobs, STORES, useRaceWorld } from '../support/race-world.js';

// on-merge: analyze-then-promote. A schedule tick passes the merged PR's v2, reads its record again
// and promotes it. An operator's rollback to v1 by workflow_dispatch lands inside that promotion:
// before its traffic change reaches the platform, or after it and before the tick records the
// promotion. The tick recorded the promotion over the rollback: v2 served (or the ledger said it
// did while v1 served), and a ledger file refused the tick's save, failing it. The platform is a
// real sandbox; the ledger a PR comment on a GitHub stand-in, or a ledger file.
const world = useRaceWorld({ firstPr: 880, firstRunId: 8800, closePr: (closed) => prJob(closed, 'tick') });
const { job, prJob, rollbackTo } = raceJobs(world, () => config, true);
let config: Config;
beforeAll(() => {
  config = world.configWith('[10]', { onMerge: 'analyze-then-promote' });
});

const rollbackToV1 = () => rollbackTo('v1');

describe.each(STORES)('releases kept %s', (_, inFile) => {
  beforeEach(() => world.useLedgerFile(inFile, 'model-gate-promotion-rolled-back-'));

  it.each([
    ['before-change', 'a rollback to v1 by workflow_dispatch withdrew it'],
    ['before-read-back', 'rolled back to v1 by workflow_dispatch; v2 withdrawn'],
    ['after-read-back', 'rolled back to v1 by workflow_dispatch; v2 withdrawn'],
  ] as const)(
    'a rollback to v1 landing inside the promotion (%s) stays: v1 serves, v2 is not promoted',
    async (at, why) => {
      const event = world.pullRequest('v2', 2);
      await prJob(event, 'tick');
      await prJob({ ...event, action: 'closed', merged: true }, 'tick');
      expect(await world.recorded()).toMatchObject({ status: 'analysing', mergedAt: expect.any(Number) });

      world.clock.advance(20_000);
      const warnings: string[] = [];
      const { ports, publish } = job(undefined, { warnings, target: promotionInterrupted(at, rollbackToV1) });
      const tick = await publish(await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 60_000 }));

      expect(await world.serving()).toEqual({ stable: { version: 'v1' } });
      const history = await world.ledgerOf().history(MODEL);
      expect(history.filter((e) => e.kind === 'promotion' && e.pr === world.pr)).toEqual([]);
      const recorded = await world.recorded();
      expect(recorded).toMatchObject({ to: 'v2', status: 'aborted', reason: expect.stringContaining(why) });
      expect(tick.releases).toEqual([recorded]);
      expect(warnings).toContainEqual(
        expect.stringContaining(`${MODEL} v2 was ended by another run: ${why}`),
      );
      if (!inFile) expect(world.comment()).not.toContain('Promoted');
    },
  );
});

// The promote command by workflow_dispatch shares the promotion: a rollback landing inside it wins too.
describe.each(STORES)('the promote command, releases kept %s', (_, inFile) => {
  beforeEach(() => world.useLedgerFile(inFile, 'model-gate-promote-command-rolled-back-'));

  it('fails saying another run rolled v2 back, and v1 serves', async () => {
    const event = world.pullRequest('v2', 2);
    await prJob(event, 'tick');
    world.clock.advance(20_000);
    await prJob(event, 'tick');
    expect(await world.recorded()).toMatchObject({ status: 'ready' });

    const { ports } = job(undefined, { target: promotionInterrupted('after-read-back', rollbackToV1) });
    const inputs = { model: MODEL, dryRun: false, trigger: 'workflow_dispatch' };
    await expect(handleCommand(config, 'promote', inputs, ports)).rejects.toThrow(
      `${MODEL} v2 was ended by another run: rolled back to v1 by workflow_dispatch; v2 withdrawn`,
    );

    expect(await world.serving()).toEqual({ stable: { version: 'v1' } });
    const history = await world.ledgerOf().history(MODEL);
    expect(history.filter((e) => e.kind === 'promotion' && e.pr === world.pr)).toEqual([]);
    expect(await world.recorded()).toMatchObject({ to: 'v2', status: 'aborted' });
  });
});
