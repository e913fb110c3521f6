import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config, ModelConfig } from '../../src/config/types.js';
import { TargetError } from '../../src/core/errors.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { targetFor } from '../../src/release/adapters.js';
import type { PullRequestEvent, RunResult } from '../../src/release/pull-request.js';
import type { Target } from '../../src/targets/target.js';
import { sha } from '../support/model-config.js';
import { deferred, once, raceJobs, STORES, useRaceWorld } from '../support/race-world.js';

// A PR's own events take its candidate out of service: closed unmerged, merged before its analysis
// passed (on-merge: require-pass), merged on a head that no longer declares it, a push that puts
// the version back or declares another. Each records the release's end before its one traffic
// change, as a rollback by command does: a run that stops in between leaves a record the next run
// acts on, and a schedule tick driving the release meanwhile gives the candidate no traffic again.
// The platform is a real sandbox; the state the PR's comment on a GitHub stand-in, or a ledger file.
const world = useRaceWorld({ firstPr: 60, firstRunId: 600, closePr: (closed) => prJob(closed, 'tick') });
const { serving, comment, recorded, pullRequest } = world;
const { prJob, scheduleTick } = raceJobs(world, () => config, true);
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

/** A PR event that ends the release of v2 and takes it out of service: its status, and words its reason holds. */
interface End {
  event: (analysed: PullRequestEvent) => PullRequestEvent;
  status: 'aborted' | 'superseded';
  why: string;
}

const ENDS: [string, End][] = [
  [
    'the PR closed without merging',
    {
      event: (e) => ({ ...e, action: 'closed' }),
      status: 'aborted',
      why: 'the PR was closed without merging; v2 withdrawn',
    },
  ],
  [
    'a merge before the analysis passed (on-merge: require-pass)',
    {
      event: (e) => ({ ...e, action: 'closed', merged: true }),
      status: 'aborted',
      why: 'merged before the analysis passed; v2 was not promoted (on-merge: require-pass)',
    },
  ],
  [
    'a merge on a head that puts the version back',
    {
      event: () => ({ ...pullRequest('v1', 3), action: 'closed', merged: true }),
      status: 'aborted',
      why: 'not on the merged head',
    },
  ],
  [
    'a push that puts the version back',
    {
      event: () => ({ ...pullRequest('v1', 3), action: 'synchronize' }),
      status: 'superseded',
      why: "the PR no longer changes fraud-detector's version",
    },
  ],
  [
    'a push that declares another version',
    {
      event: () => ({ ...pullRequest('v3', 3), action: 'synchronize' }),
      status: 'superseded',
      why: 'superseded by a new head',
    },
  ],
];
const CLOSE = ENDS[0]?.[1] as End;

/** The job's process dies (its runner is lost) at its first traffic change: before it reaches the platform, or just after. */
function lostAt(at: 'before-change' | 'after-change') {
  return (model: ModelConfig): Target => {
    const target = targetFor(model);
    return Object.create(target, {
      write: {
        value: async (desired: TrafficState) => {
          if (at === 'after-change') await target.write(desired);
          throw new Error('the runner lost communication with the server');
        },
      },
    });
  };
}

/** The sandbox refusing every traffic change (an outage of the platform's API); `asked` runs as each is asked for. */
function refusing(asked: () => unknown = () => {}) {
  return (model: ModelConfig): Target =>
    Object.create(targetFor(model), {
      write: {
        value: async () => {
          asked();
          throw new TargetError('sandbox: platform unavailable');
        },
      },
    });
}

/**
 * The sandbox, running `meanwhile` once: `before-change` as the run asks for its traffic change,
 * `after-change` once the platform confirmed it (its read back), before the run goes on.
 */
function pausedAt(at: 'before-change' | 'after-change', meanwhile: () => Promise<unknown>) {
  const run = once(meanwhile);
  let wrote = false;
  return (model: ModelConfig): Target => {
    const target = targetFor(model);
    return Object.create(target, {
      write: {
        value: async (desired: TrafficState) => {
          if (at === 'before-change') await run();
          await target.write(desired);
          wrote = true;
        },
      },
      read: {
        value: async () => {
          const state = await target.read();
          if (at === 'after-change' && wrote) await run();
          return state;
        },
      },
    });
  };
}

/** The sandbox, keeping each traffic change the run makes in `writes`. */
function logging(writes: TrafficState[]) {
  return (model: ModelConfig): Target => {
    const target = targetFor(model);
    return Object.create(target, {
      write: {
        value: async (desired: TrafficState) => {
          writes.push(desired);
          await target.write(desired);
        },
      },
    });
  };
}

/** Whether `state` gives v2 any traffic. */
const givesV2 = (state: TrafficState) =>
  [state.canary, state.mirror, state.rolling].some((slot) => slot?.version === 'v2');

