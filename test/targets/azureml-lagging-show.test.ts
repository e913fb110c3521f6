import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { AZUREML_KEY, azuremlFraudEndpoint } from '../support/fraud-endpoints.js';
import { fraudCanaryOn } from '../support/model-config.js';
import { useStandins } from '../support/standin-server.js';
import { mirrorOf, step } from './drive.js';
import { atCanaryStep, azuremlReadBack, confirmedRollBack, readsMade } from './read-back-world.js';

// `az ml online-endpoint update` waits for Azure's update to finish, yet the `show` right after it
// may still report the traffic from before (Microsoft's azd reads again for this:
// Azure/azure-dev#3881, 3 reads 10 s apart). A read-back that took one such show as final failed a
// good step as a silent revert (the release failed, its candidate never judged) and reported a
// rollback as not done. It reads again every poll-interval until the endpoint shows what was sent,
// up to the change's settle-timeout. Time runs on a FakeClock; az is the stand-in.

const standins = useStandins('az', azuremlFraudEndpoint);

const azureml = azuremlReadBack(standins);

/** The next update is applied, but its next `shows` shows (-1: all) report the traffic from before it. */
const lagNextUpdate = (shows: number) =>
  standins.fault({ cli: 'az', op: 'update', kind: 'lagging-show', times: 1, shows });

const served = async () => (await standins.state()).azureml[AZUREML_KEY];

/** fraud's Azure ML target (settle-timeout 10m, poll-interval 10s) on a FakeClock. */
function lagging() {
  const clock = new FakeClock();
  return { clock, target: azureml.make(fraudCanaryOn(azureml.target).model, clock) };
}

describe('Azure ML: a show that still reports the traffic from before the update', () => {
  it('is read again: the canary step succeeds once Azure shows it, 20s later', async () => {
    const { clock, target } = lagging();
    await lagNextUpdate(2);
    const began = clock.now();
    await expect(reconcile(target, step('v1', 'v2', 10))).resolves.toEqual(step('v1', 'v2', 10));
    expect(clock.now() - began).toBe(20_000);
    expect(await readsMade(azureml)).toBe(4); // one before the update, three after it
  });

  it('is read again for a mirror: the shadow phase succeeds once Azure shows it', async () => {
    const { target } = lagging();
    await lagNextUpdate(1);
    await expect(reconcile(target, mirrorOf('v1', 'v2', 10))).resolves.toEqual(mirrorOf('v1', 'v2', 10));
    expect(await served()).toMatchObject({ mirror_traffic: { 'fraud-v2': 10 } });
  });

  it('is read again for a rollback, which is confirmed once Azure shows it', async () => {
    const clock = new FakeClock();
    const { model, target } = await atCanaryStep(azureml, clock);
    await lagNextUpdate(3);
    const { err, tookMs } = await confirmedRollBack(target, model, clock);
    expect(err).toBeUndefined();
    expect(tookMs).toBe(30_000);
    expect(await served()).toMatchObject({ traffic: { 'fraud-v1': 100, 'fraud-v2': 0 } });
  });

  it('that never catches up: fails at the settle-timeout, saying how often and how long it read', async () => {
    const { clock, target } = lagging();
    await lagNextUpdate(-1);
    const began = clock.now();
    const err = await reconcile(target, step('v1', 'v2', 10)).catch((e: unknown) => e);
    expect(err).toEqual(
      new TargetError(
        "Azure ML endpoint fraud-endpoint (workspace fraud-ws) serves v1 100% after being asked for v1 90% / v2 10% (read back 61 times over 10m after the update); if Azure is only slow to show its updates, raise the target's settle-timeout (10m, for the whole traffic change)",
      ),
    );
    expect(clock.now() - began).toBe(600_000);
    expect(await readsMade(azureml)).toBe(62);
  });
});
