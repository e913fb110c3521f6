import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config, ModelConfig } from '../../src/config/types.js';
import { requestJson } from '../../src/core/http-json.js';
import type { TrafficState } from '../../src/core/traffic.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { targetFor } from '../../src/release/adapters.js';
import { handleCommand } from '../../src/release/commands.js';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import type { Target } from '../../src/targets/target.js';
import { deferred, MODEL, raceMetrics, STORES, useRaceWorld } from '../support/race-world.js';

// A PR's job in watch mode and a schedule tick on the same release at the same time (they are in
// different concurrency groups): the job records on the release how long it watches it (its lease),
// and the tick leaves the release to it until then. The tick runs while the job looks at the
// metrics; the platform is a real sandbox, the ledger a PR comment on a GitHub stand-in or a
// ledger file, time a fake world.clock.
const LEASE_NOTE = /^the job of PR #\d+ watches v2 until \d\d:\d\d UTC; this tick leaves it to that job$/;

const world = useRaceWorld({ firstPr: 40, firstRunId: 300, closePr: (closed) => prJob(closed, 'tick') });
const { serving, comment, recorded, pullRequest } = world;
/** The default branch's config, which schedule ticks read. */
let mainConfig: Config;
/** The PR's config: its canary steps differ from the default branch's. */
let prConfig: Config;
beforeAll(() => {
  mainConfig = world.configWith('[10, 50]');
  prConfig = world.configWith('[5, 50]');
});

/** The release holding the model's canary slot, as the next PR's job would find it. */
const slotHolder = () => world.ledgerOf().canaryHolder(MODEL);

interface JobWorld {
  /**
   * Run by another job at this job's first read of the candidate's metrics (its first look, v2
   * deployed): not at the pre-flight read of stable, made before any traffic change.
   */
  meanwhile?: () => Promise<unknown>;
  candidateErrors?: number;
  /** Thrown at the first metrics query instead: the job is lost there, clearing nothing. */
  lost?: boolean;
  warnings?: string[];
  target?: (model: ModelConfig) => Target;
  /** The PR job's config, when not the PR's usual one. */
  config?: Config;
  /** Run once by another job at this job's first metrics query at or after this time. */
  at?: [number, () => Promise<unknown>];
  /** Run at every metrics query. */
  everyQuery?: () => Promise<unknown>;
}

/** Before each metrics query: `meanwhile`, `at` and `lost` as the job's world says. */
function beforeQuery(opts: JobWorld) {
  let pending = opts.meanwhile;
  let later = opts.at;
  return async (w: MetricWindow) => {
    if (opts.lost) throw new Error('the runner lost communication with the server');
    await opts.everyQuery?.();
    const run = w.slot === 'canary' ? pending : undefined;
    if (run) pending = undefined;
    await run?.();
    if (!later || world.clock.now() < later[0]) return;
    const [, then] = later;
    later = undefined;
    await then();
  };
}

/** One job as the action runs it: its ledger, the PR comment written on every progress, the final publish. */
const job = (event: PullRequestEvent | undefined, config: Config, opts: JobWorld = {}) =>
  world.job(event, config, {
    metrics: raceMetrics(beforeQuery(opts), opts.candidateErrors),
    warnings: opts.warnings,
    target: opts.target,
    liveComment: true,
  });

/** The PR's job, under the PR's config (`maxWaitMs`: its max-wait, 1h by default). */
async function prJob(
  event: PullRequestEvent,
  mode: 'watch' | 'tick',
  opts: JobWorld = {},
  maxWaitMs = 3_600_000,
) {
  const config = opts.config ?? prConfig;
  const { ports, publish } = job(event, config, opts);
  return publish(await handlePullRequest(config, event, ports, { mode, maxWaitMs, dryRun: false }));
}

/** A schedule tick under the default branch's config. */
async function scheduleTick() {
  const warnings: string[] = [];
  const { ports, publish } = job(undefined, mainConfig, { warnings });
  const result = await handleSchedule(mainConfig, ports, { mode: 'tick', maxWaitMs: 60_000 });
  return { ...(await publish(result)), warnings };
}

/** A rollback by workflow_dispatch to v1. */
async function dispatchRollback() {
  const { ports, publish } = job(undefined, mainConfig);
  const inputs = { model: MODEL, toVersion: 'v1', dryRun: false, trigger: 'workflow_dispatch' };
  return publish(await handleCommand(mainConfig, 'rollback', inputs, ports));
}

/**
 * The sandbox as a platform that applies the changes `slow` picks at once but confirms them only
 * once `confirmed` resolves (whatever target the job's config names: its model's own platform).
 */
