import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../src/config/types.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { targetFor } from '../../src/release/adapters.js';
import type { Target } from '../../src/targets/target.js';
import { raceJobs, STORES, useRaceWorld } from '../support/race-world.js';

// A schedule tick judges a PR's candidate v2 failed, and its rollback meets a defect in model-gate (a
// TypeError thrown from the traffic change). The rollback records the failure, its withdrawal
// pending, saying a defect stopped it, and the tick then ends that model's part (stopOnDefect). That
// found the record the tick itself had just written and warned that "another run has moved the
// release on since" (a ledger file), or took it for none and recorded over it an abort saying v2
// was withdrawn, the gate's failure gone (a PR comment). Now the tick's warning is the record's own
// words, and the record stays failed, for the next tick to take v2 out. A real sandbox; the ledger
// a PR comment on the GitHub stand-in, or a ledger file; time a fake clock.

const CANARY = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };
const DEFECT = "Cannot read properties of undefined (reading 'version')";
const FAILED = `errors: 20.00% is above the max 2.00%; the rollback to v1 also failed: model-gate stopped on an unexpected error: ${DEFECT}; please report it`;

let jobs: ReturnType<typeof raceJobs>;
const world = useRaceWorld({
  firstPr: 470,
  firstRunId: 47_000,
  closePr: (closed) => jobs.prJob(closed, 'tick'),
});
jobs = raceJobs(world, () => world.configWith('[10, 50]'), true);

/** The sandbox as a target whose first withdrawal (the rollback) throws a TypeError. */
function defectOnRollback() {
  let met = false;
  return (model: ModelConfig): Target => {
    const target = targetFor(model);
    return Object.create(target, {
      write: {
        value: async (desired: TrafficState) => {
          if (!desired.canary && !met) {
            met = true;
            throw new TypeError(DEFECT);
          }
          await target.write(desired);
        },
      },
    });
  };
}

describe.each(STORES)('a defect in the rollback of a schedule tick, the releases %s', (_, inFile) => {
  it("warns with the tick's own record, which stays failed, and the next tick withdraws v2", async () => {
    await world.useLedgerFile(inFile, 'model-gate-tick-rollback-defect-');
    await jobs.prJob(world.pullRequest('v2', 2), 'tick');
    expect(await world.serving()).toEqual(CANARY);
    world.clock.advance(60_000);

    const warnings: string[] = [];
    const failing = { candidateErrors: 0.2, warnings, target: defectOnRollback() };
    await expect(jobs.scheduleTick(failing)).rejects.toThrow(new TypeError(DEFECT));
    expect(warnings).toEqual([`fraud-detector: ${FAILED}`]);
    expect(await world.recorded()).toMatchObject({ status: 'failed', withdrawPending: true, reason: FAILED });
    expect(await world.serving()).toEqual(CANARY);

    world.clock.advance(60_000);
    await jobs.scheduleTick();
    expect(await world.serving()).toEqual({ stable: { version: 'v1' } });
    const settled = await world.recorded();
    expect(settled).toMatchObject({ status: 'failed' });
    expect(settled?.withdrawPending).toBeUndefined();
  });
});
