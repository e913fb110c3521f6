import { beforeAll, describe, expect, it } from 'vitest';
import type { Config, ModelConfig } from '../../src/config/types.js';
import { TargetError } from '../../src/core/errors.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { targetFor } from '../../src/release/adapters.js';
import { handleCommand } from '../../src/release/commands.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import type { Target } from '../../src/targets/target.js';
import { sha } from '../support/model-config.js';
import { MODEL, raceJobs, useRaceWorld } from '../support/race-world.js';

// A workflow_dispatch rollback to v3 while the PR's candidate v2 is at 10%, on the sandbox: the platform
// takes the change, but no read answers after it (reads time out upstream). The record is kept on
// the GitHub stand-in (the PR's comment). Before, the report told this "unconfirmed" change from a
// refused one by matching words of the platform's note, which the ledger masks as free text, and
// the PR head's commit status said "the command's traffic change failed … may still get live
// traffic". The record now carries `withdrawFailed.unconfirmed`, and the status words come from it.
const world = useRaceWorld({ firstPr: 70, firstRunId: 700, closePr: (closed) => prJob(closed, 'tick') });
const { job, prJob } = raceJobs(world, () => config, true);
let config: Config;
beforeAll(() => {
  config = world.configWith('[10, 50]');
});

/** The sandbox, whose reads fail from its first change to the stable version alone on. */
function readsLostAfterWithdrawal(model: ModelConfig): Target {
  const target = targetFor(model);
  let lost = false;
  return Object.create(target, {
    write: {
      value: async (desired: TrafficState) => {
        await target.write(desired);
        if (!desired.canary) lost = true;
      },
    },
    read: {
      value: async () => {
        if (lost) throw new TargetError(`${target.description}: GET /traffic timed out upstream`);
        return target.read();
      },
    },
  });
}

describe('a rollback by command the platform accepted but never confirmed, the candidate in flight', () => {
  it('is recorded as unconfirmed, by a flag not its words; the commit status says so within 140 characters', async () => {
    await prJob(world.pullRequest('v2', 2), 'tick');
    expect(await world.serving()).toEqual({
      stable: { version: 'v1' },
      canary: { version: 'v2', weight: 10 },
    });

    const { ports, publish } = job(undefined, { target: readsLostAfterWithdrawal });
    const inputs = { model: MODEL, toVersion: 'v3', dryRun: false, trigger: 'workflow_dispatch' };
    await expect(handleCommand(config, 'rollback', inputs, ports).then(publish)).rejects.toThrow(
      'its candidate is probably out of service',
    );
    expect(await world.serving()).toEqual({ stable: { version: 'v3' } });

    // Read back from the PR's comment, as the next run reads it.
    const recorded = (await world.recorded()) as Release;
    expect(recorded).toMatchObject({ status: 'aborted', withdrawPending: true });
    expect(recorded.ending?.withdrawFailed?.unconfirmed).toBe(true);
    expect(world.github.commitStatuses(sha(2)).at(-1)).toMatchObject({
      state: 'error',
      description:
        "the command's traffic change was accepted, not yet confirmed by a read; v2 is probably withdrawn, the next run checks",
    });

    // The flag tells it, not the words: the same record, the platform's words masked or reworded.
    const failed = recorded.ending?.withdrawFailed;
    if (!failed) throw new Error('no withdrawFailed');
    const note = 'sandbox fraud-detector at *** took the change to v3 100%; no read answered within 10s';
    const release = { ...recorded, ending: { ...recorded.ending, withdrawFailed: { ...failed, note } } };
    const comment = renderMarkdown(config, { releases: [release], skipped: [] }, { now: 0 });
    expect(comment).toContain(
      '## model-gate: ⚠️ Rollback unconfirmed: a candidate may still get live traffic',
    );
    expect(comment).toContain(
      `- fraud-detector v2 is probably withdrawn: the platform accepted the rollback to v3 by workflow\\_dispatch that was to withdraw it, but no read has confirmed it yet (${note.replace('***', '\\*\\*\\*')})`,
    );
  });
});
