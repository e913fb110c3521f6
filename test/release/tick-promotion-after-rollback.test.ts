import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { handleSchedule } from '../../src/release/schedule.js';
import type { Release } from '../../src/release/types.js';
import { MODEL, once, raceJobs, STORES, useRaceWorld } from '../support/race-world.js';

// on-merge: analyze-then-promote. A schedule tick passes the merged PR's candidate and, once it has
// driven every model, promotes it. Between the tick's record of `ready` (written where other runs
// read it) and its promotion, an operator rolls the model back to v1 by workflow_dispatch. The tick
// promoted the `ready` it had recorded without reading the record again: v2 served again over the
// rollback, and the ledger said promoted. The platform is a real sandbox; the ledger a PR comment on
// a GitHub stand-in, or a ledger file.
const world = useRaceWorld({ firstPr: 860, firstRunId: 8600, closePr: (closed) => prJob(closed, 'tick') });
const { job, prJob, rollbackTo } = raceJobs(world, () => config, true);
let config: Config;
beforeAll(() => {
  config = world.configWith('[10]', { onMerge: 'analyze-then-promote' });
});

const rollbackToV1 = () => rollbackTo('v1');

/** A schedule tick; `meanwhile` runs once, right after the tick recorded a release ready. */
async function scheduleTick(meanwhile: () => Promise<unknown>) {
  const { ports, publish } = job(undefined);
  const atReady = once(meanwhile);
  const reported = ports.onProgress;
  ports.onProgress = async (releases: Release[], opts?: { force?: boolean }) => {
    await reported?.(releases, opts);
    if (releases.some((r) => r.status === 'ready')) await atReady();
  };
  return publish(await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 60_000 }));
}

describe.each(STORES)('releases kept %s', (_, inFile) => {
  beforeEach(() => world.useLedgerFile(inFile, 'model-gate-tick-promotion-rollback-'));

  it('a rollback to v1 between the tick passing the merged v2 and promoting it stays: v2 is not promoted', async () => {
    const event = world.pullRequest('v2', 2);
    await prJob(event, 'tick');
    await prJob({ ...event, action: 'closed', merged: true }, 'tick');
    expect(await world.recorded()).toMatchObject({ status: 'analysing', mergedAt: expect.any(Number) });

    world.clock.advance(20_000);
    const tick = await scheduleTick(rollbackToV1);

    expect(await world.serving()).toEqual({ stable: { version: 'v1' } });
    const history = await world.ledgerOf().history(MODEL);
    expect(history.filter((e) => e.kind === 'promotion' && e.version === 'v2')).toEqual([]);
    const recorded = await world.recorded();
    expect(recorded).toMatchObject({
      to: 'v2',
      status: 'aborted',
      reason:
        'a rollback to v1 by workflow_dispatch withdrew it (v1 already served, so no rollback was recorded)',
    });
    expect(tick.releases).toEqual([recorded]);
    if (!inFile) expect(world.comment()).not.toContain('Promoted');
  });
});
