import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config, ModelConfig } from '../../src/config/types.js';
import { TargetError } from '../../src/core/errors.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { targetFor } from '../../src/release/adapters.js';
import { handleCommand } from '../../src/release/commands.js';
import { PROMOTION_GRACE_MS } from '../../src/release/merged-ready.js';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import type { Target } from '../../src/targets/target.js';
import { MODEL, raceMetrics, STORES, useRaceWorld } from '../support/race-world.js';

// on-merge: analyze-then-promote. The tick that passed the merged candidate could not promote it
// (the platform refused), so the release is ready, its promotion pending, and its comment says a
// later tick or a re-run of the merge job promotes it. The user re-runs the merge job; a tick, its
// grace over, tries the promotion again at the same time. The merge job promoted the ready record
// as it first read it, without reading it again: a second promotion, over a tick's and over what
// happened since (a rollback by workflow_dispatch put back). The tick runs while the merge job reads
// the merged head's version file. The platform is a real sandbox (counting promotions); the ledger
// a PR comment on the GitHub stand-in, or a ledger file.
const world = useRaceWorld({ firstPr: 300, firstRunId: 3000, closePr: (closed) => prJob(closed) });
let config: Config;
beforeAll(() => {
  config = world.configWith('[10]', { onMerge: 'analyze-then-promote' });
});

/** Promotions of v2 (v2 alone serving) the sandbox was asked for; `refusing`: it answers 500 to them. */
const platform = { promotions: 0, refusing: false };
const isPromotion = (d: TrafficState) => d.stable.version === 'v2' && !d.canary && !d.mirror;
function sandbox(model: ModelConfig): Target {
  const target = targetFor(model);
  return Object.create(target, {
    write: {
      value: async (desired: TrafficState) => {
        if (isPromotion(desired)) {
          platform.promotions++;
          if (platform.refusing) throw new TargetError('platform refused the change (500)');
        }
        await target.write(desired);
      },
    },
  });
}

/** A job on the counting sandbox; `atFirstRead` runs once, as the job first reads a version file. */
const jobOf = (event: PullRequestEvent | undefined, atFirstRead?: () => Promise<unknown>) =>
  world.job(event, config, { metrics: raceMetrics(async () => {}), target: sandbox, atFirstRead });

/** A PR's job, one pass; `meanwhile` runs once, as the job first reads a version file. */
async function prJob(event: PullRequestEvent, meanwhile?: () => Promise<unknown>) {
  const { ports, publish } = jobOf(event, meanwhile);
  const opts = { mode: 'tick' as const, maxWaitMs: 3_600_000, dryRun: false };
  return publish(await handlePullRequest(config, event, ports, opts));
}

async function scheduleTick() {
  const { ports, publish } = jobOf(undefined);
  return publish(await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 }));
}

async function rollbackToV1() {
  const { ports, publish } = jobOf(undefined);
  const inputs = { model: MODEL, toVersion: 'v1', dryRun: false, trigger: 'workflow_dispatch' };
  return publish(await handleCommand(config, 'rollback', inputs, ports));
}

/**
 * v2 analysed on head 2, the PR merged at head 3 (a README fix) before it passed; the tick that
 * passed it had its promotion refused. Then the grace after that try runs out. Returns the merge event.
 */
async function promotionPending(): Promise<PullRequestEvent> {
  await prJob(world.pullRequest('v2', 2));
  const { baseSha, headSha, number } = world.pullRequest('v2', 3);
  const merged = { action: 'closed', number, baseSha, headSha, merged: true };
  await prJob(merged);
  expect(await world.recorded()).toMatchObject({ status: 'analysing', mergedAt: expect.any(Number) });
  platform.refusing = true;
  world.clock.advance(20_000);
  await scheduleTick();
  platform.refusing = false;
  expect(await world.recorded()).toMatchObject({
    status: 'ready',
    reason: expect.stringContaining('promoting it failed'),
  });
  world.clock.advance(PROMOTION_GRACE_MS);
  platform.promotions = 0;
  return merged;
}

describe.each(STORES)('a re-run of the merge job while a tick promotes, releases kept %s', (_, inFile) => {
  beforeEach(() => world.useLedgerFile(inFile, 'model-gate-promote-rerun-'));

  it('v2 is promoted once, by the tick; the merge job says so and promotes nothing', async () => {
    const merged = await promotionPending();
    const rerun = await prJob(merged, () => scheduleTick());
    expect(platform.promotions).toBe(1);
    expect(await world.serving()).toEqual({ stable: { version: 'v2' } });
    const recorded = await world.recorded();
    expect(recorded).toMatchObject({
      status: 'promoted',
      reason: expect.stringContaining('analysed after the merge'),
    });
    expect(rerun.releases).toEqual([recorded]);
    expect(rerun.skipped).toContainEqual({
      model: MODEL,
      why: `v2 was not promoted by this job: another run recorded it promoted since this job read it: ${recorded?.reason}`,
      kind: 'note',
    });
  });

  it('a rollback to v1 by workflow_dispatch after the tick promoted v2 stays: the merge job does not promote v2 again', async () => {
    const merged = await promotionPending();
    await prJob(merged, async () => {
      await scheduleTick();
      await rollbackToV1();
    });
    expect(platform.promotions).toBe(1);
    expect(await world.serving()).toEqual({ stable: { version: 'v1' } });
    expect((await world.ledgerOf().history(MODEL)).at(-1)).toMatchObject({ kind: 'rollback', version: 'v1' });
  });
});
