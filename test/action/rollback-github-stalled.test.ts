import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import {
  dispatchFraudRollbackWith,
  stopFraudWorld,
  v2ServesWithCanaryV3,
  warningLines,
} from '../support/fraud-rollback-incident.js';
import { type HoldingProxy, startHoldingProxy } from '../support/holding-proxy.js';
import { fraudHistory, fraudServing, startFraudWorld } from '../support/main-step.js';

// An incident while GitHub's connection stalls: v2 (promoted by PR #7) is bad, v3 is on a 10% canary,
// and GitHub takes the rollback's first listing of Deployments but never answers it. The rollback's
// read of the ledger before its change waited 60 s a try, four tries (about 4 minutes), v2 and v3
// serving all the while. Now that read gets one try of 10 s: with to-version the rollback goes ahead
// without the ledger, as during an outage; without, it stops saying nothing changed. Main step from
// src/, the sandbox, the GitHub stand-in behind a real proxy that holds the request. Real time.
/**
 * The quick read's 10 s, and the rest of the run (a main step from source, slow on a loaded
 * runner): far below the ~4 minutes of before, and below even one of its 60 s tries.
 */
const WITHIN_MS = 20_000;
/** Setup, the main step and WITHIN_MS, with room for a loaded runner. */
const TEST_TIMEOUT_MS = 30_000;

let world: { sandbox: Sandbox; github: FakeGitHub; proxy: HoldingProxy; unhold: () => void } | undefined;
afterEach(async () => {
  world?.unhold();
  await world?.proxy.close();
  await stopFraudWorld(world);
  world = undefined;
});

/** v2 serves, promoted by PR #7, v3 on a 10% canary; GitHub's next listing of Deployments goes unanswered. */
async function v2WithCanaryV3AndStalledGitHub() {
  const w = await startFraudWorld('v2', 3);
  const proxy = await startHoldingProxy(w.github.url);
  let unhold = () => {};
  const held = new Promise<void>((resolve) => {
    unhold = resolve;
  });
  world = { ...w, proxy, unhold };
  await v2ServesWithCanaryV3(w);
  proxy.holdNext(
    (req) => req.method === 'GET' && /\/deployments\b/.test(req.path),
    () => held,
  );
  const rollback = async (more: Record<string, string> = {}) => {
    const started = Date.now();
    const run = await dispatchFraudRollbackWith(w, more, proxy.url);
    return { ...run, tookMs: Date.now() - started };
  };
  return { ...w, rollback };
}

describe('a dispatch rollback while GitHub does not answer its read of the ledger', () => {
  it('to-version v1: v1 serves alone within seconds, the log saying the ledger was not read', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const w = await v2WithCanaryV3AndStalledGitHub();

    const run = await w.rollback({ 'to-version': 'v1' });

    expect(run.tookMs).toBeLessThan(WITHIN_MS);
    expect(await fraudServing(w.sandbox)).toEqual({ stable: { version: 'v1' } });
    const unread = warningLines(run.log).filter((l) => l.includes('could not be read'));
    expect(unread).toHaveLength(1);
    expect(unread[0]).toMatch(
      /^::warning::fraud-detector: the ledger on GitHub could not be read \(No answer from GitHub to GET \S*\/deployments\S*: [^)]*timeout[^)]*\): rolling back to v1 without it, its checks skipped/,
    );
    // GitHub answers again by the record, made after the change with the client's full retries.
    expect(run.error).toBeUndefined();
    expect(await fraudHistory(w.github)).toEqual(['promotion v1->v2', 'rollback v2->v1']);
  });

  it('without to-version: stops within seconds, nothing changed, saying what serves and to set to-version', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const w = await v2WithCanaryV3AndStalledGitHub();

    const run = await w.rollback();

    expect(run.tookMs).toBeLessThan(WITHIN_MS);
    expect(await fraudServing(w.sandbox)).toEqual({
      stable: { version: 'v2' },
      canary: { version: 'v3', weight: 10 },
    });
    // The annotation escapes % as %25 (a workflow command).
    expect(run.error?.replaceAll('%25', '%')).toMatch(
      /^rollback fraud-detector: nothing changed, v2 still serves \(the platform as v2 90% \/ v3 10%\): the ledger on GitHub could not be read \(No answer from GitHub to GET \S*\/deployments\S*: [^)]*\); set to-version to roll back without it$/,
    );
    expect(await fraudHistory(w.github)).toEqual(['promotion v1->v2']);
  });
});
