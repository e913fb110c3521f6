import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config, ModelConfig } from '../../src/config/types.js';
import { TargetError } from '../../src/core/errors.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { targetFor } from '../../src/release/adapters.js';
import { handleCommand } from '../../src/release/commands.js';
import type { PullRequestEvent, RunResult } from '../../src/release/pull-request.js';
import type { Target } from '../../src/targets/target.js';
import { sha } from '../support/model-config.js';
import { deferred, type JobWorld, MODEL, raceJobs, STORES, useRaceWorld } from '../support/race-world.js';

// Runs that take a candidate out of service while another run acts on the same model: they are in
// different concurrency groups. A workflow_dispatch rollback or abort of a release that a PR's job
// (or a schedule tick) drives, the other run's step falling anywhere in the command's run, in
// particular between its traffic change and its record of the release's end; and a run retrying a
// failed withdrawal while a new push starts a new release of the model. Whatever the interleaving,
// the serving platform (a real sandbox) must end as the last decision recorded says, and the ledger
// must say so: the PR's comment on a GitHub stand-in, or a ledger file two `model-gate run`
// processes share.
const world = useRaceWorld({ firstPr: 40, firstRunId: 400, closePr: (closed) => prJob(closed, 'tick') });
const { serving, comment, recorded, pullRequest } = world;
const { job, prJob, scheduleTick } = raceJobs(world, () => config, true);
let config: Config;
beforeAll(() => {
  config = world.configWith('[10, 50]');
});

/** The PR's job in tick mode: v2 deployed at 10%, analysing step 1 of 2, with data enough to pass it. */
async function analysingV2() {
  const event = pullRequest('v2', 2);
  await prJob(event, 'tick');
  expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
  world.clock.advance(20_000);
  return event;
}

/**
 * The sandbox, running `meanwhile` once: `before-change` as the command asks for its traffic
 * change, `after-change` once the platform confirmed it (its read back), before the command goes on.
 */
function interrupted(
  at: 'before-change' | 'after-change',
  meanwhile: () => Promise<unknown>,
  writes: TrafficState[] = [],
) {
  let pending: (() => Promise<unknown>) | undefined = meanwhile;
  let wrote = false;
  const once = async () => {
    const run = pending;
    pending = undefined;
    await run?.();
  };
  return (model: ModelConfig): Target => {
    const target = targetFor(model);
    return Object.create(target, {
      write: {
        value: async (desired: TrafficState) => {
          if (at === 'before-change') await once();
          writes.push(desired);
          await target.write(desired);
          wrote = true;
        },
      },
      read: {
        value: async () => {
          const state = await target.read();
          if (at === 'after-change' && wrote) await once();
          return state;
        },
      },
    });
  };
}

/** A workflow_dispatch command on the platform `target` (default: the sandbox). */
async function dispatch(
  command: 'rollback' | 'abort',
  toVersion: string | undefined,
  target?: (model: ModelConfig) => Target,
) {
  const { ports, publish } = job(undefined, { target });
  const inputs = { model: MODEL, toVersion, dryRun: false, trigger: 'workflow_dispatch' };
  return publish(await handleCommand(config, command, inputs, ports));
}

/**
 * `other` (a run already driving the release, past its first look at the platform) and a command,
 * interleaved: the other run looks at the metrics; meanwhile the command runs up to `at`, then waits
 * while the other run takes its step (a traffic change, checked against the ledger first); then the
 * command finishes. What each run returned, what the other run warned about, and the traffic
 * changes the command asked for.
 */
async function interleaved(
  other: (opts: JobWorld) => Promise<RunResult>,
  command: 'rollback' | 'abort',
  toVersion: string | undefined,
  at: 'before-change' | 'after-change',
) {
  const warnings: string[] = [];
  const writes: TrafficState[] = [];
  const { promise: atPoint, resolve: reached } = deferred();
  const { promise: otherStepped, resolve: stepped } = deferred();
  let commandRun: Promise<RunResult> | undefined;
  const otherResult = await other({
    warnings,
    meanwhile: async () => {
      const waiting = async () => {
        reached();
        await otherStepped;
      };
      commandRun = dispatch(command, toVersion, interrupted(at, waiting, writes));
      // A command that fails before its point must not leave the other run waiting.
      await Promise.race([atPoint, commandRun]);
    },
  });
  stepped();
  if (!commandRun) throw new Error('the other run never looked at the metrics');
  return { commandResult: await commandRun, otherResult, warnings, writes };
}

