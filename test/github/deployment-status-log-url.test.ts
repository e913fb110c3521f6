import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentOf } from '../../src/github/deployments.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { fraudCanaryConfig, useFraudPrWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent, workflowDispatchEvent } from '../support/payloads.js';

// The Deployments page of model-gate/<model> is the model's audit trail of what served when. Each
// status model-gate wrote there had no log URL, so no entry had a "View logs" link to the run that
// claimed the canary slot, failed it, promoted or rolled back (the commit statuses of the same runs
// link to them). Main step from src/, against the sandbox (with live traffic) and the GitHub
// stand-in, which checks each request against GitHub's OpenAPI description.
const CONFIG = fraudCanaryConfig(
  '{ type: canary, steps: [10, 50], step-duration: 30s, min-requests: 40, interval: 250ms }',
);
const world = useFraudPrWorld({ pr: 7, config: CONFIG, seed: 6 });
let traffic: TrafficGenerator;
beforeAll(() => {
  traffic = startTraffic({ url: world.sandbox.url, model: 'fraud-detector', rps: 200, seed: 10 });
});
afterAll(() => traffic?.stop());

/** The runner's environment of workflow run `id`. */
const runEnv = (id: number, more: Record<string, string> = {}) => ({
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_RUN_ID: String(id),
  ...more,
});
const runUrl = (id: number) => `https://github.com/Codertocat/Hello-World/actions/runs/${id}`;

/** Each status on the model's Deployments page, oldest first: the deployment, its state and description, and its log. */
const page = () =>
  world.github
    .deployments(environmentOf('fraud-detector'))
    .flatMap((d) => d.statuses.map((s) => [d.description, s.state, s.description, s.logUrl]));

describe("the Deployments page's statuses", () => {
  it('each link to the run that set it', async () => {
    // PR #8's v3 fails its first step (run 101); PR #7's v2 is ready (run 102), merged (run 103),
    // then rolled back by dispatch (run 104).
    world.github.setFile(sha(4), 'models/fraud.yaml', 'version: v3\n');
    world.github.setPullRequest(8, {
      baseSha: sha(1),
      headSha: sha(4),
      files: [{ filename: 'models/fraud.yaml', status: 'modified' }],
    });
    const failed = await world.step(
      'pull_request',
      pullRequestEvent('opened', { base: sha(1), head: sha(4) }, { number: 8 }),
      { 'max-wait': '2m' },
      runEnv(101),
    );
    expect(failed.outputs.decision).toBe('failed');
    const ready = await world.step(
      'pull_request',
      pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 }),
      { 'max-wait': '2m' },
      runEnv(102),
    );
    expect(ready.outputs.decision).toBe('ready');
    const merged = await world.step(
      'pull_request',
      pullRequestEvent('closed', { base: sha(1), head: sha(2) }, { number: 7, merged: true }),
      {},
      runEnv(103, { GITHUB_SHA: sha(3) }),
    );
    expect(merged.error).toBeUndefined();
    world.github.setFile(sha(3), 'models/fraud.yaml', 'version: v2\n');
    const inputs = { command: 'rollback', model: 'fraud-detector' };
    const rolledBack = await world.step(
      'workflow_dispatch',
      workflowDispatchEvent(inputs),
      inputs,
      runEnv(104, { GITHUB_SHA: sha(3) }),
    );
    expect(rolledBack.error).toBeUndefined();

    expect(page()).toEqual([
      ['canary v1 -> v3', 'in_progress', 'analysing v3', runUrl(101)],
      ['canary v1 -> v3', 'failure', 'v3 failed', runUrl(101)],
      ['canary v1 -> v2', 'in_progress', 'analysing v2', runUrl(102)],
      ['canary v1 -> v2', 'inactive', 'v2 promoted', runUrl(103)],
      ['promotion v1 -> v2', 'success', expect.any(String), runUrl(103)],
      ['promotion v1 -> v2', 'inactive', 'replaced by v1', runUrl(104)],
      ['rollback v2 -> v1', 'success', expect.any(String), runUrl(104)],
    ]);
  }, 120_000);
});
