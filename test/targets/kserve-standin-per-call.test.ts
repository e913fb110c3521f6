import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KServeTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { kserveTarget } from '../../src/targets/kserve-target.js';
import { installStandins, type Standins } from '../support/standin-cli.js';
import { passingCanary, step } from './drive.js';
import { servingV1 } from './kserve-cluster.js';

// The kubectl stand-in run as its own process for each call (installStandins alone, no
// serveStandin) crashed on its first `get` of an InferenceService: it answered before the module's
// constants were set (ReferenceError: Cannot access 'reportedGeneration' before initialization).
// A KServe canary now runs through it as through the served one.

let standins: Standins;
beforeAll(async () => {
  standins = await installStandins();
});
afterAll(async () => {
  await standins?.remove();
});

const config: KServeTargetConfig = {
  type: 'kserve',
  namespace: 'ml',
  storageUri: 'gs://models/{{model}}/{{version}}',
  timeoutMs: 20_000,
  settleTimeoutMs: 60_000,
  pollIntervalMs: 5_000,
};

describe('the kubectl stand-in, one process per call', () => {
  it('runs a KServe canary to its promotion', async () => {
    await standins.seed(servingV1());
    const seen = await passingCanary(kserveTarget(config, 'fraud', new FakeClock()), 'v1', 'v2');
    expect(seen).toEqual([
      step('v1', 'v2', 10),
      step('v1', 'v2', 50),
      step('v1', 'v2', 0),
      { stable: { version: 'v2' } },
    ]);
    expect((await standins.calls('kubectl')).length).toBeGreaterThan(0);
  });
});
