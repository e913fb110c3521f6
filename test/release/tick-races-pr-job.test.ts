import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config, ModelConfig } from '../../src/config/types.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { targetFor } from '../../src/release/adapters.js';
import { handleCommand } from '../../src/release/commands.js';
import { handleSchedule } from '../../src/release/schedule.js';
import type { Target } from '../../src/targets/target.js';
import { sha } from '../support/model-config.js';
import { deferred, MODEL, raceJobs, STORES, useRaceWorld } from '../support/race-world.js';

// A schedule tick and a PR's job (or a workflow_dispatch) on the same release at the same time:
// they are in different concurrency groups. Between the tick's read of the release and its
// writes, the other run supersedes, finishes or rolls back the release; the tick must leave the
// other run's word standing, on the serving platform (a real sandbox) and in the ledger: the PR's
// comment on a GitHub stand-in, or a ledger file two `model-gate run` processes share. The other
// run acts while the tick looks at the metrics, after its read.
const world = useRaceWorld({ firstPr: 20, firstRunId: 200, closePr: (closed) => prJob(closed, 'tick') });
const { serving, comment, recorded, pullRequest } = world;
const { job, prJob } = raceJobs(world, () => config, false);
let config: Config;
beforeAll(() => {
  config = world.configWith('[10, 50]');
});

/** The PR's job in tick mode: v2 deployed at 10%, analysing step 1 of 2. */
async function analysingV2(head: number) {
  const event = pullRequest('v2', head);
  await prJob(event, 'tick');
  expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
  return event;
}

/**
 * The sandbox as a platform that applies a change at once but confirms it only once `confirmed`
 * resolves (a rollout it waits for); `applied` is called when the change took effect.
 */
function slowToConfirm(confirmed: Promise<void>, applied: () => void) {
  return (model: ModelConfig): Target => {
    const target = targetFor(model);
    return Object.create(target, {
      write: {
        value: async (desired: TrafficState) => {
          await target.write(desired);
          applied();
          await confirmed;
        },
      },
    });
  };
}

/**
 * A schedule tick, with `meanwhile` run by another job after the tick read the release, and
 * `beforeWrite` after the tick recorded its step and before it writes the PR's comment.
 */
async function scheduleTick(meanwhile: () => Promise<unknown>, beforeWrite?: () => Promise<unknown>) {
  const warnings: string[] = [];
  const { ports, publish } = job(undefined, { meanwhile, warnings });
  const result = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 60_000 });
  await beforeWrite?.();
  return { ...(await publish(result)), warnings };
}

