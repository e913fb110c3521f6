import { describe, expect, it } from 'vitest';
import { closedPrWorld } from '../release/closed-pr-world.js';
import {
  VERTEX_RESOURCE,
  VERTEX_TARGET,
  vertexDeployed,
  vertexFraudEndpoint,
} from '../support/fraud-endpoints.js';
import { useStandins } from '../support/standin-server.js';

// The user's deploy step deployed fraud-v2 (ID 2222) at 0% for PR #7; closing the PR without merge
// used to withdraw its traffic only, leaving the deployed model's nodes running (and billed). The
// close now undeploys it (`gcloud ai endpoints undeploy-model --deployed-model-id`).
const standins = useStandins('gcloud', vertexFraudEndpoint);

const endpoint = async () => (await standins.state()).vertex[VERTEX_RESOURCE];
const models = async () =>
  (await endpoint()).deployedModels.map((m: { displayName: string }) => m.displayName);

describe('closing a PR without merge on Vertex AI', () => {
  it('undeploys the candidate once v1 alone serves, and says so', async () => {
    const w = await closedPrWorld(VERTEX_TARGET);
    await w.open();
    expect((await endpoint()).trafficSplit).toEqual({ '1111': 90, '2222': 10 });

    const { report } = await w.close();
    expect(report).toContain(
      'fraud: v2 withdrawn; its deployed model fraud-v2 with ID 2222 is removed from Vertex AI endpoint 4321 (us-central1)',
    );
    expect(await models()).toEqual(['fraud-v1']);
    expect((await endpoint()).trafficSplit).toEqual({ '1111': 100 });
  });

  // A re-run job's deploy step deployed fraud-v2 again (ID 3333, 0%): the close refused it as
  // ambiguous, and both deployed models kept running (and billing).
  it('undeploys every deployed model of the candidate when it was deployed twice', async () => {
    const w = await closedPrWorld(VERTEX_TARGET);
    await w.open();
    const state = await standins.state();
    state.vertex[VERTEX_RESOURCE].deployedModels.push(vertexDeployed('3333', 'v2'));
    await standins.seed(state);

    const { report } = await w.close();
    expect(report).toContain(
      'fraud: v2 withdrawn; its deployed model fraud-v2 with IDs 2222, 3333 is removed from Vertex AI endpoint 4321 (us-central1)',
    );
    expect(await models()).toEqual(['fraud-v1']);
    const undeployed = (await standins.calls('gcloud'))
      .filter((c) => c.argv[2] === 'undeploy-model')
      .map((c) => c.argv.find((a) => a.startsWith('--deployed-model-id=')));
    expect(undeployed).toEqual(['--deployed-model-id=2222', '--deployed-model-id=3333']);
    expect((await endpoint()).trafficSplit).toEqual({ '1111': 100 });
  });

  it('an undeploy that fails names the deployed model left and the command that undeploys it', async () => {
    const w = await closedPrWorld(VERTEX_TARGET);
    await w.open();
    await standins.fault({ cli: 'gcloud', op: 'undeploy-model', kind: 'fail', times: -1 });
    const { result, report } = await w.close();
    expect(result.releases.map((r) => r.status)).toEqual(['aborted']);
    expect(await models()).toEqual(['fraud-v1', 'fraud-v2']);
    expect(report.find((l) => l.startsWith('fraud: v2 withdrawn, but'))).toMatch(
      /^fraud: v2 withdrawn, but its deployed model fraud-v2 with ID 2222 is left on Vertex AI endpoint 4321 \(us-central1\), where it still runs \(and bills\) without traffic: removing it failed: .+; re-run this job to try again, or remove it by hand: `gcloud ai endpoints undeploy-model 4321 --region=us-central1 --project=ml-prod --deployed-model-id=2222`$/,
    );
  });

  // A version deployed twice is described `with IDs 2222, 3333`: the command shown used to carry a
  // placeholder (`--deployed-model-id=ID`) for the user to look up.
  it('an undeploy that fails for a version deployed twice names the command for each deployed model', async () => {
    const w = await closedPrWorld(VERTEX_TARGET);
    await w.open();
    const state = await standins.state();
    state.vertex[VERTEX_RESOURCE].deployedModels.push(vertexDeployed('3333', 'v2'));
    await standins.seed(state);
    await standins.fault({ cli: 'gcloud', op: 'undeploy-model', kind: 'fail', times: -1 });
    const { result, report } = await w.close();
    expect(result.releases.map((r) => r.status)).toEqual(['aborted']);
    expect(await models()).toEqual(['fraud-v1', 'fraud-v2', 'fraud-v2']);
    const undeploy = 'gcloud ai endpoints undeploy-model 4321 --region=us-central1 --project=ml-prod';
    const said = report.find((l) => l.startsWith('fraud: v2 withdrawn, but')) ?? '';
    expect(said).toContain(
      'its deployed model fraud-v2 with IDs 2222, 3333 is left on Vertex AI endpoint 4321',
    );
    expect(said.slice(said.indexOf('remove it by hand: '))).toBe(
      `remove it by hand: \`${undeploy} --deployed-model-id=2222\` and \`${undeploy} --deployed-model-id=3333\``,
    );
  });
});