function slowToConfirm(
  slow: (desired: TrafficState) => boolean,
  confirmed: Promise<void>,
  applied: () => void,
) {
  return (): Target => {
    const target = targetFor(mainConfig.models[MODEL] as ModelConfig);
    return Object.create(target, {
      write: {
        value: async (desired: TrafficState) => {
          await target.write(desired);
          if (!slow(desired)) return;
          applied();
          await confirmed;
        },
      },
    });
  };
}

const withdrawal = (desired: TrafficState) => !desired.canary || desired.canary.weight === 0;

describe.each(STORES)('a schedule tick while a PR job watches the release, its state %s', (_, inFile) => {
  beforeEach(async () => {
    await world.useLedgerFile(inFile, 'model-gate-lease-');
  });

  it('configs that differ do not fight: the tick leaves the step the PR job set (5%), and says why in one line', async () => {
    let tick: Awaited<ReturnType<typeof scheduleTick>> | undefined;
    let afterTick: unknown;
    const watching = prJob(pullRequest('v2', 2), 'watch', {
      meanwhile: async () => {
        tick = await scheduleTick();
        afterTick = await serving();
      },
    });
    const result = await watching;
    // Under the default branch's steps [10, 50] the tick would have set 10%, the PR job recording 5%.
    expect(afterTick).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 5 } });
    expect(tick?.skipped).toEqual([{ model: MODEL, why: expect.stringMatching(LEASE_NOTE), kind: 'note' }]);
    expect(tick?.releases).toEqual([]);
    expect(tick?.warnings).toEqual([]);
    expect(result.releases).toMatchObject([{ to: 'v2', status: 'ready' }]);
    expect(result.releases[0]?.phases.map((p) => [p.weight, p.outcome])).toEqual([
      [5, 'passed'],
      [50, 'passed'],
    ]);
    const ready = await recorded();
    expect(ready).toMatchObject({ to: 'v2', status: 'ready' });
    // Out of analysis, the release is watched no more.
    expect(ready?.watchedUntil).toBeUndefined();
    if (inFile) return;
    expect(comment()).toContain('Ready to merge');
  });

  it('a PR job rolling back on a platform slow to confirm it (6 min): its failure is recorded first, a tick meanwhile frees the slot only once v2 has no traffic, the job records its rollback', async () => {
    const { promise: confirmed, resolve: confirm } = deferred();
    const { promise: withdrawn, resolve: applied } = deferred();
    const rollingBack = prJob(pullRequest('v2', 2), 'watch', {
      candidateErrors: 0.09,
      target: slowToConfirm(withdrawal, confirmed, applied),
    });
    await withdrawn;
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    // The job recorded its failure before the change (record first), withdrawal pending: a tick
    // meanwhile finds v2 without live traffic and settles it, freeing the slot v2 no longer uses.
    const tick = await scheduleTick();
    expect(tick.warnings).toEqual([]);
    expect(await recorded()).toMatchObject({ to: 'v2', status: 'failed' });
    expect(await slotHolder()).toBeUndefined();
    world.clock.advance(6 * 60_000);
    confirm();
    const why = 'errors: 9.00% is above the max 2.00%';
    expect((await rollingBack).releases).toMatchObject([{ to: 'v2', status: 'failed', reason: why }]);
    expect(await recorded()).toMatchObject({ to: 'v2', status: 'failed', reason: why });
    expect(await slotHolder()).toBeUndefined();
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    if (inFile) return;
    expect(comment()).toContain('## model-gate: ❌ Rolled back');
    expect(comment()).not.toContain('without recording');
  });

  it('a tick while the PR job deploys v2 to its first step (5%, slow to confirm) leaves v2 to the job: the lease is on record before the first look', async () => {
    const { promise: confirmed, resolve: confirm } = deferred();
    const { promise: deploying, resolve: applied } = deferred();
    const watching = prJob(pullRequest('v2', 2), 'watch', {
      target: slowToConfirm((desired) => desired.canary?.weight === 5, confirmed, applied),
    });
    await deploying;
    world.clock.advance(60_000);
    const tick = await scheduleTick();
    expect(tick.skipped).toEqual([{ model: MODEL, why: expect.stringMatching(LEASE_NOTE), kind: 'note' }]);
    expect(tick.releases).toEqual([]);
    // Not the default branch's first step (10%).
    expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 5 } });
    confirm();
    expect((await watching).releases).toMatchObject([{ to: 'v2', status: 'ready' }]);
  });

  it('a job whose step-up its platform takes 25 minutes to confirm (settle-timeout 30m) holds its lease through it: a tick meanwhile leaves v2 on 50% to the job', async () => {
    const { promise: confirmed, resolve: confirm } = deferred();
    const { promise: steppedUp, resolve: applied } = deferred();
    // Its serving layer (here the sandbox) takes its time: the job may wait up to 30 minutes.
    const slowPlatform = world.configWith('[5, 50]', {
      target: '{ type: http, url: "https://serving.example.com", settle-timeout: 30m }',
    });
    const watching = prJob(pullRequest('v2', 2), 'watch', {
      config: slowPlatform,
      target: slowToConfirm((desired) => desired.canary?.weight === 50, confirmed, applied),
    });
    await steppedUp;
    // Its lease, renewed at its last look, covers a change that takes the whole settle-timeout.
    world.clock.advance(25 * 60_000);
    const tick = await scheduleTick();
    expect(tick.skipped).toEqual([{ model: MODEL, why: expect.stringMatching(LEASE_NOTE), kind: 'note' }]);
    expect(tick.releases).toEqual([]);
    expect(tick.warnings).toEqual([]);
    expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 50 } });
    confirm();
    const result = await watching;
    expect(result.releases).toMatchObject([{ to: 'v2', status: 'ready' }]);
    expect(result.releases[0]?.phases.map((p) => [p.weight, p.outcome])).toEqual([
      [5, 'passed'],
      [50, 'passed'],
    ]);
    if (inFile) return;
    expect(comment()).toContain('Ready to merge');
  });

  it('a job whose post step withdrew v2 but could not record it leaves its lease: the first tick after the lease records v2 withdrawn', async () => {
    const event = pullRequest('v2', 2);
    await expect(prJob(event, 'watch', { lost: true })).rejects.toThrow('runner lost');
    expect((await recorded())?.watchedUntil).toBeGreaterThan(world.clock.now());
    // The post step takes v2 out of service; GitHub does not answer its save.
    await requestJson('PUT', `${world.sandbox.url}/admin/models/${MODEL}/traffic`, {
      stable: { version: 'v1' },
    });
    world.clock.advance(60_000);
    // Within the lease the tick cannot tell the lost job from one still changing traffic.
    const early = await scheduleTick();
    expect(early.skipped).toEqual([{ model: MODEL, why: expect.stringMatching(LEASE_NOTE), kind: 'note' }]);
    expect(await recorded()).toMatchObject({ to: 'v2', status: 'analysing' });
    world.clock.advance(20 * 60_000);
    const tick = await scheduleTick();
    expect(tick.skipped).toEqual([]);
    expect(tick.releases).toMatchObject([{ to: 'v2', status: 'aborted' }]);
    expect(tick.warnings).toEqual([
      expect.stringContaining(
        "the run analysing it withdrew it without recording that (GitHub did not answer: a stopped job's post step",
      ),
    ]);
    expect(await recorded()).toMatchObject({ to: 'v2', status: 'aborted' });
    expect(await slotHolder()).toBeUndefined();
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    if (inFile) return;
    expect(comment()).toContain('## model-gate: ⏹️ Withdrawn');
    expect(comment()).not.toContain('Analysing');
  });

  it('a job lost mid-watch holds the release only for its short lease (15m, its 10s interval and 5m for its slowest look), not its max-wait (5h); then a tick takes over', async () => {
    const event = pullRequest('v2', 2);
    const started = world.clock.now();
    await expect(prJob(event, 'watch', { lost: true }, 5 * 3_600_000)).rejects.toThrow('runner lost');
    const left = await recorded();
    expect(left).toMatchObject({ to: 'v2', status: 'analysing', phase: 0 });
    expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 5 } });
    world.clock.advance(15 * 60_000);
    const early = await scheduleTick();
    const until = new Date(started + 20 * 60_000 + 10_000).toISOString().slice(11, 16);
    const why = `the job of PR #${world.pr} watches v2 until ${until} UTC; this tick leaves it to that job`;
    expect(early.skipped).toEqual([{ model: MODEL, why, kind: 'note' }]);
    expect(await recorded()).toEqual(left);
    expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 5 } });
    // The lease is over: the tick drives the release, under the default branch's steps (10%, 50%).
    world.clock.advance(6 * 60_000);
    const late = await scheduleTick();
    expect(late.skipped).toEqual([]);
    expect(late.releases).toMatchObject([{ to: 'v2', status: 'analysing' }]);
    const taken = await recorded();
    expect(taken).toMatchObject({ to: 'v2', status: 'analysing' });
    expect(taken?.watchedUntil).toBeUndefined();
    expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
  });

  it('a job watching for nearly 3h renews its short lease as it goes: a tick an hour in, in its first step, still leaves v2 to it', async () => {
    // At 20 requests/s, each step takes about 83 minutes to see the 100k requests it needs. The
    // job writes a renewed lease where ticks read it at once, before the old lease ends.
    const longSteps = world.configWith('[5, 50]', {
      stepDuration: '2h',
      minRequests: 100_000,
      interval: '1m',
    });
    let tick: Awaited<ReturnType<typeof scheduleTick>> | undefined;
    let leaseThen: number | undefined;
    /** At each look, how long the lease a tick would read still runs. */
    const leftAtLooks: number[] = [];
    const started = world.clock.now();
    const result = await prJob(
      pullRequest('v2', 2),
      'watch',
      {
        config: longSteps,
        everyQuery: async () => leftAtLooks.push(((await recorded())?.watchedUntil ?? 0) - world.clock.now()),
        at: [
          started + 60 * 60_000,
          async () => {
            leaseThen = (await recorded())?.watchedUntil;
            tick = await scheduleTick();
          },
        ],
      },
      5 * 3_600_000,
    );
    expect(tick?.skipped).toEqual([{ model: MODEL, why: expect.stringMatching(LEASE_NOTE), kind: 'note' }]);
    expect(tick?.releases).toEqual([]);
    // The stored lease ends within one lease (21m) of the tick, not at the job's max-wait.
    expect(leaseThen).toBeGreaterThan(started + 60 * 60_000);
    expect(leaseThen).toBeLessThanOrEqual(started + 81 * 60_000);
    // At every look, a tick would have left v2 to the job, the lease covering at least the rest of
    // a look at its slowest (5 minutes: the sandbox has no settle-timeout).
    expect(leftAtLooks.length).toBeGreaterThan(100);
    expect(Math.min(...leftAtLooks)).toBeGreaterThanOrEqual(5 * 60_000);
    expect(result.releases).toMatchObject([{ to: 'v2', status: 'ready' }]);
    expect(result.releases[0]?.phases.map((p) => [p.weight, p.outcome])).toEqual([
      [5, 'passed'],
      [50, 'passed'],
    ]);
  });

  it('a re-run of the PR job takes over the lease its lost job left, at once', async () => {
    const event = pullRequest('v2', 2);
    await expect(prJob(event, 'watch', { lost: true })).rejects.toThrow('runner lost');
    world.clock.advance(60_000);
    const rerun = await prJob(event, 'watch');
    expect(rerun.releases).toMatchObject([{ to: 'v2', status: 'ready' }]);
    const ready = await recorded();
    expect(ready).toMatchObject({ to: 'v2', status: 'ready' });
    expect(ready?.watchedUntil).toBeUndefined();
  });

  it('a job that stops at its max-wait leaves no lease: the next tick drives the release at once', async () => {
    const event = pullRequest('v2', 2);
    // Its next look (in 10s) would come after its max-wait: it stops after deploying v2.
    const stopped = await prJob(event, 'watch', {}, 5_000);
    expect(stopped.releases).toMatchObject([{ to: 'v2', status: 'analysing', phase: 0 }]);
    expect((await recorded())?.watchedUntil).toBeUndefined();
    world.clock.advance(60_000);
    const tick = await scheduleTick();
    expect(tick.skipped).toEqual([]);
    expect(tick.releases).toMatchObject([{ to: 'v2', status: 'analysing' }]);
  });

  it('a rollback by workflow_dispatch goes through a lease: v2 is withdrawn and the watching job gives it up', async () => {
    const warnings: string[] = [];
    const result = await prJob(pullRequest('v2', 2), 'watch', { meanwhile: dispatchRollback, warnings });
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    const why = 'a rollback to v1 by workflow_dispatch withdrew it';
    expect(result.releases).toMatchObject([
      { to: 'v2', status: 'aborted', reason: expect.stringContaining(why) },
    ]);
    expect(warnings).toEqual([
      expect.stringMatching(/^fraud-detector v2 was ended by another run: a rollback to v1/),
    ]);
    expect(await recorded()).toMatchObject({
      to: 'v2',
      status: 'aborted',
      reason: expect.stringContaining(why),
    });
    // Nothing left for a tick: the slot is free and no note claims a job still watches v2.
    const tick = await scheduleTick();
    expect(tick.skipped).toEqual([{ model: '*', why: 'no release is analysing', kind: 'note' }]);
    if (inFile) return;
    expect(comment()).toContain('a rollback to v1 by workflow\\_dispatch withdrew it');
  });
});
