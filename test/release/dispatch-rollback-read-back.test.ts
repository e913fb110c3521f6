import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { fraudPromotedOnRecord, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { workflowDispatchEvent } from '../support/payloads.js';
import { fraudBehindPassThrough, platformPassThrough } from '../support/platform-pass-through.js';

// `command: rollback` whose traffic change the platform takes, but whose read-back right after it
// meets a 503 once (the platform's read endpoint timing out upstream). The step failed saying
// "rollback … failed … run the rollback again", with nothing recorded, though v1 served. Main step
// from src/, the sandbox behind a pass-through, the ledger on the GitHub stand-in.
const MODEL = 'fraud-detector';
const FILE = 'models/fraud.yaml';
const ENV = `model-gate/${MODEL}`;

const world = {
  sandbox: undefined as unknown as Sandbox,
  github: undefined as unknown as FakeGitHub,
  platform: undefined as unknown as Awaited<ReturnType<typeof platformPassThrough>>,
};
/** GETs left to answer with a 503 after the next withdrawal (a PUT of the stable version alone). */
let failReadsAfterChange = 0;
let armed = 0;

beforeAll(async () => {
  Object.assign(world, await startFraudWorld('v2'));
  world.platform = await platformPassThrough(world.sandbox.url, async ({ method, body }, forward) => {
    if (method === 'PUT' && !(body as { canary?: unknown }).canary) {
      armed = failReadsAfterChange;
      return forward();
    }
    if (method === 'GET' && armed > 0) {
      armed -= 1;
      return { status: 503, body: { error: 'read timed out upstream' } };
    }
    return forward();
  });
  world.github.setPullRequest(5, { baseSha: sha(1), headSha: sha(2), files: [] });
});
afterAll(async () => {
  expect(world.github?.violations).toEqual([]);
  await world.platform?.close();
  await world.sandbox?.close();
  await world.github?.close();
});

const dispatch = () => {
  const inputs = { command: 'rollback', model: MODEL };
  return runMainStep({
    eventName: 'workflow_dispatch',
    event: workflowDispatchEvent(inputs),
    inputs: { ledger: 'github', ...inputs },
    config: fraudBehindPassThrough(FILE, '{ type: canary, steps: [10, 50] }'),
    githubUrl: world.github.url,
    env: {
      SANDBOX_URL: world.sandbox.url,
      PLATFORM_URL: world.platform.url,
      GITHUB_SHA: sha(1),
      MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05',
    },
  });
};

describe('a rollback by workflow_dispatch whose read-back fails once after the change took', () => {
  it('reads again, confirms v1 serves, and records the rollback', async () => {
    // v2 serves, promoted from v1 by PR #5, on record.
    await fraudPromotedOnRecord(world.github, 5);
    const deployments = world.github.deployments(ENV).length;

    failReadsAfterChange = 1;
    const run = await dispatch();
    expect([run.error, run.outputs.decision]).toEqual([undefined, 'rolled-back']);
    expect(await fraudServing(world.sandbox)).toEqual({ stable: { version: 'v1' } });
    const recorded = world.github.deployments(ENV);
    expect(recorded).toHaveLength(deployments + 1);
    expect(recorded.at(-1)?.payload).toMatchObject({ kind: 'rollback', version: 'v1', previous: 'v2' });
  });
});
