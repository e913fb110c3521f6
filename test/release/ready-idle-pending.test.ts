import { describe, expect, it } from 'vitest';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { gitHub502 } from '../support/race-world.js';
import { recordWorld } from './tick-record-world.js';

// A tick that passes a candidate's last phase records it ready before the change that takes it off
// that phase's traffic (to idle: 0%). Should the run stop in between (GitHub failing the read that
// guards the change, a lost runner), the candidate kept its 50% under a record saying "ready … it
// serves no live traffic", and no run acted on it: a ready release is not driven. The record now
// says the change is pending, and the next tick makes it.

const tick = { mode: 'tick' as const, maxWaitMs: 0 };
const once = { ...tick, dryRun: false };
const counts = () =>
  new FakeCounts({
    stable: { rps: 90, errorRate: 0.01, medianMs: 40 },
    canary: { rps: 20, errorRate: 0.01, medianMs: 40 },
  });
const IDLE = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 0 } };
const AT_50 = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 50 } };

/**
 * fraud v1 → v2 (a canary of 10% and 50%) passed by a tick whose guard read before the change to
 * idle GitHub fails (the GitHub ledger reads the PR's comment again before every traffic change):
 * the ready record is all that run left. `w.ports.ledger` answers again afterwards.
 */
async function readyWithIdlePending(onMerge = '') {
  const w = await recordWorld(
    '{ type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }',
    ['{ name: errors, kind: ratio, events: errors, total: requests, max-increase: 10% }'],
    counts(),
    `{ type: sandbox, url: "http://127.0.0.1:1" }${onMerge}`,
  );
  const answering = w.ports.ledger;
  w.ports.ledger = {
    ...answering,
    async endedElsewhere(release, fresh) {
      if (fresh && (await answering.release('fraud'))?.status === 'ready') throw gitHub502();
      return answering.endedElsewhere?.(release, fresh);
    },
  };
  await handlePullRequest(w.config, w.event(), w.ports, once);
  let failed: Error | undefined;
  for (let i = 0; i < 10 && !failed; i++) {
    w.clock.advance(2 * 60_000);
    failed = await handleSchedule(w.config, w.ports, tick).then(
      () => undefined,
      (err: Error) => err,
    );
  }
  // The tick drives its other models, then fails naming this one and GitHub's answer.
  expect(failed?.message).toBe(
    'fraud: this tick stopped driving its release: GitHub answered 502: GitHub 502 Bad Gateway; the next tick tries again',
  );
  w.ports.ledger = answering;
  return w;
}

describe('a ready record whose change to idle did not happen', () => {
  it('says so, claims no idle candidate, and the next tick takes v2 off its 50%', async () => {
    const w = await readyWithIdlePending();
    expect(w.target.state).toEqual(AT_50);
    const recorded = await w.ledger.release('fraud');
    expect(recorded).toMatchObject({ status: 'ready', idlePending: true });
    expect(recorded?.reason).not.toContain('serves no live traffic');
    expect(recorded?.reason).toBe(
      'v2 passed both phases; it is being taken off the traffic of step 2 of 2 (50% of live traffic), to wait until the PR is merged',
    );
    const report = renderMarkdown(
      w.config,
      { releases: [recorded as never], skipped: [] },
      { now: w.clock.now() },
    );
    expect(report).toContain('v2 may still get its last phase');
    expect(report).not.toContain('serves no live traffic');

    w.clock.advance(15 * 60_000);
    const next = await handleSchedule(w.config, w.ports, tick);
    expect(w.target.state).toEqual(IDLE);
    const idled = await w.ledger.release('fraud');
    expect(idled).toMatchObject({
      status: 'ready',
      reason: 'v2 passed both phases; it serves no live traffic until the PR is merged',
    });
    expect(idled?.idlePending).toBeUndefined();
    expect(next.releases).toEqual([idled]);

    // The merge promotes it as any ready release.
    await handlePullRequest(w.config, w.event('closed', true), w.ports, once);
    expect(w.target.state).toEqual({ stable: { version: 'v2' } });
  });

  it('a re-run of the PR job takes v2 off its 50%, as the comment said it would', async () => {
    const w = await readyWithIdlePending();
    const recorded = await w.ledger.release('fraud');
    const report = renderMarkdown(
      w.config,
      { releases: [recorded as never], skipped: [] },
      { now: w.clock.now() },
    );
    expect(report).toContain("the job's post step, a re-run of the job or the next schedule tick makes it");

    w.clock.advance(60_000);
    const rerun = await handlePullRequest(w.config, w.event(), w.ports, once);
    expect(w.target.state).toEqual(IDLE);
    const idled = await w.ledger.release('fraud');
    expect(idled).toMatchObject({
      status: 'ready',
      reason: 'v2 passed both phases; it serves no live traffic until the PR is merged',
    });
    expect(idled?.idlePending).toBeUndefined();
    expect(rerun.releases).toEqual([idled]);
  });

  it('the PR closed unmerged meanwhile: v2 is withdrawn, and the ended record carries no pending change to idle', async () => {
    const w = await readyWithIdlePending();
    await handlePullRequest(w.config, w.event('closed'), w.ports, once);
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    const closed = await w.ledger.release('fraud');
    expect(closed).toMatchObject({ status: 'aborted' });
    expect(closed?.idlePending).toBeUndefined();
  });

  it('the platform refusing the change: the record stays pending, the tick says why, and the next tick makes it', async () => {
    const w = await readyWithIdlePending();
    w.target.fault = (desired) => (desired.canary?.weight === 0 ? 'throw' : undefined);
    w.clock.advance(15 * 60_000);
    const refused = await handleSchedule(w.config, w.ports, tick);
    expect(w.target.state).toEqual(AT_50);
    expect(await w.ledger.release('fraud')).toMatchObject({ status: 'ready', idlePending: true });
    expect(refused.skipped.map((s) => s.why)).toContain(
      'v2 may still get live traffic: the change to idle after its analysis passed did not take: platform refused the change (500); the next tick tries again',
    );

    w.target.fault = undefined;
    w.clock.advance(15 * 60_000);
    await handleSchedule(w.config, w.ports, tick);
    expect(w.target.state).toEqual(IDLE);
    expect((await w.ledger.release('fraud'))?.idlePending).toBeUndefined();
  });

  it('a merge job promoting v2 while the tick takes it to idle: the promotion stands, v2 alone serves', async () => {
    const w = await readyWithIdlePending();
    const write = w.target.write.bind(w.target);
    let merged = false;
    w.target.write = async (desired) => {
      // The merge job promotes between the tick's look at the record and its change landing.
      if (desired.canary?.weight === 0 && !merged) {
        merged = true;
        await handlePullRequest(w.config, w.event('closed', true), w.ports, once);
      }
      return write(desired);
    };
    w.clock.advance(15 * 60_000);
    const next = await handleSchedule(w.config, w.ports, tick);
    expect(merged).toBe(true);
    expect(w.target.state).toEqual({ stable: { version: 'v2' } });
    expect(await w.ledger.release('fraud')).toMatchObject({ status: 'promoted' });
    expect(next.releases[0]).toMatchObject({ status: 'promoted' });
    // The promoted record no longer carries the ready record's mark.
    expect((await w.ledger.release('fraud'))?.idlePending).toBeUndefined();
  });
});
