import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import {
  dispatchFraudRollbackWith,
  stopFraudWorld,
  v2ServesWithCanaryV3,
  warningLines,
} from '../support/fraud-rollback-incident.js';
import { fraudHistory, fraudServing, startFraudWorld } from '../support/main-step.js';

// An incident during a GitHub outage: v2 (promoted by PR #7) is bad, PR #21's v3 is on a 10% canary,
// and GitHub answers 500 to every listing of Deployments (or the token's rate limit is used up for
// half an hour). The rollback read the ledger first and stopped there, "model-gate stopped: GitHub
// answered 500 to GET …/deployments", v2 and v3 still serving, nothing saying so nor how to roll back
// anyway. Now a rollback naming to-version makes its change without the ledger, the log saying its
// checks were skipped, and then fails only on the record ("took, but recording failed"); one without
// to-version stops at once saying nothing changed, what serves, and to set to-version. Main step
// from src/, the sandbox, the GitHub stand-in as the ledger.
const DEPLOYMENTS = /\/deployments\b/;

let world: { sandbox: Sandbox; github: FakeGitHub } | undefined;
afterEach(async () => {
  await stopFraudWorld(world);
  world = undefined;
});

/** v2 serves, promoted by PR #7 on the ledger, with v3 on a 10% canary the ledger cannot be asked about. */
async function v2WithCanaryV3() {
  const w = await startFraudWorld('v2', 3);
  world = w;
  await v2ServesWithCanaryV3(w);
  return { ...w, rollback: (more: Record<string, string> = {}) => dispatchFraudRollbackWith(w, more) };
}

describe('a dispatch rollback while GitHub cannot be read', () => {
  it.each([
    [
      'GitHub answers 500 to GET /deployments',
      (gh: FakeGitHub) => gh.failNext('GET', DEPLOYMENTS, 500, 1000),
      /GitHub answered 500 to GET \S*\/deployments\S*: /,
    ],
    [
      "the token's primary rate limit is used up for 30 minutes",
      (gh: FakeGitHub) =>
        gh.failNext('GET', /./, 403, 1000, {
          'x-ratelimit-limit': '1000',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-resource': 'core',
          'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 1800),
        }),
      /GitHub answered 403 to GET \S*\/deployments\S*: .*rate limit for this token/,
    ],
  ])(
    '%s: to-version v1 serves v1 alone, says the ledger was not read, and that the record failed',
    async (_, fault, github) => {
      const w = await v2WithCanaryV3();
      fault(w.github);

      const run = await w.rollback({ 'to-version': 'v1' });

      expect(await fraudServing(w.sandbox)).toEqual({ stable: { version: 'v1' } });
      const unread = warningLines(run.log).filter((l) => l.includes('could not be read'));
      expect(unread).toHaveLength(1);
      expect(unread[0]).toMatch(
        /^::warning::fraud-detector: the ledger on GitHub could not be read \(.*\): rolling back to v1 without it, its checks skipped \(a candidate in flight, whether v1 served before\)$/,
      );
      expect(unread[0]).toMatch(github);
      expect(run.error).toMatch(
        /^fraud-detector now serves v1: the rollback from v2 took, but recording it failed \(GitHub answered (500|403) .*\), so the ledger's record may still have v2 serving; once that is fixed, re-run this job/,
      );
      w.github.clearFaults();
      expect(await fraudHistory(w.github)).toEqual(['promotion v1->v2']);
    },
  );

  it('without to-version: changes nothing, says what serves and to set to-version', async () => {
    const w = await v2WithCanaryV3();
    w.github.failNext('GET', DEPLOYMENTS, 500, 1000);

    const run = await w.rollback();

    expect(await fraudServing(w.sandbox)).toEqual({
      stable: { version: 'v2' },
      canary: { version: 'v3', weight: 10 },
    });
    // The annotation escapes % as %25 (a workflow command).
    expect(run.error?.replaceAll('%25', '%')).toMatch(
      /^rollback fraud-detector: nothing changed, v2 still serves \(the platform as v2 90% \/ v3 10%\): the ledger on GitHub could not be read \(GitHub answered 500 to GET \S*\/deployments\S*: [^)]*\); set to-version to roll back without it$/,
    );
    w.github.clearFaults();
    expect(await fraudHistory(w.github)).toEqual(['promotion v1->v2']);
  });
});