const COMMANDS = [
  // v1 serves already: the rollback only withdraws the candidate in flight.
  [
    'a rollback to the version serving',
    'rollback',
    'v1',
    'a rollback to v1 by workflow_dispatch withdrew it',
  ],
  ['a rollback to another version', 'rollback', 'v3', 'rolled back to v3 by workflow_dispatch; v2 withdrawn'],
  ['an abort', 'abort', undefined, 'aborted by workflow_dispatch'],
] as const;

const OTHERS = [
  ['the PR job', (event: PullRequestEvent) => (opts: JobWorld) => prJob(event, 'tick', opts)],
  ['a schedule tick', () => (opts: JobWorld) => scheduleTick(opts)],
] as const;

describe.each(STORES)(
  'a command by workflow_dispatch racing a run that drives its release, the state %s',
  (_, inFile) => {
    beforeEach(async () => {
      await world.useLedgerFile(inFile, 'model-gate-dispatch-races-');
    });

    describe.each(COMMANDS)('%s', (_, command, toVersion, why) => {
      const stable = toVersion ?? 'v1';
      describe.each(OTHERS)('against %s', (_, otherRun) => {
        it.each([
          ['after its traffic change, before it records the end', 'after-change'],
          ['as it asks for its traffic change', 'before-change'],
        ] as const)(
          'which steps %s: the candidate ends with no live traffic, the release ended as the command said',
          async (_, at) => {
            const event = await analysingV2();
            // The other run would pass step 1 and shift v2 to 50%.
            const { commandResult, otherResult, warnings, writes } = await interleaved(
              otherRun(event),
              command,
              toVersion,
              at,
            );
            expect(await serving()).toEqual({ stable: { version: stable } });
            // Still one target call: the end is recorded around it, not by more calls.
            expect(writes).toEqual([{ stable: { version: stable } }]);
            expect(commandResult.releases).toMatchObject([
              { to: 'v2', status: 'aborted', reason: expect.stringContaining(why) },
            ]);
            expect(commandResult.releases[0]?.withdrawPending).toBeUndefined();
            // The other run found the release ended before its traffic change, and left it so.
            expect(warnings).toEqual([
              expect.stringMatching(/^fraud-detector v2 was ended by another run: /),
            ]);
            expect(warnings[0]).toContain(why);
            expect(otherResult.releases).toMatchObject([{ to: 'v2', status: 'aborted' }]);
            const end = await recorded();
            expect(end).toMatchObject({ to: 'v2', status: 'aborted', reason: expect.stringContaining(why) });
            expect(end?.withdrawPending).toBeUndefined();
            if (inFile) return;
            const title =
              toVersion === 'v3' ? '## model-gate: ↩️ Rolled back by command' : '## model-gate: ⏹️ Withdrawn';
            expect(comment()).toContain(title);
            expect(comment()).not.toContain('may still get live traffic');
          },
        );
      });
    });
  },
);

// The other order: the run driving the release checked the ledger just before the command recorded
// the end, and its traffic change (v2 to 50%) reaches the platform after the command's. It must
// put back what the command's record says serves, whether the command changed the traffic before
// its write (`whole`) or only after that run is done (`split`: recorded the end, waits, then changes the traffic).
describe.each(STORES)(
  'a command by workflow_dispatch between the check and the traffic change of a run driving its release, the state %s',
  (_, inFile) => {
    beforeEach(async () => {
      await world.useLedgerFile(inFile, 'model-gate-late-write-');
    });

    describe.each(COMMANDS)('%s', (_, command, toVersion, why) => {
      const stable = toVersion ?? 'v1';
      describe.each(OTHERS)('against %s', (_, otherRun) => {
        it.each([
          ['changes the traffic before that run', 'whole'],
          ['changes the traffic after that run is done', 'split'],
        ] as const)(
          'which %s: the candidate ends with no live traffic, the release ended as the command said',
          async (_, order) => {
            const event = await analysingV2();
            const warnings: string[] = [];
            const otherWrites: TrafficState[] = [];
            let commandRun: Promise<RunResult> | undefined;
            const { promise: otherDone, resolve: letCommandOn } = deferred();
            const commandHere = async () => {
              if (order === 'whole') {
                commandRun = dispatch(command, toVersion);
                return commandRun;
              }
              // The command records the end, then waits at its traffic change until the other run is done.
              const { promise: atChange, resolve: recordedEnd } = deferred();
              const wait = async () => {
                recordedEnd();
                await otherDone;
              };
              commandRun = dispatch(command, toVersion, interrupted('before-change', wait));
              await Promise.race([atChange, commandRun]);
            };
            // The other run passed step 1: its write (v2 to 50%) comes after its check of the ledger.
            const target = interrupted('before-change', commandHere, otherWrites);
            const otherResult = await otherRun(event)({ warnings, target });
            letCommandOn();
            if (!commandRun) throw new Error('the other run never changed the traffic');
            const commandResult = await commandRun;
            expect(otherWrites[0]).toEqual({
              stable: { version: 'v1' },
              canary: { version: 'v2', weight: 50 },
            });
            expect(await serving()).toEqual({ stable: { version: stable } });
            expect(commandResult.releases).toMatchObject([
              { to: 'v2', status: 'aborted', reason: expect.stringContaining(why) },
            ]);
            expect(commandResult.releases[0]?.withdrawPending).toBeUndefined();
            expect(warnings).toEqual([
              expect.stringMatching(/^fraud-detector v2 was ended by another run: /),
            ]);
            expect(otherResult.releases).toMatchObject([{ to: 'v2', status: 'aborted' }]);
            const end = await recorded();
            expect(end).toMatchObject({ to: 'v2', status: 'aborted', reason: expect.stringContaining(why) });
            expect(end?.withdrawPending).toBeUndefined();
            if (inFile) return;
            expect(comment()).not.toContain('may still get live traffic');
          },
        );
      });
    });
  },
);

