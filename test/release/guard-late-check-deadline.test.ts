import { beforeEach, describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../src/config/types.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { targetFor } from '../../src/release/adapters.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { httpTarget } from '../../src/targets/http-target.js';
import type { Target } from '../../src/targets/target.js';
import { useRaceWorld } from '../support/race-world.js';
import { at, useHttpRace } from './http-race-world.js';

// The watch job's guard (src/release/watch.ts `guarded`) looks in the ledger again after a traffic
// change that gives the candidate live traffic. On a target whose read-back keeps the change's
// settle-timeout (http), that look must come after the read-back: a slow ledger read before it
// would use up the time a change that settled at its last look has for its read-back, and a
// healthy step would be reported failed and rolled back.

const world = useRaceWorld({ firstPr: 90, firstRunId: 900, closePr: (closed) => prJob(closed, 'tick') });
const { recorded } = world;
const http = useHttpRace(world, 'settle-timeout: 1m, poll-interval: 10s');
const { job, prJob, puts, analysingV2 } = http;

/** How long the ledger takes to say whether another run ended the release. */
const LEDGER_READ_MS = 6_000;

beforeEach(async () => {
  await world.useLedgerFile(true, 'model-gate-guard-late-check-');
});

/** The http target on the test's fake clock: its settle-timeout is kept in the job's time. */
const onTestClock = (model: ModelConfig): Target =>
  model.target.type === 'http' ? httpTarget(model.target, model, world.clock) : targetFor(model);

/** `ledger`, each look for another run's end of a release taking LEDGER_READ_MS (a slow GitHub read). */
function slowLedger(ledger: Ledger): Ledger {
  return Object.create(ledger, {
    endedElsewhere: {
      value: async (...args: Parameters<NonNullable<Ledger['endedElsewhere']>>) => {
        world.clock.advance(LEDGER_READ_MS);
        return ledger.endedElsewhere?.(...args);
      },
    },
  });
}

describe('the watch job’s guard on an http target whose change settles at its settle-timeout', () => {
  it('a slow ledger read after the step to 50% leaves the read-back its time: the release stays analysing at 50%', async () => {
    const event = await analysingV2();
    const from = http.layer.requests.length;
    // The step's PUT is taken, and GET /traffic says updating: true for 60 s (reads 10 s apart):
    // the change settles at its last look, at its settle-timeout.
    http.layer.faults.converge = 6;
    const warnings: string[] = [];
    const { ports, publish } = job(event, { warnings, target: onTestClock });
    const slow = { ...ports, ledger: slowLedger(ports.ledger) };
    // A job's budget that the step's change alone uses up (the first pass is always made): it
    // stops watching after the step, the release left analysing at 50% for the next run.
    const budget = { mode: 'watch', maxWaitMs: 60_000, dryRun: false } as const;
    const watched = await publish(await handlePullRequest(http.config, event, slow, budget));
    expect(puts(from)).toEqual([at(50)]);
    expect(http.layer.traffic).toEqual(at(50));
    expect(watched.releases).toMatchObject([{ to: 'v2', status: 'analysing', phase: 1 }]);
    expect(await recorded()).toMatchObject({ to: 'v2', status: 'analysing', phase: 1 });
    expect(warnings).toEqual([
      expect.stringMatching(/^time budget \(max-wait\) reached with fraud-detector still analysing/),
    ]);
  });
});
