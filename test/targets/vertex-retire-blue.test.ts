import { describe, expect, it } from 'vitest';
import { VERTEX_RESOURCE, VERTEX_TARGET, vertexFraudEndpoint } from '../support/fraud-endpoints.js';
import { useStandins } from '../support/standin-server.js';
import { HOUR, retireBlueWorld } from './retire-blue-world.js';

// Blue-green on Vertex AI keeps blue (v1) as a deployed model with 0% of the split through its
// rollback-window. A deployed model keeps its nodes (and their bill) at 0%, and a later run reads
// it as absent, so the tick after the window used to say nothing and leave it there for good. It
// now undeploys it (`gcloud ai endpoints undeploy-model --deployed-model-id`).
const standins = useStandins('gcloud', vertexFraudEndpoint);

const endpoint = async () => (await standins.state()).vertex[VERTEX_RESOURCE];
const models = async () =>
  (await endpoint()).deployedModels.map((m: { displayName: string }) => m.displayName);
const undeploys = async () => (await standins.calls('gcloud')).filter((c) => c.argv[2] === 'undeploy-model');

describe('retiring blue on a Vertex AI endpoint', () => {
  it('keeps blue deployed through the window, then undeploys it; said once', async () => {
    const w = await retireBlueWorld(VERTEX_TARGET);
    expect(await w.promote(2, 'v1', 'v2')).toEqual(['ready', 'promoted']);

    w.clock.advance(30 * 60_000);
    await w.tick();
    expect(w.lines).toContain(
      'fraud: blue v1 (deployed model fraud-v1 with ID 1111) kept for a rollback for another 30m (rollback-window 1h)',
    );
    expect(await models()).toEqual(['fraud-v1', 'fraud-v2']);

    w.clock.advance(HOUR);
    w.lines.length = 0;
    await w.tick();
    expect(w.lines).toContain(
      'blue v1 retired (rollback-window 1h over): the deployed model fraud-v1 with ID 1111 is removed from Vertex AI endpoint 4321 (us-central1), v2 alone is deployed; a rollback to v1 needs it deployed there again first',
    );
    expect((await undeploys()).map((c) => c.argv.slice(3))).toEqual([
      [
        '4321',
        '--region=us-central1',
        '--project=ml-prod',
        '--format=json',
        '--quiet',
        '--deployed-model-id=1111',
      ],
    ]);
    expect(await models()).toEqual(['fraud-v2']);
    expect((await endpoint()).trafficSplit).toEqual({ '2222': 100 });

    w.lines.length = 0;
    w.clock.advance(HOUR);
    await w.tick();
    expect(w.lines).toEqual([]);
    expect(await undeploys()).toHaveLength(1);
  });
});
