import { describe, expect, it } from 'vitest';
import type { TrafficState } from '../../src/core/traffic.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import type { Target } from '../../src/targets/target.js';
import { row } from '../report/release-world.js';
import { tickJob } from '../support/canary-record-world.js';
import { passingErrorRate } from '../support/scripted-metrics.js';
import { recordWorld } from './tick-record-world.js';

// A job lost (SIGKILL, runner lost: no post step) between its switch to the next step and the save
// of it left the ledger at step 1 while the platform served step 2's 50%: the next run judged step 1
// as a 10% step on data taken at 50%, entered step 2 as new, and the history said step 1 lasted
// until then. The switch is now recorded first, pending, and the next run enters step 2 from it.

const STEP_1 = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };
const STEP_2 = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 50 } };
const SECOND = 1000;

/**
 * fraud v1 → v2 by a canary of 10% then 50%, one tick-mode job at a time, whose job passing step 1
 * dies at its switch to 50% (no error, no post step: nothing more of it lands anywhere), `landed`
 * just after the platform took the change, else just after the switch's pending record.
 */
async function lostAtTheSwitch(landed: boolean) {
  const w = await recordWorld(
    '{ type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }',
    ['{ name: errors, kind: threshold, query: error-rate, max: 0.02 }'],
    passingErrorRate(),
  );
  const { ledger, targetFor } = w.ports;
  let dead = false;
  w.ports.ledger = {
    ...ledger,
    async saveRelease(r) {
      if (dead) return;
      await ledger.saveRelease(r);
      if (r.switchPending && !landed) dead = true;
    },
  };
  w.ports.targetFor = (): Target => ({
    description: w.target.description,
    read: () => w.target.read(),
    write: async (desired: TrafficState) => {
      if (dead) return;
      await w.target.write(desired);
      if (desired.canary?.weight === 50) dead = true;
    },
  });
  await tickJob(w);
  expect(w.target.state).toEqual(STEP_1);
  const step1At = w.clock.now();
  w.clock.advance(90 * SECOND);
  const switchAt = w.clock.now();
  // The job's own end is lost with it: what counts is what it left on record and on the platform.
  await tickJob(w).catch(() => undefined);
  expect(w.target.state).toEqual(landed ? STEP_2 : STEP_1);
  w.ports.ledger = ledger;
  w.ports.targetFor = targetFor;
  return { w, step1At, switchAt };
}

const history = (r: Release | undefined) =>
  r?.phases.map((p) => ({ name: p.name, startedAt: p.startedAt, endedAt: p.endedAt, outcome: p.outcome }));

describe('a job lost between its switch to the next step and the save of it', () => {
  it('after the switch landed: the next run enters step 2 from the switch, saying v2 already had it', async () => {
    const { w, step1At, switchAt } = await lostAtTheSwitch(true);
    // What the lost job left: step 1 passed at the switch, step 2 entered, the change not confirmed.
    expect(await w.ledger.release('fraud')).toMatchObject({
      status: 'analysing',
      phase: 1,
      switchPending: true,
      reason: 'analysing step 2 of 2 (50% of live traffic)',
    });

    w.clock.advance(30 * SECOND);
    const rerunAt = w.clock.now();
    const [release] = (await tickJob(w)).releases;
    expect(w.target.state).toEqual(STEP_2);
    expect(release).toMatchObject({ status: 'analysing', phase: 1, phaseStartedAt: rerunAt });
    expect(release?.switchPending).toBeUndefined();
    expect(await w.ledger.release('fraud')).toEqual(release);
    // Step 1 ended at the switch, not when this run came; step 2 runs from it.
    expect(history(release)).toEqual([
      { name: 'step 1 of 2', startedAt: step1At, endedAt: switchAt, outcome: 'passed' },
      { name: 'step 2 of 2', startedAt: switchAt, endedAt: undefined, outcome: undefined },
    ]);
    const report = renderMarkdown(
      w.config,
      { releases: [release as Release], skipped: [] },
      { now: rerunAt },
    );
    expect(row(report, 'step 1 of 2')).toMatch(/^\| step 1 of 2 \| 10% \| .* \| 1m 30s \| passed/);
    expect(row(report, 'step 2 of 2')).toContain(
      'v2 already had this traffic when this run came to it (the run that switched it stopped before recording that)',
    );
  });

  it('before the switch landed: the next run makes it, and step 1 is not judged again', async () => {
    const { w, switchAt } = await lostAtTheSwitch(false);
    const recorded = await w.ledger.release('fraud');
    expect(recorded).toMatchObject({ status: 'analysing', phase: 1, switchPending: true });

    w.clock.advance(30 * SECOND);
    const rerunAt = w.clock.now();
    const [release] = (await tickJob(w)).releases;
    expect(w.target.state).toEqual(STEP_2);
    expect(release).toMatchObject({
      status: 'analysing',
      phase: 1,
      phaseStartedAt: rerunAt,
      reason: 'analysing step 2 of 2 (50% of live traffic)',
    });
    expect(release?.switchPending).toBeUndefined();
    expect(history(release)?.slice(-2)).toEqual([
      { name: 'step 1 of 2', startedAt: expect.any(Number), endedAt: switchAt, outcome: 'passed' },
      { name: 'step 2 of 2', startedAt: rerunAt, endedAt: undefined, outcome: undefined },
    ]);
    expect(release?.phases[1]?.note).toBeUndefined();
  });

  it('a switch refused after its pending record ends as before: rolled back, step 2 failed, nothing pending', async () => {
    const w = await recordWorld(
      '{ type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }',
      ['{ name: errors, kind: threshold, query: error-rate, max: 0.02 }'],
      passingErrorRate(),
    );
    const pending: Release[] = [];
    const save = w.ledger.saveRelease.bind(w.ledger);
    w.ports.ledger = {
      ...w.ledger,
      async saveRelease(r) {
        if (r.switchPending) pending.push(r);
        return save(r);
      },
    };
    w.target.fault = (desired) => (desired.canary?.weight === 50 ? 'throw' : undefined);
    const watch = { mode: 'watch' as const, maxWaitMs: 3_600_000, dryRun: false };
    const [release] = (await handlePullRequest(w.config, w.event(), w.ports, watch)).releases;
    expect(pending.map((r) => r.phases.at(-1)?.name)).toEqual(['step 2 of 2']);
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    expect(release).toMatchObject({ status: 'failed' });
    expect(release?.switchPending).toBeUndefined();
    expect((await w.ledger.release('fraud'))?.switchPending).toBeUndefined();
    expect(release?.phases.map((p) => [p.name, p.outcome])).toEqual([
      ['step 1 of 2', 'passed'],
      ['step 2 of 2', 'failed'],
    ]);
  });
});
