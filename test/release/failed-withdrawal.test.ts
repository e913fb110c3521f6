import { describe, expect, it } from 'vitest';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { fraudPr } from '../support/fraud-pr.js';

// A faulty candidate whose rollback the platform refuses: the release ends failed, but it keeps
// the canary slot and says its candidate may still get live traffic, until a later run withdraws it.

async function world() {
  const pr = await fraudPr({ to: 'v3', candidateErrors: 0.2 });
  const { config, ledger, target, ports } = pr;
  const event = pr.event();
  const opts = { mode: 'watch' as const, maxWaitMs: 3_600_000, dryRun: false };
  // The candidate deploys (write 0), then every write fails: the rollback does not take.
  target.failFromWrite = 1;
  const failed = await handlePullRequest(config, event, ports, opts);
  return { config, ledger, target, ports, event, opts, failed };
}

describe('a rollback the platform refused', () => {
  it('is reported as incomplete, keeps the slot, and a re-run of the job withdraws the candidate', async () => {
    const { config, ledger, target, ports, event, opts, failed } = await world();
    const [release] = failed.releases;
    expect(release).toMatchObject({ status: 'failed', withdrawPending: true });
    expect(target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v3', weight: 10 } });
    const report = renderMarkdown(config, failed, { now: 0 });
    expect(report).toContain('## model-gate: ⚠️ Rollback incomplete: a candidate may still get live traffic');
    expect(report).toContain(
      '- fraud v3 could not be rolled back to v1: platform unavailable (rolling back because',
    );
    expect(report).toContain(
      'v3 may still get live traffic: a re-run of this job or the next schedule tick tries again',
    );
    expect(await ledger.canaryHolder('fraud')).toMatchObject({ to: 'v3', withdrawPending: true });

    target.failFromWrite = Number.POSITIVE_INFINITY;
    const rerun = await handlePullRequest(config, event, ports, opts);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    expect(rerun.releases[0]?.withdrawPending).toBeUndefined();
    expect(rerun.releases[0]?.reason).toMatch(/; v3 withdrawn on a later try$/);
    expect(renderMarkdown(config, rerun, { now: 0 })).toContain('## model-gate: ❌ Rolled back');
    expect(await ledger.canaryHolder('fraud')).toBeUndefined();
  });

  it('is tried again by the next schedule tick', async () => {
    const { config, ledger, target, ports } = await world();
    const still = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });
    expect(still.releases[0]).toMatchObject({ withdrawPending: true });
    target.failFromWrite = Number.POSITIVE_INFINITY;
    await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    expect(await ledger.canaryHolder('fraud')).toBeUndefined();
  });

  it('recorded before its rollback by a job then lost: a tick whose retry is refused says the rollback did not take, not "being withdrawn"', async () => {
    const { config, ledger, target, ports } = await world();
    const release = await ledger.release('fraud');
    if (!release) throw new Error('no release recorded');
    // What the job records before its rollback (tick.ts rollBack), had it been lost right after.
    const { ending: _, ...rest } = release;
    const why = 'errors: 20.00% is above the max';
    const lost = { ...rest, reason: why, withdrawPending: true, ending: { serves: 'v1' } };
    await ledger.saveRelease(lost);
    expect(renderMarkdown(config, { releases: [lost], skipped: [] }, { now: 0 })).toContain(
      'being withdrawn',
    );
    const still = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });
    expect(still.releases[0]).toMatchObject({
      status: 'failed',
      withdrawPending: true,
      reason: `${why}; the rollback to v1 also failed: platform unavailable`,
    });
    const report = renderMarkdown(config, still, { now: 0 });
    expect(report).toContain('## model-gate: ⚠️ Rollback incomplete: a candidate may still get live traffic');
    expect(report).not.toContain('being withdrawn');
    expect(target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v3', weight: 10 } });
  });
});
