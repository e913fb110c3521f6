import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config, ModelConfig } from '../../src/config/types.js';
import { targetFor } from '../../src/release/adapters.js';
import { handleCommand } from '../../src/release/commands.js';
import type { PullRequestEvent } from '../../src/release/pull-request.js';
import type { Target } from '../../src/targets/target.js';
import { sha } from '../support/model-config.js';
import { MODEL, once, raceJobs, STORES, useRaceWorld } from '../support/race-world.js';

// v2 passed its analysis, but the run that recorded it ready stopped before the change that takes
// it to idle: the record says that change is pending. A schedule tick finishes it, and as it reads
// the platform, another run promotes v2 whole (the promote command, the merge job), its record
// saved. The tick found v2 serving as stable and still saved v2 `ready` ("it serves no live traffic
// until the PR is merged") over that promotion: the PR comment said ready while v2 served, and a
// ledger file refused the save, failing the tick. The platform is a real sandbox.
const world = useRaceWorld({ firstPr: 1240, firstRunId: 12400, closePr: (closed) => prJob(closed, 'tick') });
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

/** The sandbox, running `meanwhile` once before its first read: as the tick looks at the platform. */
function promotedAtFirstRead(meanwhile: () => Promise<unknown>) {
  const run = once(meanwhile);
  return (model: ModelConfig): Target => {
    const target = targetFor(model);
    return Object.create(target, {
      read: {
        value: async (...args: Parameters<Target['read']>) => {
          await run();
          return target.read(...args);
        },
      },
    });
  };
}

/** v2 passed by the PR's second job, which GitHub fails at the read guarding its change to idle. */
const readyWithIdlePending = readyIdlePending;

describe.each(STORES)('releases kept %s', (_, inFile) => {
  beforeEach(() => world.useLedgerFile(inFile, 'model-gate-idle-finish-after-promotion-'));

  const promoteCommand = async () => {
    const { ports, publish } = job(undefined);
    const inputs = { model: MODEL, dryRun: false, trigger: 'workflow_dispatch' };
    return publish(await handleCommand(config, 'promote', inputs, ports));
  };
  const mergeJob = (event: PullRequestEvent) => () =>
    prJob({ ...event, action: 'closed', merged: true }, 'tick');

  it.each([
    ['the promote command', () => promoteCommand],
    ['the merge job', mergeJob],
  ] as const)('%s promotes v2 as a tick finishes its change to idle: the promotion stands', async (_, by) => {
    const event = world.pullRequest('v2', 2);
    await readyWithIdlePending(event);

    world.clock.advance(20_000);
    const warnings: string[] = [];
    const tick = await scheduleTick({ warnings, target: promotedAtFirstRead(by(event)) });

    expect(await world.serving()).toEqual({ stable: { version: 'v2' } });
    const recorded = await world.recorded();
    expect(recorded).toMatchObject({ to: 'v2', status: 'promoted' });
    expect(tick.releases).toContainEqual(recorded);
    expect(tick.skipped.filter((s) => s.model === MODEL)).toEqual([]);
    expect(warnings).toEqual([]);
    if (inFile) return;
    expect(world.comment()).toContain('Promoted');
    // The PR's commit status says what the promotion recorded, not `ready`.
    expect(world.github.commitStatuses(sha(2)).at(-1)?.description).toContain('v2 is now the stable version');
  });
});
