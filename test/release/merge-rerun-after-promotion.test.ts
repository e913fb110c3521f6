import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { sha } from '../support/model-config.js';
import { MODEL, raceMetrics, useRaceWorld } from '../support/race-world.js';

// A re-run of a merge job that finds its release promoted already says when it was promoted, and
// after the merge where that is on record; it used to say "promoted before the merge, so the merge
// changed nothing" of a candidate a schedule tick promoted hours after the merge (on-merge:
// analyze-then-promote, a 6-hour shadow, the merge job watching 1 hour), and of one the merge job
// itself promoted (a re-run of a job that succeeded). The platform is a real sandbox, the ledger a
// PR comment on a GitHub stand-in, time a fake clock.
const HOUR = 3_600_000;
const world = useRaceWorld({ firstPr: 520, firstRunId: 5200, closePr: (closed) => prJob(closed, HOUR) });
let config: Config;
beforeAll(() => {
  config = world.configOf(
    '{ type: shadow, share: 50, duration: 6h, step-duration: 6h, min-requests: 100, interval: 1m }',
    { onMerge: 'analyze-then-promote' },
  );
  world.useLedgerFile(false, 'model-gate-merge-rerun-');
});

const merged = (event: PullRequestEvent): PullRequestEvent => ({ ...event, action: 'closed', merged: true });

/** A PR's job watching up to `maxWaitMs`, published as the action publishes it. */
async function prJob(event: PullRequestEvent, maxWaitMs: number) {
  const { ports, publish } = world.job(event, config, { metrics: raceMetrics(async () => {}) });
  return publish(await handlePullRequest(config, event, ports, { mode: 'watch', maxWaitMs, dryRun: false }));
}

/** Schedule ticks an hour apart until the release is no longer analysing (at most 8). */
async function ticksUntilDecided() {
  for (let i = 0; i < 8 && (await world.recorded())?.status === 'analysing'; i++) {
    world.clock.advance(HOUR);
    const { ports, publish } = world.job(undefined, config, { metrics: raceMetrics(async () => {}) });
    await publish(await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 }));
  }
}

/** The time of v2's promotion as its record says, to the minute; the ledger has its entry. */
async function promotedAt(): Promise<string> {
  expect((await world.ledgerOf().history(MODEL)).at(-1)).toMatchObject({ kind: 'promotion', version: 'v2' });
  const promoted = await world.recorded();
  expect(promoted).toMatchObject({ status: 'promoted', to: 'v2' });
  return `${new Date(promoted?.updatedAt ?? 0).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}

const head = sha(2).slice(0, 7);

describe('a re-run of a merge job whose release is promoted already', () => {
  it('promoted by a schedule tick after the merge: says so, with the time', async () => {
    const event = world.pullRequest('v2', 2);
    await prJob(event, HOUR);
    expect((await prJob(merged(event), HOUR)).releases[0]?.status).toBe('analysing');
    await ticksUntilDecided();
    expect(await world.recorded()).toMatchObject({ status: 'promoted', to: 'v2' });
    const at = await promotedAt();

    world.clock.advance(HOUR);
    const rerun = await prJob(merged(event), HOUR);
    const why = `v2 was already promoted at ${at}, after the merge (passed 1 shadow phase on ${head}, analysed after the merge); nothing left to do`;
    expect(rerun.skipped).toEqual([{ model: MODEL, why, kind: 'note' }]);
    expect(world.comment()).toContain(why);
    expect(await world.serving()).toEqual({ stable: { version: 'v2' } });
  });

  it('promoted by the merge job itself: says when, not that it was before the merge', async () => {
    const event = world.pullRequest('v2', 2);
    expect((await prJob(event, 8 * HOUR)).releases[0]?.status).toBe('ready');
    expect((await prJob(merged(event), HOUR)).releases[0]?.status).toBe('promoted');
    const at = await promotedAt();

    world.clock.advance(HOUR);
    const rerun = await prJob(merged(event), HOUR);
    expect(rerun.skipped).toEqual([
      {
        model: MODEL,
        why: `v2 was already promoted at ${at} (passed 1 shadow phase on ${head}); nothing left to do`,
        kind: 'note',
      },
    ]);
  });
});
