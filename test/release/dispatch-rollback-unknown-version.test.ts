import { describe, expect, it } from 'vitest';
import type { TrafficState } from '../../src/core/traffic.js';
import { handleCommand } from '../../src/release/commands.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { TargetRefusedError } from '../../src/targets/errors.js';
import { fraudPr } from '../support/fraud-pr.js';

// `command: rollback` to a version the platform does not have (to-version v9, which served once and
// was since removed; the platform holds v0-v4): the platform answered, refusing the request itself
// (TargetRefusedError, as the sandbox's HTTP 400 "unknown version"). The run said "run the rollback
// again once the platform answers", advice for an outage, which gets the same answer again; it now
// says to name a version the platform has, and names the ledger's recent stable versions. (A version
// that never served is refused before the platform is asked: dispatch-rollback-never-served.)

const HAS = ['v0', 'v1', 'v2', 'v3', 'v4'];

/**
 * fraud (PR #7: v1 -> v2; v1 on record, promoted from v0; v9 promoted after it, rolled back to v1,
 * and removed from the platform since) on a platform that refuses a state naming a version it lacks,
 * as a platform does.
 */
async function platformWithVersions() {
  const w = await fraudPr({ to: 'v2' });
  const served = [
    { kind: 'promotion', version: 'v1', previous: 'v0', summary: 'passed' },
    { kind: 'promotion', version: 'v9', previous: 'v1', summary: 'passed' },
    { kind: 'rollback', version: 'v1', previous: 'v9', summary: 'rolled back by workflow_dispatch' },
  ] as const;
  for (const [at, entry] of served.entries()) await w.ledger.record({ model: 'fraud', at, ...entry });
  const write = w.target.write.bind(w.target);
  w.target.write = async (desired: TrafficState) => {
    const lacking = [desired.stable, desired.canary].find((s) => s && !HAS.includes(s.version));
    if (lacking)
      throw new TargetRefusedError(
        `memory target refused: stable.version: unknown version "${lacking.version}" of model fraud; available: ${HAS.join(', ')}`,
      );
    return write(desired);
  };
  const rollbackTo = (version: string) =>
    handleCommand(
      w.config,
      'rollback',
      { model: 'fraud', toVersion: version, dryRun: false, trigger: 'workflow_dispatch' },
      w.ports,
    );
  return { ...w, rollbackTo };
}

const PLATFORM_SAID = `memory target refused: stable.version: unknown version "v9" of model fraud; available: ${HAS.join(', ')}`;
const PICK =
  "the platform refused the rollback to v9 itself, so running it again unchanged gets the same answer: set to-version to a version the platform has (the ledger's recent stable versions: v0)";

describe('a rollback to a version the platform lacks', () => {
  it('nothing in flight: says to pick a version the platform has, not to run it again', async () => {
    const w = await platformWithVersions();
    await expect(w.rollbackTo('v9')).rejects.toThrow(
      `rollback fraud: v1 still serves, the platform did not take the rollback to v9 (${PLATFORM_SAID}); nothing is recorded; ${PICK}`,
    );
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
  });

  it('a candidate in flight: says its withdrawal is retried, and to pick a version the platform has', async () => {
    const w = await platformWithVersions();
    await handlePullRequest(w.config, w.event(), w.ports, { mode: 'tick', maxWaitMs: 0, dryRun: false });
    expect(w.target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
    await expect(w.rollbackTo('v9')).rejects.toThrow(
      `rollback fraud: v1 still serves, the platform did not take the rollback to v9 (${PLATFORM_SAID}); the release of v2 of PR #7 is recorded as ended, and as its candidate may still get live traffic, a re-run of the PR's job or the next schedule tick tries again to withdraw it; ${PICK}`,
    );
  });
});
