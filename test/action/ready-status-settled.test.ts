import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { fraudCanaryConfig, fraudServing, useFraudPrWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// A candidate that passes is recorded ready before the change that takes it off its last step's
// traffic, then again once the platform confirmed it. The commit status `model-gate/<model>` was set
// on the first record only, so every ready PR's status kept saying v2 "is being taken off the
// traffic of step 2 of 2" long after it served no live traffic. Main step from src/, against the
// sandbox (with live traffic) and the GitHub stand-in.
const CONFIG = fraudCanaryConfig(
  '{ type: canary, steps: [10, 50], step-duration: 30s, min-requests: 40, interval: 250ms }',
);
const world = useFraudPrWorld({ pr: 7, config: CONFIG, seed: 6 });
let traffic: TrafficGenerator;
beforeAll(() => {
  traffic = startTraffic({ url: world.sandbox.url, model: 'fraud-detector', rps: 200, seed: 10 });
});
afterAll(() => traffic?.stop());

describe("a ready PR's commit status", () => {
  it('says what holds once the change to idle is confirmed, not that it is under way', async () => {
    const run = await world.step(
      'pull_request',
      pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 }),
      { 'max-wait': '2m' },
    );
    expect([run.error, run.outputs.decision]).toEqual([undefined, 'ready']);
    // v2 has no live traffic left.
    expect(((await fraudServing(world.sandbox)) as { stable: unknown }).stable).toEqual({ version: 'v1' });
    const last = world.github.commitStatuses(sha(2)).at(-1);
    expect([last?.context, last?.state, last?.description]).toEqual([
      'model-gate/fraud-detector',
      'success',
      'v2 passed both phases; it serves no live traffic until the PR is merged',
    ]);
  }, 60_000);
});
