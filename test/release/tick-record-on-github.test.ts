import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { MODEL, raceJobs, useRaceWorld } from '../support/race-world.js';

// A schedule tick rolling back a failing canary whose release lives in the PR's comment: the
// failure is written to the comment before v2 is withdrawn. GitHub refusing that write (a 502 on
// every try, the tick's last report too) fails the tick, but v2, judged bad, is withdrawn all the
// same: kept until GitHub answered again, it took live traffic for another tick. The next tick
// finds it withdrawn with no record of why and ends the release saying so, not "analysing". The
// platform is a real sandbox; GitHub a stand-in; time a fake clock.
const world = useRaceWorld({ firstPr: 120, firstRunId: 1200, closePr: (closed) => prJob(closed, 'tick') });
const { serving, comment, recorded, pullRequest } = world;
let config: Config;
const { prJob, scheduleTick } = raceJobs(world, () => config, true);
beforeAll(() => {
  config = world.configWith('[10, 50]');
});

const COMMENT = '/repos/{owner}/{repo}/issues/comments/{comment_id}';

/** Ends the refusals failNext set up, by spending them on a comment that does not exist. */
async function gitHubAnswersAgain() {
  for (let i = 0; i < 1000; i++) {
    const res = await fetch(`${world.github.url}/repos/Codertocat/Hello-World/issues/comments/999999`, {
      method: 'PATCH',
      headers: { authorization: 'token ghs_x', 'content-type': 'application/json' },
      body: JSON.stringify({ body: 'x' }),
    });
    await res.body?.cancel();
    if (res.status !== 502) return;
  }
}

describe('a schedule tick whose rollback GitHub refuses to record in the PR comment', () => {
  it('withdraws v2 in that tick all the same, and the next tick ends the release saying why', async () => {
    await prJob(pullRequest('v2', 2), 'tick');
    expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
    world.clock.advance(20_000);

    world.github.failNext('PATCH', COMMENT, 502, 1000);
    await expect(scheduleTick({ candidateErrors: 0.09 })).rejects.toThrow();
    await gitHubAnswersAgain();
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(await recorded()).toMatchObject({ to: 'v2', status: 'analysing' });

    const next = await scheduleTick({ candidateErrors: 0.09 });
    const why =
      "without recording that (GitHub did not answer: a stopped job's post step, or a rollback GitHub refused to record";
    expect(next.releases).toMatchObject([
      { model: MODEL, to: 'v2', status: 'aborted', reason: expect.stringContaining(why) },
    ]);
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(await recorded()).toMatchObject({ to: 'v2', status: 'aborted' });
    expect(comment()).toContain('## model-gate: ⏹️ Withdrawn');
  });
});
