import { describe, expect, it } from 'vitest';
import { handleCommand } from '../../src/release/commands.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { fraudPr } from '../support/fraud-pr.js';

// A candidate's withdrawal the platform refused: the report's heading says which change did not
// take. A PR closed unmerged (or an abort) asked for a withdrawal, not a rollback; a failed gate
// or a rollback by command asked for a rollback. A refused rollback to v3 whose candidate a later
// run withdrew leaves v1 serving, not v3: its line used to read "v2 was withdrawn: rolled back to
// v3 by workflow_dispatch; …; v2 withdrawn on a later try".

const tick = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };

/** PR #7 moving fraud to v2, analysing at 10%, then every traffic change refused. */
async function refusingWorld() {
  const w = await fraudPr({ to: 'v2' });
  await handlePullRequest(w.config, w.event(), w.ports, tick);
  expect(w.target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
  w.target.failFromWrite = w.target.writes.length;
  const report = (releases: Release[]) => renderMarkdown(w.config, { releases, skipped: [] }, { now: 0 });
  return { ...w, report };
}

const heading = (report: string) => report.split('\n')[0];

describe('the heading of a run whose withdrawal the platform refused', () => {
  it('a PR closed without merging: the withdrawal is incomplete, nothing was rolled back', async () => {
    const w = await refusingWorld();
    const closed = await handlePullRequest(w.config, w.event('closed'), w.ports, tick);
    expect(closed.releases).toMatchObject([{ status: 'aborted', withdrawPending: true }]);
    const report = w.report(closed.releases);
    expect(heading(report)).toBe(
      '## model-gate: ⚠️ Withdrawal incomplete: a candidate may still get live traffic',
    );
    expect(report).toContain(
      '- fraud v2 could not be withdrawn: platform unavailable (withdrawing because the PR was closed without merging); v2 may still get live traffic',
    );
  });

  it('an abort: withdrawal incomplete; beside a failed gate whose rollback was refused, rollback incomplete', async () => {
    const w = await refusingWorld();
    const abort = { model: 'fraud', dryRun: false, trigger: 'workflow_dispatch' };
    await expect(handleCommand(w.config, 'abort', abort, w.ports)).rejects.toThrow('platform unavailable');
    const aborted = (await w.ledger.release('fraud')) as Release;
    expect(aborted).toMatchObject({ status: 'aborted', withdrawPending: true });
    expect(heading(w.report([aborted]))).toBe(
      '## model-gate: ⚠️ Withdrawal incomplete: a candidate may still get live traffic',
    );

    // Another model's faulty candidate whose rollback the platform refused, in the same report.
    const bad = await fraudPr({ to: 'v3', candidateErrors: 0.2 });
    bad.target.failFromWrite = 1;
    const failed = await handlePullRequest(bad.config, bad.event(), bad.ports, {
      ...tick,
      mode: 'watch',
      maxWaitMs: 3_600_000,
    });
    const [rollback] = failed.releases;
    expect(rollback).toMatchObject({ status: 'failed', withdrawPending: true });
    const both = w.report([aborted, { ...(rollback as Release), model: 'churn' }]);
    expect(heading(both)).toBe(
      '## model-gate: ⚠️ Rollback incomplete: a candidate may still get live traffic',
    );
  });
});

describe('a refused rollback to v3 by command whose candidate a later run withdrew', () => {
  it.each([
    [
      'a schedule tick',
      (w: Awaited<ReturnType<typeof refusingWorld>>) => handleSchedule(w.config, w.ports, tick),
    ],
    [
      "the PR's job",
      (w: Awaited<ReturnType<typeof refusingWorld>>) => handlePullRequest(w.config, w.event(), w.ports, tick),
    ],
  ])('%s: says v1 serves, not v3, and that the rollback did not take', async (_, retry) => {
    const w = await refusingWorld();
    const rollback = { model: 'fraud', dryRun: false, trigger: 'workflow_dispatch', toVersion: 'v3' };
    await expect(handleCommand(w.config, 'rollback', rollback, w.ports)).rejects.toThrow(
      'platform unavailable',
    );
    const refused = (await w.ledger.release('fraud')) as Release;
    expect(heading(w.report([refused]))).toBe(
      '## model-gate: ⚠️ Rollback incomplete: a candidate may still get live traffic',
    );

    w.target.failFromWrite = Number.POSITIVE_INFINITY;
    await retry(w);
    // The rollback was never recorded: the retry takes v2 out and leaves v1, the release's own.
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    const withdrawn = (await w.ledger.release('fraud')) as Release;
    expect(withdrawn).toMatchObject({ status: 'aborted' });
    expect(withdrawn.withdrawPending).toBeUndefined();
    const report = w.report([withdrawn]);
    expect(report).toContain(
      '- fraud v2 was withdrawn on a later try, which left v1 serving, not v3: the rollback to v3 by workflow\\_dispatch that was to withdraw it did not take (platform unavailable)',
    );
    expect(report).not.toContain('v2 was withdrawn: rolled back to v3');
  });
});
