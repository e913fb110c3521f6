import { beforeAll, describe, expect, it } from 'vitest';
import type { Config, ModelConfig } from '../../src/config/types.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { targetFor } from '../../src/release/adapters.js';
import { handleCommand } from '../../src/release/commands.js';
import type { Target } from '../../src/targets/target.js';
import { sha } from '../support/model-config.js';
import { MODEL, raceJobs, useRaceWorld } from '../support/race-world.js';

// A PR's job moves v2 from step 1 (10%) to step 2 (50%), then reads its PR's comment again: another
// run (a workflow_dispatch abort) may have ended the release between its check and its change,
// which the change would undo. GitHub fails that read (502 on every try). The job used to stop
// there: v2 served at 50% while the comment and the commit status said step 1, and the next run
// judged step 1 again and took the step again (v2 longer at 50% than configured). Now the read is
// made again once the tick is over; should GitHub fail it again, the step is recorded before the
// run fails. The platform is a real sandbox, GitHub a stand-in, time a fake clock.
const world = useRaceWorld({ firstPr: 300, firstRunId: 3000, closePr: (closed) => prJob(closed, 'tick') });
const { serving, comment, recorded, pullRequest } = world;
let config: Config;
const { job, prJob } = raceJobs(world, () => config, true);
beforeAll(() => {
  config = world.configWith('[10, 50]');
});

const STEP_1 = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };
const STEP_2 = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 50 } };
/** One read of the PR's comment, each of its tries refused (the client tries a 502 four times). */
const ONE_READ = 4;

/** The PR's job in tick mode: v2 deployed at 10%, with data enough 20 s later to pass step 1. */
async function analysingV2() {
  const event = pullRequest('v2', 2);
  await prJob(event, 'tick');
  expect(await serving()).toEqual(STEP_1);
  world.clock.advance(20_000);
  return event;
}

/**
 * The sandbox, where the change to step 2 runs `before` first (another run's command), and once
 * made has GitHub refuse the next `refused` tries at reading a PR comment. `writes`: the changes asked for.
 */
function failingReadAfterStep(refused: number, writes: TrafficState[], before?: () => Promise<unknown>) {
  return (model: ModelConfig): Target => {
    const target = targetFor(model);
    return Object.create(target, {
      write: {
        value: async (desired: TrafficState) => {
          const step2 = desired.canary?.weight === STEP_2.canary.weight;
          if (step2) await before?.();
          writes.push(desired);
          const readBack = await target.write(desired);
          if (step2) world.github.failNext('GET', /\/issues\/comments\/\d+$/, 502, refused);
          return readBack;
        },
      },
    });
  };
}

const statusOfHead = () => world.github.commitStatuses(sha(2)).at(-1)?.description;

describe('a PR job whose read of its comment after the step to 50% GitHub fails', () => {
  it('on every try, twice: records step 2 before the run fails, and the next run judges step 2', async () => {
    const event = await analysingV2();
    const writes: TrafficState[] = [];
    const target = failingReadAfterStep(2 * ONE_READ, writes);
    await expect(prJob(event, 'tick', { target })).rejects.toThrow('Server Error');

    expect(await serving()).toEqual(STEP_2);
    expect(await recorded()).toMatchObject({ status: 'analysing', phase: 1 });
    expect(comment()).toContain('analysing step 2 of 2 (50% of live traffic)');
    expect(statusOfHead()).toContain('step 2 of 2');

    // GitHub answers again: step 2 is judged (passed: ready), not step 1 again and a second step.
    world.clock.advance(20_000);
    const next = await prJob(event, 'tick', { target: failingReadAfterStep(0, writes) });
    expect(next.releases).toMatchObject([{ model: MODEL, to: 'v2', status: 'ready' }]);
    expect(writes.filter((w) => w.canary?.weight === 50)).toHaveLength(1);
  });

  it('once: the read made again answers, and the run goes on at step 2', async () => {
    const event = await analysingV2();
    const writes: TrafficState[] = [];
    const done = await prJob(event, 'tick', { target: failingReadAfterStep(ONE_READ, writes) });

    expect(done.releases).toMatchObject([{ model: MODEL, status: 'analysing', phase: 1 }]);
    expect(await serving()).toEqual(STEP_2);
    expect(await recorded()).toMatchObject({ status: 'analysing', phase: 1 });
    expect(comment()).toContain('analysing step 2 of 2 (50% of live traffic)');
  });

  it('once, after an abort by workflow_dispatch landed before the step: the read made again puts the abort back', async () => {
    const event = await analysingV2();
    const abort = async () => {
      const { ports, publish } = job(undefined);
      const inputs = { model: MODEL, dryRun: false, trigger: 'workflow_dispatch' };
      return publish(await handleCommand(config, 'abort', inputs, ports));
    };
    const warnings: string[] = [];
    const target = failingReadAfterStep(ONE_READ, [], abort);
    const done = await prJob(event, 'tick', { target, warnings });

    // The abort's word stands: v1 alone serves, as its record says.
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(done.releases).toMatchObject([{ model: MODEL, status: 'aborted' }]);
    expect(await recorded()).toMatchObject({ status: 'aborted', to: 'v2' });
    expect(warnings).toContainEqual(expect.stringContaining('was ended by another run'));
  });
});
