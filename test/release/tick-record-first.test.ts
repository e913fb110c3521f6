import { describe, expect, it } from 'vitest';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import type { Release } from '../../src/release/types.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { recordWorld } from './tick-record-world.js';

// A schedule tick that decides a long analysis (an A/B's verdict, a shadow run's pass) records the
// decision before the traffic change that carries it out. When GitHub refuses that record, the
// change is not made: the next tick judges again and records the decision. Made the other way
// round, the next tick found an analysing release whose candidate had lost its traffic and ended it
// as "aborted … its post step withdrew it", which was false: a reopened A/B gave its loser 50% again,
// and a passed shadow run was never promoted by the merge.

const tick = { mode: 'tick' as const, maxWaitMs: 0 };
const once = { ...tick, dryRun: false };
const counts = (stableErrors: number, candidateErrors: number, rps: number, candidateRps: number) =>
  new FakeCounts({
    stable: { rps, errorRate: stableErrors, medianMs: 40 },
    canary: { rps: candidateRps, errorRate: candidateErrors, medianMs: 40 },
  });

/** Schedule ticks `every` ms apart until one fails (GitHub refused its record); returns it. */
async function tickUntilRefused(w: Awaited<ReturnType<typeof recordWorld>>, every: number) {
  for (let i = 0; i < 10; i++) {
    w.clock.advance(every);
    const failed = await handleSchedule(w.config, w.ports, tick).then(
      () => undefined,
      (err: Error) => err,
    );
    if (failed) return failed;
  }
  throw new Error('no tick decided the release');
}

/** GitHub refuses every save but an analysing release's (the looks go on being recorded). */
const refuseDecisions = (r: Release) => r.status !== 'analysing';

describe("a tick's decision that GitHub refuses to record", () => {
  it('an A/B whose candidate lost: no traffic change without the record; the next tick records the failure, and a reopen does not give v2 traffic again', async () => {
    const w = await recordWorld(
      '{ type: ab, split: 50, sticky-header: x-user-id, step-duration: 30m, min-requests: 200, interval: 10s }',
      [
        '{ name: split, kind: srm, units: users }',
        '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users }',
      ],
      counts(0.3, 0.1, 20, 20),
    );
    await handlePullRequest(w.config, w.event(), w.ports, once);
    w.ctl.refuse = refuseDecisions;
    expect((await tickUntilRefused(w, 5 * 60_000)).message).toBe(
      'fraud: this tick stopped driving its release: GitHub answered 502: GitHub 502 Bad Gateway; the next tick tries again',
    );
    expect(await w.ledger.release('fraud')).toMatchObject({ status: 'analysing' });
    expect(w.target.state).toMatchObject({ canary: { version: 'v2', weight: 50 } });

    w.ctl.refuse = () => false;
    w.clock.advance(5 * 60_000);
    const next = await handleSchedule(w.config, w.ports, tick);
    expect(next.releases[0]).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('conversion'),
    });
    expect(next.releases[0]?.reason).not.toMatch(/post step|withdrawn by hand/);
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });

    await handlePullRequest(w.config, w.event('reopened'), w.ports, once);
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    expect(await w.ledger.release('fraud')).toMatchObject({ status: 'failed' });
  });

  it('a shadow run that passed: the next tick records it ready, and the merge promotes v2', async () => {
    const w = await recordWorld(
      '{ type: shadow, share: 50, duration: 30m, step-duration: 30m, min-requests: 100, interval: 1m }',
      ['{ name: errors, kind: ratio, events: errors, total: requests, max-increase: 10% }'],
      counts(0.01, 0.01, 40, 20),
    );
    await handlePullRequest(w.config, w.event(), w.ports, once);
    w.ctl.refuse = refuseDecisions;
    await tickUntilRefused(w, 15 * 60_000);
    expect(await w.ledger.release('fraud')).toMatchObject({ status: 'analysing' });

    w.ctl.refuse = () => false;
    w.clock.advance(15 * 60_000);
    const next = await handleSchedule(w.config, w.ports, tick);
    expect(next.releases[0]).toMatchObject({ status: 'ready' });
    // Deployed, mirrored no more.
    expect(w.target.state).toEqual({ stable: { version: 'v1' }, mirror: { version: 'v2', share: 0 } });

    await handlePullRequest(w.config, w.event('closed', true), w.ports, once);
    expect(await w.ledger.release('fraud')).toMatchObject({ status: 'promoted' });
    expect(w.target.state).toEqual({ stable: { version: 'v2' } });
  });

  it('the decision is on record when its traffic change is asked for: a job lost then leaves a record the next run finishes', async () => {
    const w = await recordWorld(
      '{ type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }',
      ['{ name: errors, kind: ratio, events: errors, total: requests, max-increase: 10% }'],
      counts(0.01, 0.2, 90, 20),
    );
    let onRecord: Release | undefined;
    const write = w.target.write.bind(w.target);
    w.target.write = async (desired) => {
      if (!desired.canary) onRecord = await w.ledger.release('fraud');
      return write(desired);
    };
    const watch = { mode: 'watch' as const, maxWaitMs: 3_600_000, dryRun: false };
    const ended = await handlePullRequest(w.config, w.event(), w.ports, watch);
    expect(onRecord).toMatchObject({ status: 'failed', withdrawPending: true, ending: { serves: 'v1' } });
    expect(ended.releases[0]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^errors: /) });
    expect(ended.releases[0]?.withdrawPending).toBeUndefined();
    expect(await w.ledger.release('fraud')).toEqual(ended.releases[0]);
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
  });
});
