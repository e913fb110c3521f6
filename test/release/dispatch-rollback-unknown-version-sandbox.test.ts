import { getOctokit } from '@actions/github';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import {
  FRAUD_ON_SANDBOX,
  fraudPromotedOnRecord,
  fraudServing,
  runMainStep,
  startFraudWorld,
} from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { workflowDispatchEvent } from '../support/payloads.js';

// `command: rollback` with to-version v9 (it served once, was rolled back, and its artifact removed
// since) on the real sandbox, which has fraud-detector v1-v4 only and
// answers the PUT with HTTP 400 "unknown version". The sandbox target raised a plain TargetError, so
// the step said "run the rollback again once the platform answers", which gets the same 400 again;
// it now says to set to-version to a version the platform has (as dispatch-rollback-unknown-version
// does on a stand-in target). Main step from src/, the ledger on the GitHub stand-in.
const MODEL = 'fraud-detector';
const ENV = `model-gate/${MODEL}`;

const world = {
  sandbox: undefined as unknown as Sandbox,
  github: undefined as unknown as FakeGitHub,
};

beforeAll(async () => {
  Object.assign(world, await startFraudWorld('v2'));
  // v2 serves, promoted from v1, on record; v9 served after it until a rollback.
  await fraudPromotedOnRecord(world.github);
  const client = getOctokit('ghs_x', { baseUrl: world.github.url });
  const ledger = new GitHubLedger({
    client,
    repo: { owner: 'Codertocat', repo: 'Hello-World' },
    sha: sha(2),
  });
  const entry = { model: MODEL, at: 0, summary: 'passed' };
  await ledger.record({ ...entry, kind: 'promotion', version: 'v9', previous: 'v2' });
  await ledger.record({ ...entry, kind: 'rollback', version: 'v2', previous: 'v9' });
});
afterAll(async () => {
  expect(world.github?.violations).toEqual([]);
  await world.sandbox?.close();
  await world.github?.close();
});

describe('a rollback by workflow_dispatch to a version the sandbox does not have', () => {
  it('says to pick a version the platform has, not to run it again; v2 still serves, nothing recorded', async () => {
    const deployments = world.github.deployments(ENV).length;
    const inputs = { command: 'rollback', model: MODEL, 'to-version': 'v9' };
    const run = await runMainStep({
      eventName: 'workflow_dispatch',
      event: workflowDispatchEvent(inputs),
      inputs: { ledger: 'github', ...inputs },
      config: FRAUD_ON_SANDBOX,
      githubUrl: world.github.url,
      env: { SANDBOX_URL: world.sandbox.url, GITHUB_SHA: sha(1), MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
    });
    expect(run.error).toContain(
      `rollback fraud-detector: v2 still serves, the platform did not take the rollback to v9 (sandbox fraud-detector at ${world.sandbox.url} refused: stable.version: unknown version "v9" of model fraud-detector; available: v1, v2, v3, v4; use a version the sandbox has, or add its artifact fraud-detector/v9.json to the sandbox's models directory); nothing is recorded; the platform refused the rollback to v9 itself, so running it again unchanged gets the same answer: set to-version to a version the platform has (the ledger's recent stable versions: v1)`,
    );
    expect(run.error).not.toContain('run the rollback again');
    expect(await fraudServing(world.sandbox)).toEqual({ stable: { version: 'v2' } });
    expect(world.github.deployments(ENV)).toHaveLength(deployments);
  });
});