/** The sandbox, refusing every traffic change (an outage of the platform's API). */
function refusing(model: ModelConfig): Target {
  const target = targetFor(model);
  return Object.create(target, {
    write: {
      value: async () => {
        throw new TargetError('sandbox: platform unavailable');
      },
    },
  });
}

/** The sandbox, running `meanwhile` once, before the run's first look at the platform. */
function beforeFirstRead(meanwhile: () => Promise<unknown>) {
  let pending: (() => Promise<unknown>) | undefined = meanwhile;
  return (model: ModelConfig): Target => {
    const target = targetFor(model);
    return Object.create(target, {
      read: {
        value: async () => {
          const run = pending;
          pending = undefined;
          await run?.();
          return target.read();
        },
      },
    });
  };
}

describe.each(STORES)('a rollback by workflow_dispatch the platform refuses, the state %s', (_, inFile) => {
  beforeEach(async () => {
    await world.useLedgerFile(inFile, 'model-gate-refused-');
  });

  it('ends the release all the same, its withdrawal pending: the PR job takes the candidate out, and gives it no traffic again', async () => {
    const event = await analysingV2();
    // The error says first that the rollback did not take and what still serves.
    await expect(dispatch('rollback', 'v3', refusing)).rejects.toThrow(
      `rollback fraud-detector: v1 still serves, the platform did not take the rollback to v3 (sandbox: platform unavailable); the release of v2 of PR #${world.pr} is recorded as ended, and as its candidate may still get live traffic, a re-run of the PR's job or the next schedule tick tries again to withdraw it; run the rollback again once the platform answers`,
    );
    expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
    // Recorded before the call, then, read again, as a rollback that did not take: the comment too.
    const refused =
      'a rollback to v3 by workflow_dispatch did not take (sandbox: platform unavailable): v1 still serves, the platform as v1 90% / v2 10%; v2 may still get live traffic, its withdrawal pending';
    expect(await recorded()).toMatchObject({ status: 'aborted', withdrawPending: true, reason: refused });
    if (!inFile) {
      expect(comment()).toContain(
        '## model-gate: ⚠️ Rollback incomplete: a candidate may still get live traffic',
      );
      expect(comment()).toContain('v2 could not be withdrawn: sandbox: platform unavailable');
      // The commit status says the change failed, not that v3 serves.
      expect(world.github.commitStatuses(sha(2)).at(-1)).toMatchObject({
        state: 'error',
        description:
          "the command's traffic change failed: sandbox: platform unavailable; v2 may still get live traffic, the next run tries again",
      });
    }
    // The PR job's next step would have shifted v2 to 50%: it withdraws it instead.
    await prJob(event, 'tick');
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(await recorded()).toMatchObject({
      status: 'aborted',
      reason: expect.stringMatching(/; v2 withdrawn on a later try$/),
    });
    expect((await recorded())?.withdrawPending).toBeUndefined();
    // Run again once the platform answers, the rollback serves v3.
    await dispatch('rollback', 'v3');
    expect(await serving()).toEqual({ stable: { version: 'v3' } });
  });
});

