import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { runSchedule } from '../../src/release/schedule.js';
import { sha } from '../support/model-config.js';
import { MODEL, raceJobs, useRaceWorld } from '../support/race-world.js';

// A schedule tick rolls back a failing canary (30% errors), but GitHub refuses the comment write
// that records the rollback, each of the 4 times it is sent (a secondary rate limit). The
// withdrawal is made all the same: before, v2 kept its 5% of live traffic for another tick
// (15 minutes) while the commit status already said it was being withdrawn. The tick is run as the
// action runs it: its result published at the end, then the run fails on the model it left. The
// platform is a real sandbox; GitHub a stand-in; time a fake clock.
const world = useRaceWorld({ firstPr: 140, firstRunId: 1400, closePr: (closed) => prJob(closed, 'tick') });
const { serving, comment, recorded, pullRequest } = world;
let config: Config;
const { job, prJob, scheduleTick } = raceJobs(world, () => config, true);
beforeAll(() => {
  config = world.configWith('[5, 50]');
});

const COMMENT = '/repos/{owner}/{repo}/issues/comments/{comment_id}';

describe('a schedule tick whose rollback record GitHub refuses for now', () => {
  it('withdraws v2 in that tick, and the next tick records the rollback truthfully', async () => {
    await prJob(pullRequest('v2', 2), 'tick');
    expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 5 } });
    world.clock.advance(20_000);

    world.github.rateLimitNext('PATCH', COMMENT, 'secondary', 4);
    const warnings: string[] = [];
    const { ports, publish } = job(undefined, { candidateErrors: 0.3, warnings });
    const { defects, ...result } = await runSchedule(config, ports, { mode: 'tick', maxWaitMs: 60_000 });
    await publish(result);
    expect(defects.map((d) => d.message)).toEqual([
      expect.stringMatching(/^fraud-detector: this tick stopped driving its release: GitHub answered 403/),
    ]);
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(warnings).toContain(
      `${MODEL}: v2 withdrawn (v1 alone serves), though GitHub did not take the record of its rollback: a later write of this run, or the next run, records it`,
    );
    // The run's last report wrote what the refused write carried: the rollback, under way.
    expect(await recorded()).toMatchObject({ to: 'v2', status: 'failed', withdrawPending: true });

    world.clock.advance(15 * 60_000);
    const next = await scheduleTick({ candidateErrors: 0.3 });
    // Its withdrawal confirmed (the finished-withdrawal wording: "withdrawn on a later try").
    const why = expect.stringMatching(/^errors: 30\.00% is above the max 2\.00%; v2 withdrawn/);
    expect(next.releases).toMatchObject([{ model: MODEL, to: 'v2', status: 'failed', reason: why }]);
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    const final = await recorded();
    expect(final).toMatchObject({ to: 'v2', status: 'failed', reason: why });
    expect(final?.withdrawPending).toBeUndefined();
    expect(comment()).toContain('## model-gate: ❌ Rolled back');
    expect(world.github.commitStatuses(sha(2)).at(-1)).toMatchObject({ state: 'failure' });
    expect(world.github.commitStatuses(sha(2)).at(-1)?.description).not.toContain('being withdrawn');
  });
});
