import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  FRAUD_ENDPOINT_KEY,
  FRAUD_ENDPOINT_TARGET,
  fraudEndpointState,
  fraudEndpointWeights,
  withAutoscaledVariant,
} from '../support/sagemaker-fraud-endpoint.js';
import { useStandins } from '../support/standin-server.js';
import { HOUR, retireBlueWorld } from './retire-blue-world.js';
import { definition } from './sagemaker-variants.js';

// Blue-green on SageMaker keeps blue (v1) as a production variant at weight 0 through its
// rollback-window. Such a variant still runs (and bills) its instances, and a later run reads it
// as absent, so the tick after the window used to say nothing and leave it there for good. It
// now takes the variant off the endpoint, the only way SageMaker has: a copy of the endpoint
// config without it, deployed with update-endpoint.
// v1 serves; v2 was added for the release; v0, an older version, stays at weight 0 (not blue).
const standins = useStandins('aws', () =>
  fraudEndpointState({ 'fraud-v0': 0, 'fraud-v1': 1, 'fraud-v2': 0 }, 'fraud-config-3', {
    KmsKeyId: 'alias/fraud',
  }),
);

const endpoint = async () => (await standins.state()).sagemaker[FRAUD_ENDPOINT_KEY];
const weights = async () => fraudEndpointWeights(await standins.state());
const updates = async () => (await standins.calls('aws')).filter((c) => c.argv[1] === 'update-endpoint');

describe('retiring blue on a SageMaker endpoint', () => {
  it('keeps blue’s variant through the window, then deploys a config without it; said once', async () => {
    const w = await retireBlueWorld(FRAUD_ENDPOINT_TARGET);
    expect(await w.promote(2, 'v1', 'v2')).toEqual(['ready', 'promoted']);

    w.clock.advance(30 * 60_000);
    await w.tick();
    expect(w.lines).toContain(
      'fraud: blue v1 (production variant fraud-v1) kept for a rollback for another 30m (rollback-window 1h)',
    );
    expect(await weights()).toEqual(['fraud-v0=0', 'fraud-v1=0', 'fraud-v2=100']);

    w.clock.advance(HOUR);
    w.lines.length = 0;
    await w.tick(true);
    expect(w.lines).toContain(
      'would retire blue v1 (rollback-window 1h over): v2 alone deployed; the production variant fraud-v1 would be removed from SageMaker endpoint fraud-endpoint (us-east-1)',
    );
    expect(await updates()).toEqual([]);

    await w.tick();
    expect(w.lines).toContain(
      'blue v1 retired (rollback-window 1h over): the production variant fraud-v1 is removed from SageMaker endpoint fraud-endpoint (us-east-1), v2 alone is deployed; a rollback to v1 needs it deployed there again first',
    );
    expect(await weights()).toEqual(['fraud-v0=0', 'fraud-v2=100']);
    // The config deployed is the user's, less blue: the other variants' definitions and settings kept.
    const deployed = (await endpoint()).EndpointConfigName;
    const config = (await standins.state()).sagemakerConfigs[`us-east-1/${deployed}`];
    expect(config.ProductionVariants).toEqual([definition('fraud-v0', 0), definition('fraud-v2', 100)]);
    expect(config.KmsKeyId).toBe('alias/fraud');

    // Nothing left to retire: nothing said or deployed again.
    w.lines.length = 0;
    w.clock.advance(HOUR);
    await w.tick();
    expect(w.lines).toEqual([]);
    expect(await updates()).toHaveLength(1);
  });

  it('a rollback after the window names the variant to deploy again', async () => {
    const w = await retireBlueWorld(FRAUD_ENDPOINT_TARGET);
    await w.promote(2, 'v1', 'v2');
    w.clock.advance(2 * HOUR);
    await w.tick();
    // The whole refusal: rollback-not-deployed-sagemaker.test.ts.
    await expect(w.rollback()).rejects.toThrow(
      'rollback fraud: v2 still serves, nothing changed: v1 is no longer deployed on SageMaker endpoint fraud-endpoint (us-east-1), or never was (retired after the rollback window?); it has fraud-v0, fraud-v2; nothing is recorded; deploy v1 to the endpoint again with 0% traffic, e.g. create an endpoint config with its variants as',
    );
    expect(await weights()).toEqual(['fraud-v0=0', 'fraud-v2=100']);
  });

  // The rollback's update holds the endpoint when the tick's update-endpoint arrives; the tick used
  // to wait it out and then deploy the config it had built, without blue (sagemaker-remove-idle.test.ts).
  it('gives up for this tick when another change holds the endpoint; the rollback then finds blue', async () => {
    const w = await retireBlueWorld(FRAUD_ENDPOINT_TARGET);
    await w.promote(2, 'v1', 'v2');
    w.clock.advance(2 * HOUR);
    await standins.fault({ cli: 'aws', op: 'update-endpoint', kind: 'busy', times: 1 });
    w.lines.length = 0;
    await w.tick();
    expect(w.lines).toContainEqual(
      expect.stringMatching(
        /^retiring blue v1 failed: SageMaker endpoint fraud-endpoint \(us-east-1\) is busy with another change \(.*\): the production variant fraud-v1 is not removed this time, so as not to undo that change; the next schedule tick tries again$/,
      ),
    );
    await w.rollback();
    expect(await weights()).toEqual(['fraud-v0=0', 'fraud-v1=100', 'fraud-v2=0']);
  });

  // AWS: UpdateEndpoint fails when it would remove a variant registered with Application Auto
  // Scaling; the variant must be deregistered first.
  it('names the deregister command for an autoscaled blue; once run, the next tick retires blue', async () => {
    await standins.seed(withAutoscaledVariant(await standins.state(), 'fraud-v1'));
    const w = await retireBlueWorld(FRAUD_ENDPOINT_TARGET);
    await w.promote(2, 'v1', 'v2');
    w.clock.advance(2 * HOUR);
    w.lines.length = 0;
    await w.tick();
    const command =
      'aws application-autoscaling deregister-scalable-target --service-namespace sagemaker --scalable-dimension sagemaker:variant:DesiredInstanceCount --resource-id endpoint/fraud-endpoint/variant/fraud-v1 --region us-east-1';
    expect(w.lines).toContain(
      `retiring blue v1 failed: SageMaker endpoint fraud-endpoint (us-east-1) keeps the production variant fraud-v1: it is registered with Application Auto Scaling, and SageMaker removes no such variant. Deregister it first (its scaling policies go with it): \`${command}\`; the next schedule tick tries again`,
    );
    expect(await weights()).toEqual(['fraud-v0=0', 'fraud-v1=0', 'fraud-v2=100']);

    // The user runs the command given, as it is given.
    await promisify(execFile)(command.split(' ')[0] ?? '', command.split(' ').slice(1));
    w.lines.length = 0;
    await w.tick();
    expect(w.lines).toContainEqual(expect.stringMatching(/^blue v1 retired \(rollback-window 1h over\)/));
    expect(await weights()).toEqual(['fraud-v0=0', 'fraud-v2=100']);
  });
});