const UNDER_WAY_TITLE = '## model-gate: ⏳ Withdrawing: v2 is being withdrawn';
const UNDER_WAY_LINE =
  '- fraud-detector: v2 is being withdrawn (its end is recorded; the platform has not confirmed the change yet)';

/** The next run after the one that ended the release: a schedule tick, or the same job run again. */
const NEXT = [
  ['a schedule tick', () => scheduleTick()],
  ['a re-run of the same job', (ending: PullRequestEvent) => prJob(ending, 'tick')],
] as const;

/** The release ended and its candidate out of service, as the report of the run that did it must say. */
async function expectWithdrawn(end: End, opts: { laterTry: boolean; inFile: boolean }) {
  expect(await serving()).toEqual({ stable: { version: 'v1' } });
  const release = await recorded();
  expect(release).toMatchObject({ to: 'v2', status: end.status, reason: expect.stringContaining(end.why) });
  expect(release?.withdrawPending).toBeUndefined();
  if (opts.laterTry) expect(release?.reason).toMatch(/; v2 withdrawn on a later try$/);
  if (opts.inFile) return;
  expect(comment()).toContain('## model-gate: ⏹️ Withdrawn');
  expect(comment()).not.toContain('⏳');
  expect(comment()).not.toContain('may still get live traffic');
}

describe.each(STORES)(
  'a PR closed without merging whose job is lost while it withdraws v2, the state %s',
  (_, inFile) => {
    beforeEach(async () => {
      await world.useLedgerFile(inFile, 'model-gate-pr-lost-');
    });

    describe.each([
      ['before its traffic change reaches the platform', 'before-change'],
      ['after its traffic change reached the platform', 'after-change'],
    ] as const)('%s', (_, at) => {
      it.each(NEXT)(
        'its record and comment say v2 is being withdrawn; %s takes it out and the report ends truthful',
        async (_, next) => {
          const closed = CLOSE.event(await analysingV2());
          await expect(prJob(closed, 'tick', { target: lostAt(at) })).rejects.toThrow(
            'the runner lost communication with the server',
          );
          expect(await serving()).toEqual(
            at === 'before-change'
              ? { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } }
              : { stable: { version: 'v1' } },
          );
          // Recorded before the change, and in the comment at once: the lost job wrote nothing after.
          expect(await recorded()).toMatchObject({
            to: 'v2',
            status: 'aborted',
            withdrawPending: true,
            ending: { serves: 'v1' },
            reason: CLOSE.why,
          });
          if (!inFile) {
            expect(comment()).toContain(UNDER_WAY_TITLE);
            expect(comment()).toContain(UNDER_WAY_LINE);
            expect(world.github.commitStatuses(sha(2)).at(-1)).toMatchObject({
              state: 'error',
              description: 'v2 is being withdrawn',
            });
          }
          await next(closed);
          await expectWithdrawn(CLOSE, { laterTry: true, inFile });
        },
      );
    });
  },
);

describe('every PR event that withdraws a candidate records the end first, the state in a PR comment on GitHub', () => {
  beforeEach(() => {
    world.ledgerFile = undefined;
  });

  // The close is above, with both stores and both points.
  it.each(ENDS.slice(1))(
    '%s, its job lost before the change: the comment says v2 is being withdrawn, and the next tick takes it out',
    async (_, end) => {
      const ending = end.event(await analysingV2());
      await expect(prJob(ending, 'tick', { target: lostAt('before-change') })).rejects.toThrow(
        'the runner lost communication with the server',
      );
      expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
      expect(await recorded()).toMatchObject({ to: 'v2', status: end.status, withdrawPending: true });
      expect(comment()).toContain(UNDER_WAY_TITLE);
      expect(comment()).toContain(UNDER_WAY_LINE);
      await scheduleTick();
      await expectWithdrawn(end, { laterTry: true, inFile: false });
    },
  );
});

describe.each(STORES)(
  'a PR closed without merging on a platform that refuses the withdrawal, the state %s',
  (_, inFile) => {
    beforeEach(async () => {
      await world.useLedgerFile(inFile, 'model-gate-pr-refused-');
    });

    it.each(NEXT)(
      'the release ends with the withdrawal pending and the platform’s words; %s takes v2 out',
      async (_, next) => {
        const closed = CLOSE.event(await analysingV2());
        const seen: { comment?: string } = {};
        const result = await prJob(closed, 'tick', {
          target: refusing(() => {
            seen.comment = comment();
          }),
        });
        const refused = `${CLOSE.why}; withdrawing v2 failed: sandbox: platform unavailable`;
        expect(result.releases).toMatchObject([
          { to: 'v2', status: 'aborted', withdrawPending: true, reason: refused },
        ]);
        expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
        expect(await recorded()).toMatchObject({
          status: 'aborted',
          withdrawPending: true,
          reason: refused,
          ending: { withdrawFailed: { why: CLOSE.why, note: 'sandbox: platform unavailable' } },
        });
        if (!inFile) {
          // As the platform was asked, the comment already said the withdrawal was under way.
          expect(seen.comment).toContain(UNDER_WAY_TITLE);
          expect(comment()).toContain(
            '## model-gate: ⚠️ Withdrawal incomplete: a candidate may still get live traffic',
          );
          expect(comment()).toContain(
            '- fraud-detector v2 could not be withdrawn: sandbox: platform unavailable (withdrawing because the PR was closed without merging); v2 may still get live traffic: a re-run of this job or the next schedule tick tries again',
          );
        }
        await next(closed);
        await expectWithdrawn(CLOSE, { laterTry: true, inFile });
      },
    );
  },
);

