import { describe, expect, it } from 'vitest';
import { closedPrWorld } from '../release/closed-pr-world.js';
import { AZUREML_KEY, azuremlFraudEndpoint, azuremlTargetYaml } from '../support/fraud-endpoints.js';
import { useStandins } from '../support/standin-server.js';

// The user's deploy step created the deployment fraud-v2 at 0% for PR #7; closing the PR without
// merge used to withdraw its traffic only, leaving the deployment's instances running (and billed).
// The close now deletes it (`az ml online-deployment delete --yes --no-wait`, then `show` until gone).
const standins = useStandins('az', azuremlFraudEndpoint);

const endpoint = async () => (await standins.state()).azureml[AZUREML_KEY];
const deletes = async () =>
  (await standins.calls('az')).filter((c) => c.argv[1] === 'online-deployment' && c.argv[2] === 'delete');

describe('closing a PR without merge on Azure ML', () => {
  it('deletes the candidate’s deployment once v1 alone serves, and says so; once', async () => {
    const w = await closedPrWorld(azuremlTargetYaml());
    await w.open();
    expect((await endpoint()).traffic).toEqual({ 'fraud-v1': 90, 'fraud-v2': 10 });

    const { report } = await w.close();
    expect(report).toContain(
      'fraud: v2 withdrawn; its deployment fraud-v2 is removed from Azure ML endpoint fraud-endpoint (workspace fraud-ws)',
    );
    const after = await endpoint();
    expect(after._deployments).toEqual(['fraud-v1']);
    expect(after.traffic).toEqual({ 'fraud-v1': 100 });

    await w.close();
    expect(await deletes()).toHaveLength(1);
  });

  it('a delete that fails names the deployment left and the command that deletes it', async () => {
    const w = await closedPrWorld(azuremlTargetYaml());
    await w.open();
    await standins.fault({ cli: 'az', op: 'online-deployment delete', kind: 'fail', times: -1 });
    const { result, report } = await w.close();
    expect(result.releases.map((r) => r.status)).toEqual(['aborted']);
    expect((await endpoint())._deployments).toEqual(['fraud-v1', 'fraud-v2']);
    expect(report.find((l) => l.startsWith('fraud: v2 withdrawn, but'))).toMatch(
      /^fraud: v2 withdrawn, but its deployment fraud-v2 is left on Azure ML endpoint fraud-endpoint \(workspace fraud-ws\), where it still runs \(and bills\) without traffic: removing it failed: .+; re-run this job to try again, or remove it by hand: `az ml online-deployment delete --name fraud-v2 --endpoint-name fraud-endpoint --resource-group ml-prod --workspace-name fraud-ws --yes`$/,
    );
  });
});
