import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { PROMOTION_GRACE_MS } from '../../src/release/merged-ready.js';
import { MODEL, promotionInterrupted, raceJobs, useRaceWorld } from '../support/race-world.js';

// The merge job puts the merge on record before its promotion's traffic change (6c3a8d7), so that a
// schedule tick finishes a promotion whose job was lost. On a slow platform the job's own promotion
// can outlast the tick's grace: the tick then promotes too. One promotion is recorded, v2 serves,
// and the merge job says v2 was promoted by another run (it said "ended by another run", which
// reads as a rollback). The platform is a real sandbox; the ledger a PR comment on a GitHub
// stand-in; time a fake clock.
const world = useRaceWorld({ firstPr: 960, firstRunId: 9600, closePr: (closed) => prJob(closed, 'tick') });
const { prJob, scheduleTick } = raceJobs(world, () => config, true);
let config: Config;
beforeAll(() => {
  config = world.configWith('[10]');
});

describe('a merge job whose promotion outlasts the grace, a schedule tick promoting meanwhile', () => {
  it('ends with one promotion, v2 serving, and the merge job saying another run promoted v2', async () => {
    const event = world.pullRequest('v2', 2);
    await prJob(event, 'tick');
    world.clock.advance(20_000);
    await prJob(event, 'tick');
    expect(await world.recorded()).toMatchObject({ status: 'ready' });

    const tickPastGrace = async () => {
      world.clock.advance(PROMOTION_GRACE_MS + 60_000);
      await scheduleTick();
    };
    const warnings: string[] = [];
    await prJob({ ...event, action: 'closed', merged: true }, 'tick', {
      warnings,
      target: promotionInterrupted('after-read-back', tickPastGrace),
    });

    expect(await world.serving()).toEqual({ stable: { version: 'v2' } });
    const history = await world.ledgerOf().history(MODEL);
    expect(history.filter((e) => e.kind === 'promotion' && e.pr === world.pr)).toHaveLength(1);
    expect(await world.recorded()).toMatchObject({ to: 'v2', status: 'promoted' });
    expect(warnings).toContainEqual(expect.stringContaining(`${MODEL} v2 was promoted by another run: `));
    expect(warnings.join('\n')).not.toContain('was ended by another run');
  });
});
