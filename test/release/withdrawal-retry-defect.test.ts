import { describe, expect, it } from 'vitest';
import type { TrafficState } from '../../src/core/traffic.js';
import { handleCommand } from '../../src/release/commands.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import type { Release } from '../../src/release/types.js';
import { fraudPr } from '../support/fraud-pr.js';

// A release ended but its candidate's withdrawal is pending; a later run tries it again and meets a
// defect in model-gate (a TypeError thrown from the traffic change), not a platform refusal. It used
// to count as one more failed try: the schedule tick ended green, a re-run of the PR's job tried
// again quietly until its retry window closed, and the record quoted the bug as the platform's
// words. Now the run fails on the defect, reported as one, the withdrawal still pending, and the
// next run, the bug gone, takes the candidate out.

const DEFECT = "Cannot read properties of undefined (reading 'weight')";
const STOPPED = `model-gate stopped on an unexpected error: ${DEFECT}`;
const CANARY = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };
const watch = { mode: 'watch' as const, maxWaitMs: 3_600_000, dryRun: false };
const tick = { mode: 'tick' as const, maxWaitMs: 0 };

/** PR #7's world, its target's writes throwing a TypeError from now on until `fixed()`; `written`, what the run reports. */
async function withDefect(w: Awaited<ReturnType<typeof fraudPr>>) {
  const write = w.target.write.bind(w.target);
  let tries = 0;
  let defect = true;
  w.target.write = async (desired: TrafficState) => {
    if (!defect) return write(desired);
    tries++;
    throw new TypeError(DEFECT);
  };
  const written: Release[] = [];
  const ports = { ...w.ports, onProgress: (releases: Release[]) => void written.push(...releases) };
  const fixed = () => {
    defect = false;
  };
  return { ...w, ports, written, tries: () => tries, fixed };
}

/** v2 failed its gate and the platform refused its rollback; then a defect meets every write. */
async function refusedRollbackThenDefect() {
  const w = await fraudPr({ to: 'v2', candidateErrors: 0.2 });
  w.target.failFromWrite = 1;
  const failed = await handlePullRequest(w.config, w.event(), w.ports, watch);
  expect(failed.releases[0]).toMatchObject({ status: 'failed', withdrawPending: true });
  w.target.failFromWrite = Number.POSITIVE_INFINITY;
  return withDefect(w);
}

const REFUSED = 'errors: 20.00% is above the max 2.00%; the rollback to v1 also failed: platform unavailable';

/** The next schedule tick, the defect fixed, takes v2 out: v1 serves alone, nothing pending. */
async function expectNextTickWithdraws(w: Awaited<ReturnType<typeof withDefect>>) {
  w.fixed();
  const next = await handleSchedule(w.config, w.ports, tick);
  expect(w.target.state).toEqual({ stable: { version: 'v1' } });
  expect(next.releases[0]?.withdrawPending).toBeUndefined();
  expect(await w.ledger.canaryHolder('fraud')).toBeUndefined();
}

describe('a defect met retrying a pending withdrawal', () => {
  it('fails the schedule tick, reported as a defect, the withdrawal pending; the next tick withdraws the candidate', async () => {
    const w = await refusedRollbackThenDefect();
    w.warnings.length = 0;
    await expect(handleSchedule(w.config, w.ports, tick)).rejects.toThrow(new TypeError(DEFECT));
    expect(w.target.state).toEqual(CANARY);
    expect(w.warnings).toEqual([
      `fraud: ${STOPPED}; v2 may still get live traffic: the next run tries again; please report it`,
    ]);
    // The record keeps the platform's refusal it had: the defect is the run's failure, not the platform's.
    expect(await w.ledger.release('fraud')).toMatchObject({
      status: 'failed',
      withdrawPending: true,
      reason: REFUSED,
    });
    await expectNextTickWithdraws(w);
  });

  it("fails a re-run of the PR's job at once, not trying again quietly, the withdrawal pending", async () => {
    const w = await refusedRollbackThenDefect();
    await expect(handlePullRequest(w.config, w.event(), w.ports, watch)).rejects.toThrow(
      new TypeError(DEFECT),
    );
    // One try: trying again would meet the same bug.
    expect(w.tries()).toBe(1);
    expect(w.target.state).toEqual(CANARY);
    const recorded = await w.ledger.release('fraud');
    expect(recorded).toMatchObject({ status: 'failed', withdrawPending: true, reason: REFUSED });
    // Written where other runs read it (the PR's comment) before the run stopped.
    expect(w.written.at(-1)).toEqual(recorded);
    await expectNextTickWithdraws(w);
  });

  it('records the defect as one where the end was recorded before its change (an abort the defect stopped)', async () => {
    const healthy = await fraudPr({ to: 'v2' });
    await handlePullRequest(healthy.config, healthy.event(), healthy.ports, { ...tick, dryRun: false });
    expect(healthy.target.state).toEqual(CANARY);
    const w = await withDefect(healthy);
    const abort = { model: 'fraud', dryRun: false, trigger: 'workflow_dispatch' };
    await expect(handleCommand(w.config, 'abort', abort, w.ports)).rejects.toThrow(new TypeError(DEFECT));
    // The abort's end, recorded before its change, is left under way: no run is making the change.
    expect(await w.ledger.release('fraud')).toMatchObject({ status: 'aborted', withdrawPending: true });

    // It used to end green (its decision "aborted"), the record quoting the bug as the platform's words.
    await expect(handleSchedule(w.config, w.ports, tick)).rejects.toThrow(new TypeError(DEFECT));
    const recorded = await w.ledger.release('fraud');
    expect(recorded).toMatchObject({
      status: 'aborted',
      withdrawPending: true,
      reason: `aborted by workflow_dispatch; withdrawing v2 failed: ${STOPPED}; please report it`,
    });
    expect(w.written.at(-1)).toEqual(recorded);
    await expectNextTickWithdraws(w);
  });
});
