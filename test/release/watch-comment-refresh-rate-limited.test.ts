import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { MODEL, raceJobs, useRaceWorld } from '../support/race-world.js';

// A PR's job watching a healthy canary (10% then 50%, a look every 10 s, 1000 requests a step: about
// a minute), its comment updated as the action's is. GitHub refuses one routine update of the comment for now,
// each of the 4 times it is sent: a secondary rate limit (retry in 1 s), or the primary one
// (reset in about an hour). Before, the secondary limit failed the job on GitHub's raw message
// (its post step then withdrew the healthy candidate, the comment left saying "analysing"), and
// the primary one held the loop for the hour, with no look at the metrics while v2 kept its
// traffic, until the time budget ran out. The update is left for the next one now: the job ends
// ready as the control run does. The platform is a real sandbox; GitHub a stand-in; time a fake clock.
const world = useRaceWorld({ firstPr: 160, firstRunId: 1600, closePr: (closed) => prJob(closed, 'tick') });
const { serving, comment, recorded, pullRequest } = world;
let config: Config;
const { prJob } = raceJobs(world, () => config, true);
beforeAll(() => {
  config = world.configWith('[10, 50]', { minRequests: 1000 });
});

const COMMENT = '/repos/{owner}/{repo}/issues/comments/{comment_id}';
const HOUR = 3_600_000;
/** How long the control run took, on its clock. */
let controlTook: number | undefined;

describe('a PR job whose routine comment update GitHub refuses for now', () => {
  it.each([
    ['no refusal (the control run)', undefined],
    ['a secondary rate limit', 'secondary'],
    ['the primary rate limit, reset in an hour', 'primary'],
  ] as const)('ends ready as the control run does: %s', async (_case, limit) => {
    // The primary limit's reset is GitHub's wall-clock time (the stand-in's: a second from now):
    // the job's clock an hour behind it makes GitHub ask for an hour's wait.
    // (The world's clock is its own to set, fresh before each test: this one replaces it.)
    Object.assign(world, { clock: new FakeClock(Date.now() - HOUR) });
    const started = world.clock.now();
    // Refused once the job looks at the metrics: its first update after that is a routine one.
    const meanwhile = async () => {
      if (limit) world.github.rateLimitNext('PATCH', COMMENT, limit, 4);
    };
    const result = await prJob(pullRequest('v2', 2), 'watch', { meanwhile });
    expect(result.releases).toMatchObject([{ model: MODEL, to: 'v2', status: 'ready' }]);
    expect(await recorded()).toMatchObject({ to: 'v2', status: 'ready' });
    expect(comment()).toContain('## model-gate: ✅');
    expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 0 } });
    // At the control run's minute: the refused update cost the loop no look.
    const took = world.clock.now() - started;
    controlTook ??= took;
    expect(took).toBe(controlTook);
  });
});