describe.each(STORES)('a schedule tick racing another run on the same release, its state %s', (_, inFile) => {
  beforeEach(async () => {
    await world.useLedgerFile(inFile, 'model-gate-races-');
  });

  it('a rollback by workflow_dispatch while the tick looks stays rolled back: the tick gives v2 no traffic again', async () => {
    await analysingV2(2);
    // Enough data for the tick to pass step 1 and shift v2 to 50%.
    world.clock.advance(20_000);
    const tick = await scheduleTick(async () => {
      const { ports, publish } = job();
      const inputs = { model: MODEL, toVersion: 'v1', dryRun: false, trigger: 'workflow_dispatch' };
      await publish(await handleCommand(config, 'rollback', inputs, ports));
    });
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(tick.releases).toMatchObject([{ to: 'v2', status: 'aborted' }]);
    const why = 'a rollback to v1 by workflow_dispatch withdrew it';
    expect(tick.warnings).toEqual([
      expect.stringMatching(/^fraud-detector v2 was ended by another run: a rollback to v1/),
    ]);
    expect(await recorded()).toMatchObject({
      to: 'v2',
      status: 'aborted',
      reason: expect.stringContaining(why),
    });
    if (inFile) return;
    expect(comment()).toContain('## model-gate: ⏹️ Withdrawn');
    expect(comment()).toContain('a rollback to v1 by workflow\\_dispatch withdrew it');
  });

  it('a new push while the tick looks: the new candidate keeps the slot, the superseded one gets no traffic', async () => {
    await analysingV2(2);
    world.clock.advance(20_000);
    const tick = await scheduleTick(() => prJob({ ...pullRequest('v3', 3), action: 'synchronize' }, 'tick'));
    expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v3', weight: 10 } });
    expect(tick.releases).toMatchObject([{ to: 'v3', status: 'analysing', phase: 0 }]);
    expect(tick.warnings).toEqual([
      expect.stringMatching(
        /^fraud-detector v2 was superseded by another run: the release of fraud-detector is now v3/,
      ),
    ]);
    expect(await recorded()).toMatchObject({ to: 'v3', headSha: sha(3), status: 'analysing', phase: 0 });
    if (inFile) return;
    expect(comment()).toContain('- fraud-detector v3: analysing step 1 of 2');
  });

  it('the PR job finishes the analysis while the tick looks: the release stays ready, and the next tick leaves it so', async () => {
    const event = await analysingV2(2);
    // Too little data yet for the tick to decide: it would only record its look.
    const tick = await scheduleTick(() => prJob(event, 'watch'));
    const idle = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 0 } };
    expect(await serving()).toEqual(idle);
    expect(tick.releases).toMatchObject([{ to: 'v2', status: 'ready' }]);
    expect(await recorded()).toMatchObject({ to: 'v2', status: 'ready' });
    expect(comment() ?? 'Ready to merge').toContain('Ready to merge');
    // Had the tick's look been recorded over it, the next tick would find v2 "analysing" without
    // live traffic and end it as aborted.
    world.clock.advance(60_000);
    const next = await scheduleTick(async () => {});
    expect(next.releases.filter((r) => r.status === 'aborted')).toEqual([]);
    expect(await recorded()).toMatchObject({ to: 'v2', status: 'ready' });
    expect(await serving()).toEqual(idle);
  });

  // A ledger file holds the tick's record as soon as it is saved: only a comment is written later.
  if (!inFile)
    it('the PR job finishes the analysis after the tick recorded its look, before it writes the comment: the comment stays ready', async () => {
      const event = await analysingV2(2);
      await scheduleTick(
        async () => {},
        () => prJob(event, 'watch'),
      );
      expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 0 } });
      expect(await recorded()).toMatchObject({ to: 'v2', status: 'ready' });
      expect(comment() ?? 'Ready to merge').toContain('Ready to merge');
    });

  it('a PR job rolling back on a platform slow to confirm it (6 min), a schedule tick meanwhile: the record ends as the PR job decided', async () => {
    const event = await analysingV2(2);
    world.clock.advance(20_000);
    const { promise: confirmed, resolve: confirm } = deferred();
    const { promise: withdrawn, resolve: applied } = deferred();
    const target = slowToConfirm(confirmed, applied);
    const rollingBack = prJob(event, 'tick', { candidateErrors: 0.09, target });
    await withdrawn;
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    // The tick finds v2 without traffic and the record unchanged after its grace: it ends it, as
    // withdrawn without being recorded (untrue, until the job's own end is recorded over it). The
    // job must not give its end up to that one.
    await scheduleTick(async () => {});
    world.clock.advance(6 * 60_000);
    confirm();
    const why = 'errors: 9.00% is above the max 2.00%';
    expect((await rollingBack).releases).toMatchObject([{ to: 'v2', status: 'failed', reason: why }]);
    expect(await recorded()).toMatchObject({ to: 'v2', status: 'failed', reason: why });
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    if (inFile) return;
    expect(comment()).toContain('## model-gate: ❌ Rolled back');
    expect(comment()).not.toContain('without recording');
  });

  it('the PR job moves to the next step while the tick looks: the record keeps the step the platform is at', async () => {
    const event = await analysingV2(2);
    const tick = await scheduleTick(async () => {
      world.clock.advance(20_000);
      await prJob(event, 'tick');
    });
    expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 50 } });
    expect(tick.releases).toMatchObject([{ to: 'v2', status: 'analysing', phase: 1 }]);
    expect(await recorded()).toMatchObject({ to: 'v2', status: 'analysing', phase: 1 });
    if (inFile) return;
    expect(comment()).toContain('- fraud-detector v2: analysing step 2 of 2');
  });
});
