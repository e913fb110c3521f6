import { beforeAll, describe, expect, it } from 'vitest';
import type { Config, ModelConfig } from '../../src/config/types.js';
import { TargetError } from '../../src/core/errors.js';
import { targetFor } from '../../src/release/adapters.js';
import { handleCommand } from '../../src/release/commands.js';
import type { Target } from '../../src/targets/target.js';
import { sha } from '../support/model-config.js';
import { MODEL, raceJobs, useRaceWorld } from '../support/race-world.js';

// A rollback of v2 to v3 by workflow_dispatch the platform refused; the PR's next job withdrew v2,
// which left v1 serving (the rollback was never recorded, so v1 is the release's own). The comment
// said so; the commit status read "v2 withdrawn on a later try: rolled back to v3 by
// workflow_dispatch; …": that v3 serves. The real sandbox, the state in a PR comment on the GitHub
// stand-in.
const world = useRaceWorld({ firstPr: 90, firstRunId: 900, closePr: (closed) => prJob(closed, 'tick') });
const { serving, comment } = world;
const { job, prJob } = raceJobs(world, () => config, true);
let config: Config;
beforeAll(() => {
  config = world.configWith('[10, 50]');
});

/** The sandbox, refusing every traffic change (an outage of the platform's API). */
function refusing(model: ModelConfig): Target {
  return Object.create(targetFor(model), {
    write: {
      value: async () => {
        throw new TargetError('sandbox: platform unavailable');
      },
    },
  });
}

describe('the commit status of a refused rollback to v3 whose candidate a later run withdrew', () => {
  it('says v1 serves, not v3, as the comment does', async () => {
    const event = world.pullRequest('v2', 2);
    await prJob(event, 'tick');
    expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
    world.clock.advance(20_000);

    const { ports, publish } = job(undefined, { target: refusing });
    const inputs = { model: MODEL, toVersion: 'v3', dryRun: false, trigger: 'workflow_dispatch' };
    await expect(handleCommand(config, 'rollback', inputs, ports).then(publish)).rejects.toThrow(
      'platform unavailable',
    );

    await prJob(event, 'tick');
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(comment()).toContain(
      'fraud-detector v2 was withdrawn on a later try, which left v1 serving, not v3',
    );
    const status = world.github.commitStatuses(sha(2)).at(-1);
    expect(status?.state).toBe('error');
    // The comment's words, cut at a word to the 140 characters GitHub keeps.
    expect(status?.description).toBe(
      'v2 was withdrawn on a later try, which left v1 serving, not v3: the rollback to v3 by workflow_dispatch that was to withdraw it did not…',
    );
  });
});
