import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { targetFor } from '../../src/release/adapters.js';
import { raceJobs, useRaceWorld } from '../support/race-world.js';

// A PR's job in tick mode records its release in the PR's comment before it deploys anything, so
// that a job lost from then on is found and resumed (or withdrawn) by the next run. GitHub refusing
// that first write for now (a secondary rate limit) must delay the deploy, not be left for a later
// update: a runner lost after the deploy would leave a candidate live that no record names. The
// platform is a real sandbox; GitHub a stand-in; time a fake clock.
const world = useRaceWorld({ firstPr: 680, firstRunId: 6800, closePr: (closed) => prJob(closed, 'tick') });
let config: Config;
const { prJob } = raceJobs(world, () => config, true);
beforeAll(() => {
  config = world.configWith('[10, 50]');
});

describe('a tick-mode PR job whose record before deploying GitHub refuses for now', () => {
  it('waits and writes it before the first traffic change', async () => {
    let atFirstChange: string | undefined | null = null;
    const target = (model: Parameters<typeof targetFor>[0]) => {
      const inner = targetFor(model);
      return {
        ...inner,
        async write(desired: Parameters<typeof inner.write>[0]) {
          if (atFirstChange === null) atFirstChange = world.comment();
          return inner.write(desired);
        },
      };
    };
    world.github.rateLimitNext(
      'POST',
      '/repos/{owner}/{repo}/issues/{issue_number}/comments',
      'secondary',
      1,
    );
    await prJob(world.pullRequest('v2', 2), 'tick', { target });
    expect(atFirstChange ?? 'no comment').toContain('fraud-detector');
    expect(await world.serving()).toEqual({
      stable: { version: 'v1' },
      canary: { version: 'v2', weight: 10 },
    });
  });
});
