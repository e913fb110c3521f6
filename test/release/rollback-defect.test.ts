import { describe, expect, it } from 'vitest';
import type { TrafficState } from '../../src/core/traffic.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { fraudPr } from '../support/fraud-pr.js';

// A candidate fails its gate and its rollback meets a defect in model-gate (a TypeError thrown
// from the traffic change), not a platform refusal. It used to be reported as one: the record said
// the rollback failed in the defect's words, and the run went on as for an outage. Now the
// withdrawal is recorded as pending, saying model-gate met an unexpected error, the run fails on
// the defect, and the next run takes the candidate out: the stable version serves alone.

const DEFECT = "Cannot read properties of undefined (reading 'version')";
const STOPPED = `model-gate stopped on an unexpected error: ${DEFECT}; please report it`;
const CANARY = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };
const tick = { mode: 'tick' as const, maxWaitMs: 0 };

/** PR #7's failing candidate v2, its target throwing a TypeError on the first rollback only. */
async function defectOnRollback() {
  const w = await fraudPr({ to: 'v2', candidateErrors: 0.2 });
  const write = w.target.write.bind(w.target);
  let met = false;
  w.target.write = async (desired: TrafficState) => {
    if (!desired.canary && !met) {
      met = true;
      throw new TypeError(DEFECT);
    }
    await write(desired);
  };
  const written: Release[] = [];
  const ports = {
    ...w.ports,
    onProgress: (releases: Release[]) => void written.push(...releases),
  };
  return { ...w, ports, written };
}

/** The record the run left: failed, its withdrawal pending, saying a defect stopped the rollback. */
async function expectPendingOnDefect(w: Awaited<ReturnType<typeof defectOnRollback>>) {
  expect(w.target.state).toEqual(CANARY);
  const recorded = await w.ledger.release('fraud');
  expect(recorded).toMatchObject({
    status: 'failed',
    withdrawPending: true,
    reason: `errors: 20.00% is above the max 2.00%; the rollback to v1 also failed: ${STOPPED}`,
  });
  // Written where other runs read it (the PR's comment) before the run stopped.
  expect(w.written.at(-1)).toEqual(recorded);
  const report = renderMarkdown(w.config, { releases: [recorded as Release], skipped: [] }, { now: 0 });
  expect(report).toContain(
    `- fraud v2 could not be rolled back to v1: ${STOPPED} (rolling back because errors: 20.00% is above the max 2.00%); v2 may still get live traffic`,
  );
}

/** The next schedule tick takes v2 out: v1 serves alone, and the report says what happened first. */
async function expectNextTickWithdraws(w: Awaited<ReturnType<typeof defectOnRollback>>) {
  const next = await handleSchedule(w.config, w.ports, tick);
  expect(w.target.state).toEqual({ stable: { version: 'v1' } });
  expect(next.releases[0]?.withdrawPending).toBeUndefined();
  expect(renderMarkdown(w.config, next, { now: 0 })).toContain(
    `- fraud v2 was rolled back to v1 in step 1 of 2 (10% of live traffic) on a later try: errors: 20.00% is above the max 2.00% (the first rollback failed: ${STOPPED})`,
  );
}

describe('a defect in the rollback of a failed candidate', () => {
  it("fails the PR's job on the defect, the withdrawal pending, and the next tick withdraws the candidate", async () => {
    const w = await defectOnRollback();
    await expect(
      handlePullRequest(w.config, w.event(), w.ports, { mode: 'watch', maxWaitMs: 3_600_000, dryRun: false }),
    ).rejects.toThrow(new TypeError(DEFECT));
    await expectPendingOnDefect(w);
    await expectNextTickWithdraws(w);
  });

  it('fails a schedule tick on the defect, the withdrawal pending, and the next tick withdraws the candidate', async () => {
    const w = await defectOnRollback();
    await handlePullRequest(w.config, w.event(), w.ports, { ...tick, dryRun: false });
    expect(w.target.state).toEqual(CANARY);
    w.clock.advance(60_000);
    await expect(handleSchedule(w.config, w.ports, tick)).rejects.toThrow(new TypeError(DEFECT));
    await expectPendingOnDefect(w);
    await expectNextTickWithdraws(w);
  });
});
