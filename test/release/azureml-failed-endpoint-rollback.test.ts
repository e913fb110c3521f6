import { describe, expect, it } from 'vitest';
import {
  AZUREML_KEY,
  azuremlFraudEndpoint,
  azuremlTargetYaml,
  azuremlUpdateLeftFailed,
} from '../support/fraud-endpoints.js';
import { useStandins } from '../support/standin-server.js';
import { retireBlueWorld } from '../targets/retire-blue-world.js';

// An Azure ML endpoint left Failed (its last update failed) takes no step onto a candidate, but a
// rollback must still land: blue-green's rollback moves all live traffic back onto blue, which is
// at 0% during the bake and after the promotion. Both used to be refused as a step onto a
// candidate, leaving v2 all live traffic.
const standins = useStandins('az', azuremlFraudEndpoint);
const endpoint = async () => (await standins.state()).azureml[AZUREML_KEY];

describe('a blue-green rollback on an Azure ML endpoint left Failed', () => {
  it('lands when the switch to green failed part-way and left the endpoint Failed', async () => {
    const w = await retireBlueWorld(azuremlTargetYaml());
    await standins.fault(azuremlUpdateLeftFailed);

    expect(await w.promote(2, 'v1', 'v2')).toEqual(['failed', 'failed']);

    expect((await endpoint()).traffic).toEqual({ 'fraud-v1': 100, 'fraud-v2': 0 });
    expect(w.lines.join('\n')).not.toMatch(/may still get live traffic|the rollback to v1 also failed/);
  });

  it('run by workflow_dispatch after the promotion, puts blue kept at 0% back', async () => {
    const w = await retireBlueWorld(azuremlTargetYaml());
    expect(await w.promote(2, 'v1', 'v2')).toEqual(['ready', 'promoted']);
    const state = await standins.state();
    state.azureml[AZUREML_KEY].provisioning_state = 'Failed';
    await standins.seed(state);

    const result = await w.rollback();

    expect(result.rollbacks).toMatchObject([{ kind: 'rollback', previous: 'v2', version: 'v1' }]);
    expect((await endpoint()).traffic).toEqual({ 'fraud-v1': 100, 'fraud-v2': 0 });
  });
});
