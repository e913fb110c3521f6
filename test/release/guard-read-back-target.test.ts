import { beforeEach, describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../src/config/types.js';
import { TargetError } from '../../src/core/errors.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { targetFor } from '../../src/release/adapters.js';
import { handleCommand } from '../../src/release/commands.js';
import type { RunResult } from '../../src/release/pull-request.js';
import type { Target } from '../../src/targets/target.js';
import { MODEL, once, STORES, useRaceWorld } from '../support/race-world.js';
import { at, useHttpRace, V1 } from './http-race-world.js';

// The watch job's guard (src/release/watch.ts `guarded`) on a target whose write returns its
// read-back (the http target: the read keeps the change's settle-timeout): before each traffic
// change it looks in the ledger for another run having ended the release, and after one giving the
// candidate traffic it looks again. A workflow_dispatch rollback while the job watches must stay
// rolled back. An earlier version of the read-back let such a target's change bypass the guard;
// these tests keep it from coming back. The platform is a serving layer written to
// docs/http-target.openapi.yaml, the ledger a PR comment on a GitHub stand-in or a ledger file.

const world = useRaceWorld({ firstPr: 70, firstRunId: 700, closePr: (closed) => prJob(closed, 'tick') });
const { recorded } = world;
const http = useHttpRace(world);
const { job, prJob, puts, analysingV2 } = http;

/** A rollback to v1 by workflow_dispatch, on the same serving layer. */
async function rollbackToV1() {
  const { ports, publish } = job();
  const inputs = { model: MODEL, toVersion: 'v1', dryRun: false, trigger: 'workflow_dispatch' };
  return publish(await handleCommand(http.config, 'rollback', inputs, ports));
}

/**
 * The serving layer's http target, running `meanwhile` once as its first traffic change is asked
 * for (after the guard's look in the ledger); `returned` collects what each write returned.
 * `readBackFails`: the first change's read-back fails so (the platform's GET failing after a PUT
 * it took).
 */
function atFirstWrite(meanwhile: () => Promise<unknown>, returned: string[], readBackFails?: string) {
  const first = once(meanwhile);
  let failing = readBackFails;
  return (model: ModelConfig): Target => {
    const target = targetFor(model);
    return Object.create(target, {
      write: {
        value: async (desired: TrafficState) => {
          await first();
          const readBack = await target.write(desired);
          returned.push(typeof readBack);
          const why = failing;
          failing = undefined;
          if (!why || !readBack) return readBack;
          return async () => {
            throw new TargetError(why);
          };
        },
      },
    });
  };
}

const WHY = 'a rollback to v1 by workflow_dispatch withdrew it';

/** The job's release ended by the rollback, as its result, its warning and the record say. */
async function expectEndedByTheRollback(watched: RunResult, warnings: string[]) {
  expect(watched.releases).toMatchObject([{ to: 'v2', status: 'aborted' }]);
  expect(warnings).toEqual([expect.stringMatching(/^fraud-detector v2 was ended by another run: /)]);
  expect(await recorded()).toMatchObject({
    to: 'v2',
    status: 'aborted',
    reason: expect.stringContaining(WHY),
  });
}

describe.each(STORES)('the watch job’s guard on an http target, the state %s', (_, inFile) => {
  beforeEach(async () => {
    await world.useLedgerFile(inFile, 'model-gate-guard-read-back-');
  });

  it('a rollback by workflow_dispatch while the job looks: its step to 50% never reaches the platform', async () => {
    const event = await analysingV2();
    const from = http.layer.requests.length;
    const warnings: string[] = [];
    const watched = await prJob(event, 'watch', { warnings, meanwhile: rollbackToV1 });
    // The rollback's change only: the job's 50% was refused before it was sent.
    expect(puts(from)).toEqual([V1]);
    expect(http.layer.traffic).toEqual(V1);
    await expectEndedByTheRollback(watched, warnings);
    expect(warnings[0]).toContain(WHY);
  });

  it('a rollback by workflow_dispatch between the job’s look in the ledger and its step to 50%: the job puts v1 back', async () => {
    const event = await analysingV2();
    const from = http.layer.requests.length;
    const warnings: string[] = [];
    const returned: string[] = [];
    const target = atFirstWrite(rollbackToV1, returned);
    const watched = await prJob(event, 'watch', { warnings, target });
    // The rollback's change, the job's late one, and the job undoing it.
    expect(puts(from)).toEqual([V1, at(50), V1]);
    expect(http.layer.traffic).toEqual(V1);
    // The target's writes returned their read-backs: the guard was on that path.
    expect(returned).toEqual(['function', 'function']);
    await expectEndedByTheRollback(watched, warnings);
  });

  it('the same rollback, the read-back of the job’s step to 50% failing: the job still puts v1 back', async () => {
    const event = await analysingV2();
    const from = http.layer.requests.length;
    const warnings: string[] = [];
    const returned: string[] = [];
    const target = atFirstWrite(rollbackToV1, returned, 'GET /traffic failed: socket hang up');
    const watched = await prJob(event, 'watch', { warnings, target });
    // The guard looks in the ledger after the read-back, failed or not: the rollback's end stands.
    expect(puts(from)).toEqual([V1, at(50), V1]);
    expect(http.layer.traffic).toEqual(V1);
    await expectEndedByTheRollback(watched, warnings);
  });
});
