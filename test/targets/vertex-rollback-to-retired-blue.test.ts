import { expect, it } from 'vitest';
import { TargetError } from '../../src/core/errors.js';
import { VERTEX_TARGET, vertexFraudEndpoint } from '../support/fraud-endpoints.js';
import { useStandins } from '../support/standin-server.js';
import { HOUR, retireBlueWorld } from './retire-blue-world.js';

// After the rollback-window, blue's deployed model is undeployed: a rollback to it is refused before
// any update. It used to say a release's words ("before the release") and to ask for "a version the
// platform has", which is only v2, the version being replaced. It says what a rollback needs.
const standins = useStandins('gcloud', vertexFraudEndpoint);

it('a rollback to blue retired after the window says to deploy it again, then run the rollback again', async () => {
  const w = await retireBlueWorld(VERTEX_TARGET);
  expect(await w.promote(2, 'v1', 'v2')).toEqual(['ready', 'promoted']);
  w.clock.advance(2 * HOUR);
  await w.tick();
  const before = (await standins.calls('gcloud')).length;

  const error = await w.rollback().catch((e: unknown) => e);

  expect(error).toBeInstanceOf(TargetError);
  expect((error as Error).message).toBe(
    'rollback fraud: v2 still serves, nothing changed: v1 is no longer deployed on Vertex AI endpoint 4321 (us-central1), or never was (retired after the rollback window?); it has fraud-v2; nothing is recorded; deploy v1 to the endpoint again with 0% traffic, e.g. `gcloud ai endpoints deploy-model 4321 --region=us-central1 --project=ml-prod --quiet --model=MODEL --display-name=fraud-v1 --traffic-split=0=0,2222=100` with MODEL its model in the Model Registry (and its machine type), then run this rollback again',
  );
  const calls = (await standins.calls('gcloud')).slice(before).map((c) => c.argv.slice(1, 3).join(' '));
  expect(calls.filter((c) => c !== 'endpoints describe')).toEqual([]);
});
