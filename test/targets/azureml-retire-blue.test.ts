import { describe, expect, it } from 'vitest';
import { AZUREML_KEY, azuremlFraudEndpoint, azuremlTargetYaml } from '../support/fraud-endpoints.js';
import { useStandins } from '../support/standin-server.js';
import { HOUR, retireBlueWorld } from './retire-blue-world.js';

// Blue-green on Azure ML keeps blue (v1) as a deployment at 0% through its rollback-window. Such a
// deployment keeps its instances (and their bill), and a later run reads it as absent, so the tick
// after the window used to say nothing and leave it there for good. It now deletes it, as
// Microsoft's safe-rollout guide ends: `az ml online-deployment delete --yes --no-wait`, then
// `show` until the deployment is gone.
const standins = useStandins('az', () => ({ ...azuremlFraudEndpoint(), azDeletingShows: 2 }));

const endpoint = async () => (await standins.state()).azureml[AZUREML_KEY];
const deletes = async () =>
  (await standins.calls('az')).filter((c) => c.argv[1] === 'online-deployment' && c.argv[2] === 'delete');

describe('retiring blue on an Azure ML endpoint', () => {
  it('keeps blue’s deployment through the window, then deletes it and waits until it is gone', async () => {
    const w = await retireBlueWorld(azuremlTargetYaml());
    expect(await w.promote(2, 'v1', 'v2')).toEqual(['ready', 'promoted']);

    w.clock.advance(30 * 60_000);
    await w.tick();
    expect(w.lines).toContain(
      'fraud: blue v1 (deployment fraud-v1) kept for a rollback for another 30m (rollback-window 1h)',
    );
    expect((await endpoint())._deployments).toEqual(['fraud-v1', 'fraud-v2']);

    w.clock.advance(HOUR);
    w.lines.length = 0;
    await w.tick();
    expect(w.lines).toContain(
      'blue v1 retired (rollback-window 1h over): the deployment fraud-v1 is removed from Azure ML endpoint fraud-endpoint (workspace fraud-ws), v2 alone is deployed; a rollback to v1 needs it deployed there again first',
    );
    expect((await deletes()).map((c) => c.argv.slice(3))).toEqual([
      [
        '--name',
        'fraud-v1',
        '--endpoint-name',
        'fraud-endpoint',
        '--resource-group',
        'ml-prod',
        '--workspace-name',
        'fraud-ws',
        '--output',
        'json',
        '--yes',
        '--no-wait',
      ],
    ]);
    // --no-wait: `show` reports it Deleting twice (azDeletingShows), then no longer finds it.
    const calls = (await standins.calls('az')).map((c) => c.argv.slice(1, 3).join(' '));
    const afterDelete = calls.slice(calls.indexOf('online-deployment delete') + 1);
    expect(afterDelete.filter((c) => c === 'online-deployment show')).toHaveLength(3);
    const after = await endpoint();
    expect(after._deployments).toEqual(['fraud-v2']);
    expect(after.traffic).toEqual({ 'fraud-v2': 100 });

    w.lines.length = 0;
    w.clock.advance(HOUR);
    await w.tick();
    expect(w.lines).toEqual([]);
    expect(await deletes()).toHaveLength(1);
  });

  it('a delete still under way at the settle-timeout is said as not done, not as blue retired', async () => {
    const w = await retireBlueWorld(azuremlTargetYaml());
    await w.promote(2, 'v1', 'v2');
    // `show` reports it Deleting far past the 2 s settle-timeout: the look after it must not read
    // a deployment being deleted as gone.
    await standins.seed({ ...(await standins.state()), azDeletingShows: 100_000 });
    w.clock.advance(2 * HOUR);
    await w.tick();
    expect(w.lines.at(-1)).toMatch(
      /^retiring blue v1 failed: .*fraud-v1 is still Deleting.*; the next schedule tick tries again$/,
    );
    expect(w.lines.join('\n')).not.toContain('retired');
  });

  it('a refused delete is said, blue stays, and the next tick deletes it', async () => {
    const w = await retireBlueWorld(azuremlTargetYaml());
    await w.promote(2, 'v1', 'v2');
    await standins.fault({
      cli: 'az',
      op: 'online-deployment delete',
      kind: 'fail',
      times: 1,
      message:
        "(AuthorizationFailed) The client 'deploy' does not have authorization to perform action 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/delete'.",
    });
    w.clock.advance(2 * HOUR);
    await w.tick();
    expect(w.lines.at(-1)).toMatch(
      /^retiring blue v1 failed: `az ml online-deployment delete --name fraud-v1 .*` failed \(exit 1\) on Azure ML endpoint fraud-endpoint \(workspace fraud-ws\): ERROR: \(AuthorizationFailed\) .*; the next schedule tick tries again$/,
    );
    expect((await endpoint())._deployments).toEqual(['fraud-v1', 'fraud-v2']);

    w.clock.advance(15 * 60_000);
    await w.tick();
    expect(w.lines.at(-1)).toMatch(
      /^blue v1 retired \(rollback-window 1h over\): the deployment fraud-v1 is removed/,
    );
    expect((await endpoint())._deployments).toEqual(['fraud-v2']);
  });

  it('a blue deployment left Failed is said so while kept, and deleted after the window', async () => {
    const w = await retireBlueWorld(azuremlTargetYaml());
    await w.promote(2, 'v1', 'v2');
    const state = await standins.state();
    state.azureml[AZUREML_KEY]._deploymentStates = { 'fraud-v1': 'Failed' };
    await standins.seed(state);
    w.clock.advance(30 * 60_000);
    await w.tick();
    expect(w.lines).toContain(
      'fraud: blue v1 (Failed deployment fraud-v1) kept for a rollback for another 30m (rollback-window 1h)',
    );
    w.clock.advance(HOUR);
    await w.tick();
    expect(w.lines.at(-1)).toMatch(
      /^blue v1 retired \(rollback-window 1h over\): the Failed deployment fraud-v1 is removed/,
    );
    expect((await endpoint())._deployments).toEqual(['fraud-v2']);
  });
});
