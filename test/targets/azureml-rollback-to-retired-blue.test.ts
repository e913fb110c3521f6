import { expect, it } from 'vitest';
import { TargetError } from '../../src/core/errors.js';
import { AZUREML_KEY, azuremlFraudEndpoint, azuremlTargetYaml } from '../support/fraud-endpoints.js';
import { useStandins } from '../support/standin-server.js';
import { HOUR, retireBlueWorld } from './retire-blue-world.js';

// After the rollback-window, blue's deployment is deleted: a rollback to it is refused before any
// update. It used to say a release's words ("before the release") and to ask for "a version the
// platform has", which is only v2, the version being replaced. It says what a rollback needs.
const standins = useStandins('az', azuremlFraudEndpoint);

it('a rollback to blue retired after the window says to deploy it again, then run the rollback again', async () => {
  const w = await retireBlueWorld(azuremlTargetYaml());
  expect(await w.promote(2, 'v1', 'v2')).toEqual(['ready', 'promoted']);
  w.clock.advance(2 * HOUR);
  await w.tick();
  const before = (await standins.calls('az')).length;

  const error = await w.rollback().catch((e: unknown) => e);

  expect(error).toBeInstanceOf(TargetError);
  expect((error as Error).message).toBe(
    'rollback fraud: v2 still serves, nothing changed: v1 is no longer deployed on Azure ML endpoint fraud-endpoint (workspace fraud-ws), or never was (retired after the rollback window?); its traffic lists fraud-v2 100%; nothing is recorded; deploy v1 to the endpoint again with 0% traffic, e.g. `az ml online-deployment create --name fraud-v1 --endpoint-name fraud-endpoint --resource-group ml-prod --workspace-name fraud-ws --file <its YAML>` (without --all-traffic, it takes no traffic), then run this rollback again',
  );
  const calls = (await standins.calls('az')).slice(before).map((c) => c.argv.slice(1, 3).join(' '));
  expect(calls.filter((c) => !c.endsWith(' show'))).toEqual([]);
  expect((await standins.state()).azureml[AZUREML_KEY].traffic).toEqual({ 'fraud-v2': 100 });
});