describe('a command by workflow_dispatch whose traffic change is under way, the state in a PR comment on GitHub', () => {
  beforeEach(() => {
    world.ledgerFile = undefined;
  });

  it.each([
    [
      'a rollback to another version',
      'rollback',
      'v3',
      '⏳ Rolling back: v2 is being withdrawn, v3 is being put back',
    ],
    ['an abort', 'abort', undefined, '⏳ Withdrawing: v2 is being withdrawn'],
  ] as const)(
    '%s: the comment and the commit status say it is under way, not that it failed',
    async (_, command, toVersion, title) => {
      await analysingV2();
      const seen: { comment?: string; status?: string | null } = {};
      const look = async () => {
        seen.comment = comment();
        seen.status = world.github.commitStatuses(sha(2)).at(-1)?.description;
      };
      await dispatch(command, toVersion, interrupted('before-change', look));
      expect(seen.comment).toContain(`## model-gate: ${title}`);
      expect(seen.comment).toContain('fraud-detector: v2 is being withdrawn');
      expect(seen.comment).not.toContain('may still get live traffic');
      expect(seen.comment).not.toContain('failed');
      expect(seen.status).toMatch(/^v2 is being withdrawn/);
      // Done: the comment and the status say what was done.
      expect(comment()).not.toContain('⏳');
      expect(world.github.commitStatuses(sha(2)).at(-1)?.description).toMatch(
        /^v2 withdrawn, v[13] serves: (rolled back to v3|aborted) by workflow_dispatch/,
      );
    },
  );
});

// A run retrying the withdrawal of a release whose end a rollback to v3 recorded while that
// rollback's traffic change is in flight (a platform that takes minutes to confirm one): it read the
// platform before the change landed, and asks for its own after the rollback is done.
describe.each(STORES)(
  'a withdrawal retried while a rollback to another version is under way, the state %s',
  (_, inFile) => {
    beforeEach(async () => {
      await world.useLedgerFile(inFile, 'model-gate-retry-under-way-');
    });

    it.each(OTHERS)('by %s: v3 serves alone, as the record says', async (_, otherRun) => {
      const event = await analysingV2();
      const { promise: retryPaused, resolve: retryAtChange } = deferred();
      let commandRun: Promise<RunResult> | undefined;
      let otherRunning: Promise<RunResult> | undefined;
      // The rollback recorded its end; as it asks for its change, the other run starts its retry.
      const commandTarget = interrupted('before-change', async () => {
        // The other run read the platform (v2 still at 10%); its change comes after the rollback's.
        const late = interrupted('before-change', async () => {
          retryAtChange();
          await commandRun;
        });
        otherRunning = otherRun(event)({ target: late });
        await Promise.race([retryPaused, otherRunning]);
      });
      commandRun = dispatch('rollback', 'v3', commandTarget);
      await commandRun;
      await otherRunning;
      expect(await serving()).toEqual({ stable: { version: 'v3' } });
      const end = await recorded();
      expect(end).toMatchObject({ to: 'v2', status: 'aborted', ending: { serves: 'v3' } });
      expect(end?.withdrawPending).toBeUndefined();
    });
  },
);

describe.each(STORES)(
  'a withdrawal retried while a new push starts a new release of the model, the state %s',
  (_, inFile) => {
    beforeEach(async () => {
      await world.useLedgerFile(inFile, 'model-gate-retry-races-');
      // The claim of the canary slot that the test before left in progress (a new push replaced its
      // release, whose withdrawal was pending) is left over once 30 min old: the new PR may claim it.
      // (These tests come last in the file for that reason.)
      world.clock.advance(31 * 60_000);
    });

    it.each([
      ['the same version', 'v2'],
      ['another version', 'v3'],
    ])('of %s: the new candidate keeps its traffic and its record, the tick leaves both', async (_, to) => {
      await analysingV2();
      // An abort the platform refuses: the release ends, its withdrawal pending, v2 still at 10%.
      await expect(dispatch('abort', undefined, refusing)).rejects.toThrow(/run the abort again/);
      expect(await recorded()).toMatchObject({ to: 'v2', status: 'aborted', withdrawPending: true });
      const deployed = { stable: { version: 'v1' }, canary: { version: to, weight: 10 } };
      // A schedule tick tries the withdrawal again; as it looks at the platform, a new push on the
      // PR starts a new release of the model, whose candidate gets 10%.
      const push = { ...pullRequest(to, 3), action: 'synchronize' };
      const warnings: string[] = [];
      await scheduleTick({
        warnings,
        target: beforeFirstRead(async () => {
          await prJob(push, 'tick');
          expect(await serving()).toEqual(deployed);
        }),
      });
      expect(await serving()).toEqual(deployed);
      expect(await recorded()).toMatchObject({ to, headSha: sha(3), status: 'analysing', phase: 0 });
      expect(warnings).toEqual([
        expect.stringMatching(
          /^fraud-detector v2 was superseded by another run: the release of fraud-detector is now /,
        ),
      ]);
      if (inFile) return;
      expect(comment()).toContain(`- fraud-detector ${to}: analysing step 1 of 2`);
    });
  },
);
