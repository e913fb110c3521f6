import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { TargetRefusedError } from '../../src/targets/errors.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { sagemakerTarget } from '../../src/targets/sagemaker-target.js';
import { openV1ToV2OnRealAdapters } from '../support/pr-release-world.js';
import { useStandins } from '../support/standin-server.js';
import { mirrorOf } from './drive.js';
import { ENDPOINT_KEY, fraudEndpointState } from './sagemaker-canary-world.js';
import { definition, FRAUD_ENDPOINT_CONFIG, variant } from './sagemaker-variants.js';

// A shadow needs a new endpoint config, which moves the candidate's variant out of the production
// variants; SageMaker refuses that update while the variant is registered with Application Auto
// Scaling, and the endpoint stays as it was. The target said so as a plain error: the release read
// it as an outage, reported "🔌 Rolled back … a fault outside the candidate: push a new commit"
// and sent a weights call rolling back a candidate that never got traffic. It is the request's
// refusal now (as are the shadow refusals before any call): v2 was not deployed, the comment names
// the deregister command, and nothing changes on the endpoint. aws is the stand-in.

const SCALABLE_V2 = {
  ServiceNamespace: 'sagemaker',
  ResourceId: 'endpoint/fraud-endpoint/variant/fraud-v2',
  ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
  MinCapacity: 1,
  MaxCapacity: 4,
};

const standins = useStandins('aws', () => ({
  ...fraudEndpointState(),
  scalableTargets: { 'us-east-1': [SCALABLE_V2] },
}));

const config = parseConfig(
  `version: 1
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
    target: { type: sagemaker, endpoint: fraud-endpoint, region: us-east-1, variant: "fraud-{{version}}", timeout: 10s, settle-timeout: 2s, poll-interval: 10ms }
    metrics: { type: file, path: unused.json }
    strategy: { type: shadow, share: 20, duration: 1h, step-duration: 2m, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
  {},
).config;

const DEREGISTER =
  '`aws application-autoscaling deregister-scalable-target --service-namespace sagemaker --scalable-dimension sagemaker:variant:DesiredInstanceCount --resource-id endpoint/fraud-endpoint/variant/fraud-v2 --region us-east-1`';

/** The calls that may change the endpoint (describe and list calls left out). */
const writes = async () =>
  (await standins.calls('aws'))
    .map((c) => c.argv[1] ?? '')
    .filter((op) => !op.startsWith('describe-') && !op.startsWith('list-'));

describe('a SageMaker shadow of a candidate registered with Application Auto Scaling', () => {
  it('is reported not deployed, naming the deregister command, and the endpoint is left as it was', async () => {
    const clock = new FakeClock();
    const result = await openV1ToV2OnRealAdapters(config, {
      model: 'fraud',
      clock,
      dir: await mkdtemp(`${tmpdir()}/sagemaker-shadow-autoscaled-`),
      mode: 'watch',
    });

    expect(result.releases[0]?.status).toBe('failed');
    expect(result.releases[0]?.reason).toBe(
      `v2 was not deployed and got no traffic: the platform refused the switch to a mirror of 20% of requests: SageMaker endpoint fraud-endpoint (us-east-1) keeps the production variant fraud-v2: it is registered with Application Auto Scaling, and SageMaker removes no such variant. Deregister it first (its scaling policies go with it): ${DEREGISTER}`,
    );
    expect(result.releases[0]?.ending).toEqual({ firstChangeRefused: 'request' });
    const comment = renderMarkdown(config, result, { now: clock.now(), prComment: true });
    expect(comment).toContain('## model-gate: ❌ Not deployed: the platform refused the change');
    expect(comment).toContain('### fraud: v1 → v2 (not deployed)');
    expect(comment).not.toMatch(/rolled back|outside the candidate/i);
    // The refused update-endpoint, and no weights call rolling back what never changed.
    expect(await writes()).toEqual(['create-endpoint-config', 'update-endpoint']);
    const endpoint = (await standins.state()).sagemaker[ENDPOINT_KEY];
    expect([
      endpoint.EndpointConfigName,
      endpoint.ProductionVariants,
      endpoint.ShadowProductionVariants ?? [],
    ]).toEqual(['fraud-config-3', [variant('fraud-v1', 1), variant('fraud-v2', 0)], []]);
  });

  it('refuses, as the request, the shadows SageMaker cannot run, before any write', async () => {
    const target = sagemakerTarget(FRAUD_ENDPOINT_CONFIG, 'fraud');
    const refusal = (desired: Parameters<typeof reconcile>[1]) =>
      reconcile(target, desired).catch((err: unknown) => err);

    const itself = await refusal(mirrorOf('v1', 'v1', 10));
    expect(itself).toBeInstanceOf(TargetRefusedError);
    expect((itself as Error).message).toBe(
      'SageMaker cannot shadow v1 with itself: it is the production variant',
    );
    const everyRequest = await refusal(mirrorOf('v1', 'v2', 150));
    expect(everyRequest).toBeInstanceOf(TargetRefusedError);
    expect((everyRequest as Error).message).toBe(
      'SageMaker copies at most 100% of requests to a shadow variant, asked for 150%',
    );
    // A variant no step names that serves (10% to v0 by hand) is never left out of a shadow's config.
    const state = await standins.state();
    state.sagemakerConfigs['us-east-1/fraud-config-3'].ProductionVariants.push(definition('fraud-v0', 0.1));
    state.sagemaker[ENDPOINT_KEY].ProductionVariants.push(variant('fraud-v0', 0.1));
    state.scalableTargets = { 'us-east-1': [] };
    await standins.seed(state);
    const alsoServes = await refusal(mirrorOf('v1', 'v2', 10));
    expect(alsoServes).toBeInstanceOf(TargetRefusedError);
    expect((alsoServes as Error).message).toContain(
      'also sends live traffic to the variant fraud-v0 (weight 0.1)',
    );
    expect(await writes()).toEqual([]);
  });
});
