import { describe, expect, it } from 'vitest';
import { handleCommand } from '../../src/release/commands.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { fraudPr } from '../support/fraud-pr.js';

// The platform refused a rollback while a PR's candidate was live: the release's reason read
// "rolled back to v0 by workflow_dispatch; v2 withdrawn; withdrawing v2 failed: …" and the error
// never said v1 still serves, where the refusal with no candidate does. Both now say the rollback
// did not take and what serves.

describe('a rollback the platform refuses while a candidate is live', () => {
  it('says the rollback did not take and what still serves, in the error and the release', async () => {
    const w = await fraudPr({ to: 'v2' });
    await w.ledger.record({
      model: 'fraud',
      kind: 'promotion',
      version: 'v1',
      previous: 'v0',
      at: 0,
      summary: 'passed',
    });
    await handlePullRequest(w.config, w.event(), w.ports, { mode: 'tick', maxWaitMs: 0, dryRun: false });
    expect(w.target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
    w.target.failFromWrite = w.target.writes.length;

    const inputs = { model: 'fraud', dryRun: false, trigger: 'workflow_dispatch' };
    const run = handleCommand(w.config, 'rollback', inputs, w.ports);

    await expect(run).rejects.toThrow(
      "rollback fraud: v1 still serves, the platform did not take the rollback to v0 (platform unavailable); the release of v2 of PR #7 is recorded as ended, and as its candidate may still get live traffic, a re-run of the PR's job or the next schedule tick tries again to withdraw it",
    );
    const release = await w.ledger.release('fraud');
    expect(release).toMatchObject({ status: 'aborted', withdrawPending: true });
    expect(release?.reason).toBe(
      'a rollback to v0 by workflow_dispatch did not take (platform unavailable): v1 still serves, the platform as v1 90% / v2 10%; v2 may still get live traffic, its withdrawal pending',
    );
    expect(await w.ledger.history('fraud')).toHaveLength(1);
  });
});
