import { describe, expect, it } from 'vitest';
import type { AzureMlTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { azuremlTarget } from '../../src/targets/azureml-target.js';
import { TargetBusyError } from '../../src/targets/errors.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { useStandins } from '../support/standin-server.js';
import { step } from './drive.js';

// settle-timeout is the most one traffic change may take, from the wait for another change
// holding the endpoint, through `az ml online-endpoint update` and its retries: a watch job's
// lease and max-wait count on it. Time runs on a FakeClock against the stand-in az.

const KEY = 'default/ml-prod/fraud-ws/fraud-endpoint';
const config: AzureMlTargetConfig = {
  type: 'azureml',
  endpoint: 'fraud-endpoint',
  resourceGroup: 'ml-prod',
  workspace: 'fraud-ws',
  deployment: 'fraud-{{version}}',
  timeoutMs: 10_000,
  settleTimeoutMs: 60_000,
  pollIntervalMs: 5_000,
};

const standins = useStandins('az');

describe('azureml target: one settle-timeout for the wait before the update and the update', () => {
  it('gives up 1m after the change began when the endpoint was Updating for 30s and then stays locked', async () => {
    // Another change holds the endpoint for 30 s (six looks); then every update is refused as busy.
    await standins.seed({
      azureml: {
        [KEY]: {
          name: 'fraud-endpoint',
          provisioning_state: 'Updating',
          _updatingShows: 6,
          traffic: { 'fraud-v1': 100 },
          mirror_traffic: {},
          _deployments: ['fraud-v1', 'fraud-v2'],
        },
      },
    });
    await standins.fault({ cli: 'az', op: 'update', kind: 'busy', times: -1 });
    const clock = new FakeClock();
    const t0 = clock.now();
    const err = await reconcile(azuremlTarget(config, 'fraud', clock), step('v1', 'v2', 10)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TargetBusyError);
    expect((err as Error).message).toMatch(
      /^Azure ML endpoint fraud-endpoint \(workspace fraud-ws\) is busy with another change \(ERROR: \(Conflict\) Cannot update endpoint fraud-endpoint because it is in Updating provisioning state\./,
    );
    expect(clock.now() - t0).toBe(60_000);
    // Updates every 5 s from 30 s to the change's deadline, not a settle-timeout after the first.
    const updates = (await standins.calls('az')).filter((c) => c.argv[2] === 'update');
    expect(updates).toHaveLength(7);
  });
});
