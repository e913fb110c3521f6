import { expect, it } from 'vitest';
import { TargetError } from '../../src/core/errors.js';
import { useStandins } from '../support/standin-server.js';
import { HOUR, retireBlueWorld } from '../targets/retire-blue-world.js';
import { ENDPOINT_KEY, fraudEndpointState } from '../targets/sagemaker-canary-world.js';
import { variant } from '../targets/sagemaker-variants.js';

// After the rollback-window, blue's variant is removed from the SageMaker endpoint: a rollback to it
// is refused before any update. It used to say a release's words ("deploy the version as a variant
// before the release") and to ask for "a version the platform has", which is only v2, the version
// being replaced. It says what a rollback needs, as on Azure ML and Vertex AI: the rollback command
// as a workflow_dispatch runs it (retireBlueWorld), aws the stand-in.
const standins = useStandins('aws', fraudEndpointState);

const TARGET =
  '{ type: sagemaker, endpoint: fraud-endpoint, region: us-east-1, variant: "fraud-{{version}}", timeout: 10s, settle-timeout: 2s, poll-interval: 10ms }';

it('a rollback to blue retired after the window says to deploy its variant again, then run the rollback again', async () => {
  const w = await retireBlueWorld(TARGET);
  expect(await w.promote(2, 'v1', 'v2')).toEqual(['ready', 'promoted']);
  w.clock.advance(2 * HOUR);
  await w.tick();
  const retired = (await standins.state()).sagemaker[ENDPOINT_KEY];
  expect(retired.ProductionVariants).toEqual([variant('fraud-v2', 100)]);
  const before = (await standins.calls('aws')).length;

  const error = await w.rollback().catch((e: unknown) => e);

  expect(error).toBeInstanceOf(TargetError);
  const aws = (...args: string[]) => `\`aws sagemaker ${args.join(' ')} --region us-east-1\``;
  expect((error as Error).message).toBe(
    `rollback fraud: v2 still serves, nothing changed: v1 is no longer deployed on SageMaker endpoint fraud-endpoint (us-east-1), or never was (retired after the rollback window?); it has fraud-v2; nothing is recorded; deploy v1 to the endpoint again with 0% traffic, e.g. create an endpoint config with its variants as ${aws('describe-endpoint-config', '--endpoint-config-name', retired.EndpointConfigName)} shows them plus fraud-v1 at InitialVariantWeight 0 (${aws('create-endpoint-config', '--endpoint-config-name', 'NEW_CONFIG', "--production-variants '[...]'")}) and deploy it (${aws('update-endpoint', '--endpoint-name', 'fraud-endpoint', '--endpoint-config-name', 'NEW_CONFIG')}), then run this rollback again`,
  );
  const calls = (await standins.calls('aws')).slice(before).map((c) => c.argv[1]);
  expect(calls.filter((op) => !op?.startsWith('describe-'))).toEqual([]);
  expect((await standins.state()).sagemaker[ENDPOINT_KEY]).toEqual(retired);
});
