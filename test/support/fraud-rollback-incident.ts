import { expect } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from './fake-github/server.js';
import { FRAUD_ON_SANDBOX, fraudPromotedByPr, type MainStepRun, runMainStep } from './main-step.js';
import { sha } from './model-config.js';
import { workflowDispatchEvent } from './payloads.js';

// The incident a dispatch rollback of fraud-detector is run for, on a startFraudWorld: the
// rollback-while-GitHub-is-down tests (an outage, a stalled connection) start from it.

type FraudWorld = { sandbox: Sandbox; github: FakeGitHub };

/** v2 serves, promoted by PR #7 on the stand-in's ledger (fraudPromotedByPr), with v3 on a 10% canary. */
export async function v2ServesWithCanaryV3(world: FraudWorld): Promise<void> {
  await fraudPromotedByPr(world.github, 7);
  await requestJson('PUT', `${world.sandbox.url}/admin/models/fraud-detector/traffic`, {
    stable: { version: 'v2' },
    canary: { version: 'v3', weight: 10 },
  });
}

/**
 * `command: rollback` of fraud-detector by workflow_dispatch at sha(9), `more` added to its inputs
 * (a to-version): the main step from src/ on FRAUD_ON_SANDBOX, its ledger GitHub's at `githubUrl`
 * (the stand-in's unless given: a proxy in front of it), its waits scaled down.
 */
export function dispatchFraudRollbackWith(
  world: FraudWorld,
  more: Record<string, string> = {},
  githubUrl = world.github.url,
): Promise<MainStepRun> {
  const inputs = { command: 'rollback', model: 'fraud-detector', ...more };
  return runMainStep({
    eventName: 'workflow_dispatch',
    event: workflowDispatchEvent(inputs),
    inputs: { ledger: 'github', ...inputs },
    config: FRAUD_ON_SANDBOX,
    githubUrl,
    env: { SANDBOX_URL: world.sandbox.url, GITHUB_SHA: sha(9), MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
  });
}

/** A step's `::warning::` lines, in order. */
export const warningLines = (log: string) => log.split('\n').filter((l) => l.startsWith('::warning::'));

/** After a test on `world`: GitHub refused none of the requests made; the sandbox and the stand-in are stopped. */
export async function stopFraudWorld(world: FraudWorld | undefined): Promise<void> {
  expect(world?.github.violations).toEqual([]);
  await world?.sandbox.close();
  await world?.github.close();
}
