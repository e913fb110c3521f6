import { describe, expect, it } from 'vitest';
import {
  VERTEX_RESOURCE,
  VERTEX_TARGET,
  vertexDeployed,
  vertexFraudEndpoint,
} from '../support/fraud-endpoints.js';
import { canaryOnTarget, prReleaseWorld } from '../support/pr-release-world.js';
import { useStandins } from '../support/standin-server.js';

// A PR whose candidate was never deployed on the Vertex AI endpoint (the deploy step skipped, a
// typo in the version) was reported "rolled back to v1 without a verdict … push a new commit", and
// a needless `update --traffic-split=1111=100` went to production. The target's refusal was a plain
// error, read as an outage. It is the request's refusal now, before any write: the report says v2
// was not deployed, with the gcloud command that deploys it, and nothing is sent to the endpoint.
// The release as the action runs it (prReleaseWorld), gcloud the stand-in.

// Only fraud-v1 is deployed (ID 1111, 100%): the deploy step never deployed v2.
const standins = useStandins('gcloud', () => {
  const state = vertexFraudEndpoint();
  state.vertex[VERTEX_RESOURCE].deployedModels = [vertexDeployed('1111', 'v1')];
  return state;
});

describe('a Vertex AI candidate that was never deployed on the endpoint', () => {
  it('is reported not deployed, with the command that deploys it, and no update is sent', async () => {
    const { ports, release } = await prReleaseWorld(canaryOnTarget(`${VERTEX_TARGET}`));
    const [opened] = await release(7, 'v1', 'v2');
    const failed = await ports.ledger.release('fraud');

    expect(opened).toBe('failed');
    expect(failed?.reason).toBe(
      'v2 was not deployed and got no traffic: the platform refused the switch to 10% of live traffic: Vertex AI endpoint 4321 (us-central1) has no deployed model named fraud-v2 (version v2); it has fraud-v1. Deploy the version to the endpoint (with 0% traffic) before the release, e.g. `gcloud ai endpoints deploy-model 4321 --region=us-central1 --project=ml-prod --quiet --model=MODEL --display-name=fraud-v2 --traffic-split=0=0,1111=100` with MODEL its model in the Model Registry (and its machine type)',
    );
    expect(failed?.ending).toEqual({ firstChangeRefused: 'request' });
    expect((await standins.calls('gcloud')).filter((c) => c.argv[2] !== 'describe')).toEqual([]);
    expect((await standins.state()).vertex[VERTEX_RESOURCE].trafficSplit).toEqual({ '1111': 100 });
    expect(await ports.ledger.history('fraud')).toEqual([]);
  });
});