describe('a PR event whose withdrawal the platform refused, run again: the re-run takes v2 out, the state in a PR comment on GitHub', () => {
  beforeEach(() => {
    world.ledgerFile = undefined;
  });

  it.each(ENDS.slice(1, 4))('%s', async (_, end) => {
    const ending = end.event(await analysingV2());
    const result = await prJob(ending, 'tick', { target: refusing() });
    expect(result.releases).toMatchObject([{ to: 'v2', status: end.status, withdrawPending: true }]);
    expect(comment()).toContain(
      '## model-gate: ⚠️ Withdrawal incomplete: a candidate may still get live traffic',
    );
    await prJob(ending, 'tick');
    await expectWithdrawn(end, { laterTry: true, inFile: false });
  });
});

/**
 * A schedule tick driving the release (it would pass step 1 and shift v2 to 50%) and the PR event
 * `ending`, interleaved: the tick reads the release and looks at the metrics; meanwhile the PR's
 * job runs up to `at` in its withdrawal, then waits while the tick takes its step; then it finishes.
 */
async function tickAgainst(ending: PullRequestEvent, at: 'before-change' | 'after-change') {
  const warnings: string[] = [];
  const tickWrites: TrafficState[] = [];
  const { promise: atPoint, resolve: reached } = deferred();
  const { promise: tickStepped, resolve: stepped } = deferred();
  let prRun: Promise<RunResult> | undefined;
  const tickResult = await scheduleTick({
    warnings,
    target: logging(tickWrites),
    meanwhile: async () => {
      const waiting = async () => {
        reached();
        await tickStepped;
      };
      prRun = prJob(ending, 'tick', { target: pausedAt(at, waiting) });
      // A run that fails before its point must not leave the tick waiting.
      await Promise.race([atPoint, prRun]);
    },
  });
  stepped();
  if (!prRun) throw new Error('the tick never looked at the metrics');
  return { prResult: await prRun, tickResult, warnings, tickWrites };
}

describe.each(STORES)(
  'a schedule tick driving the release while a PR event withdraws v2, the state %s',
  (_, inFile) => {
    beforeEach(async () => {
      await world.useLedgerFile(inFile, 'model-gate-pr-races-');
    });

    // A new version's push is left out: its candidate takes the canary's traffic anyway. With a ledger file, the close only.
    describe.each(ENDS.slice(0, inFile ? 1 : 4))('%s', (_, end) => {
      it.each([
        ['after its traffic change, before it records the end', 'after-change'],
        ['as it asks for its traffic change', 'before-change'],
      ] as const)(
        'which steps %s: the tick gives v2 no traffic again, the release ends withdrawn',
        async (_, at) => {
          const ending = end.event(await analysingV2());
          const { prResult, tickResult, warnings, tickWrites } = await tickAgainst(ending, at);
          // The tick found the release ended before its traffic change, and left it so.
          expect(tickWrites.filter(givesV2)).toEqual([]);
          expect(warnings).toEqual([
            expect.stringMatching(/^fraud-detector v2 was (ended|superseded) by another run: /),
          ]);
          expect(tickResult.releases).toMatchObject([{ to: 'v2', status: end.status }]);
          expect(prResult.releases).toMatchObject([{ to: 'v2', status: end.status }]);
          await expectWithdrawn(end, { laterTry: false, inFile });
        },
      );
    });

    it('the PR closed between the tick’s check of the record and its traffic change: the tick puts back v1 alone', async () => {
      const closed = CLOSE.event(await analysingV2());
      const warnings: string[] = [];
      const tickWrites: TrafficState[] = [];
      // The tick passed step 1 and checked the record; the close runs whole before its write lands.
      const late = pausedAt('before-change', () => prJob(closed, 'tick'));
      const target = (model: ModelConfig): Target => {
        const paused = late(model);
        return Object.create(paused, {
          write: {
            value: async (desired: TrafficState) => {
              await paused.write(desired);
              tickWrites.push(desired);
            },
          },
        });
      };
      await scheduleTick({ warnings, target });
      expect(tickWrites[0]).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 50 } });
      expect(warnings).toEqual([expect.stringMatching(/^fraud-detector v2 was ended by another run: /)]);
      await expectWithdrawn(CLOSE, { laterTry: false, inFile });
    });
  },
);
