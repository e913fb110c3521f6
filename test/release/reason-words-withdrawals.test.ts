import { describe, expect, it } from 'vitest';
import { TargetError } from '../../src/core/errors.js';
import { handleCommand } from '../../src/release/commands.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import type { Release } from '../../src/release/types.js';
import { fraudPr } from '../support/fraud-pr.js';

// The reason a release keeps after what its withdrawal met. A refused rollback by command re-run
// read "…; v2 withdrawn; v2 withdrawn by the rollback to v0 …"; one whose candidate a later run
// withdrew read as if the rollback had happened ("…its withdrawal pending; v2 withdrawn on a later
// try", "it had ended aborted: rolled back to v0 by …; v2 withdrawn"); a failed gate's refused
// rollback, sent again and taken unconfirmed, still said "the rollback to v1 also failed".

const tick = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };
const dispatch = { model: 'fraud', dryRun: false, trigger: 'workflow_dispatch' };

/** PR #7 moving fraud v1 → v2 (`history` on record first) at 10%, then a rollback to v0 by command the platform refuses. */
async function refusedRollback(
  history: { version: string; previous: string }[] = [{ version: 'v1', previous: 'v0' }],
) {
  const w = await fraudPr({ to: 'v2' });
  for (const [at, entry] of history.entries())
    await w.ledger.record({ model: 'fraud', kind: 'promotion', at, summary: 'passed', ...entry });
  await handlePullRequest(w.config, w.event(), w.ports, tick);
  w.target.failFromWrite = w.target.writes.length;
  const toV0 = { ...dispatch, toVersion: 'v0' };
  await expect(handleCommand(w.config, 'rollback', toV0, w.ports)).rejects.toThrow('platform unavailable');
  expect(await w.ledger.release('fraud')).toMatchObject({ status: 'aborted', withdrawPending: true });
  w.target.failFromWrite = Number.POSITIVE_INFINITY;
  return w;
}

describe('the reason of a release whose rollback by command the platform refused', () => {
  it('re-run and taken: says v2 was withdrawn once, and that the first try did not take', async () => {
    const w = await refusedRollback();
    await handleCommand(w.config, 'rollback', dispatch, w.ports);
    expect(w.target.state).toEqual({ stable: { version: 'v0' } });
    const release = (await w.ledger.release('fraud')) as Release;
    expect(release.reason).toBe(
      'v2 withdrawn by the rollback to v0 by workflow_dispatch (its first try did not take: platform unavailable)',
    );
  });

  it('its candidate withdrawn by a later try: says the rollback did not take and v1 serves', async () => {
    const w = await refusedRollback();
    await handleSchedule(w.config, w.ports, tick);
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    const release = (await w.ledger.release('fraud')) as Release;
    expect(release.withdrawPending).toBeUndefined();
    expect(release.reason).toBe(
      'the rollback to v0 by workflow_dispatch did not take (platform unavailable): v1 still serves; v2 withdrawn on a later try',
    );
  });

  it('settled by a rollback to its candidate (a revert): says the first rollback did not take', async () => {
    // v2 served before v1: a rollback to it is one.
    const w = await refusedRollback([
      { version: 'v2', previous: 'v0' },
      { version: 'v1', previous: 'v2' },
    ]);
    await handleCommand(w.config, 'rollback', { ...dispatch, toVersion: 'v2' }, w.ports);
    expect(w.target.state).toEqual({ stable: { version: 'v2' } });
    const release = (await w.ledger.release('fraud')) as Release;
    expect(release.reason).toMatch(
      /; it had ended aborted: the rollback to v0 by workflow_dispatch did not take \(platform unavailable\)$/,
    );
  });
});

describe("the reason of a failed gate's refused rollback, sent again", () => {
  it('taken but unconfirmed: says so, no longer that it failed', async () => {
    const w = await fraudPr({ to: 'v2', candidateErrors: 0.2 });
    w.target.failFromWrite = 1;
    const watch = { ...tick, mode: 'watch' as const, maxWaitMs: 3_600_000 };
    await handlePullRequest(w.config, w.event(), w.ports, watch);
    expect((await w.ledger.release('fraud'))?.reason).toMatch(
      /the rollback to v1 also failed: platform unavailable$/,
    );
    // The platform takes the change now, but no read answers.
    w.target.failFromWrite = Number.POSITIVE_INFINITY;
    w.target.read = async () => {
      throw new TargetError('read timed out');
    };
    await handleSchedule(w.config, w.ports, tick);
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    const release = (await w.ledger.release('fraud')) as Release;
    expect(release).toMatchObject({ status: 'failed', withdrawPending: true });
    expect(release.reason).toMatch(
      /^errors: 20\.00% is above the max 2\.00%; the rollback to v1 is unconfirmed: /,
    );
    expect(release.reason).not.toContain('also failed');
  });
});
