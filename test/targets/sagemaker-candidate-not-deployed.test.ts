import { describe, expect, it } from 'vitest';
import { prReleaseWorld } from '../support/pr-release-world.js';
import { useStandins } from '../support/standin-server.js';
import { ENDPOINT_KEY, fraudEndpoint } from './sagemaker-canary-world.js';
import { definition, variant } from './sagemaker-variants.js';

// A PR whose candidate has no variant on the SageMaker endpoint (the deploy step skipped, a typo in
// the version) was reported "the serving platform failed", and a needless weights call withdrawing
// v2 went to production: the target's refusal was a plain error, read as an outage. It is the
// request's refusal now, before any write: the report says v2 was not deployed, with the aws calls
// that add its variant, and nothing is sent to the endpoint. The release as the action runs it
// (prReleaseWorld), aws the stand-in.

// Only fraud-v1 is on the endpoint (weight 1, config fraud-config-3): v2 was never deployed.
const standins = useStandins('aws', () => ({
  sagemaker: { [ENDPOINT_KEY]: fraudEndpoint({ ProductionVariants: [variant('fraud-v1', 1)] }) },
  sagemakerConfigs: {
    'us-east-1/fraud-config-3': {
      EndpointConfigName: 'fraud-config-3',
      EndpointConfigArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/fraud-config-3',
      ProductionVariants: [definition('fraud-v1', 1)],
      CreationTime: '2026-01-01T00:00:00Z',
    },
  },
}));

const configOf = (strategy: string) => `version: 1
models:
  fraud:
    source: { file: model.yaml, key: version }
    target: { type: sagemaker, endpoint: fraud-endpoint, region: us-east-1, variant: "fraud-{{version}}", timeout: 10s, settle-timeout: 300ms, poll-interval: 10ms }
    metrics: { type: file, path: unused.json }
    strategy: ${strategy}
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;

/** The refusal; `kind` 'production ' where v2 was asked for live traffic, '' for a shadow. */
const notDeployed = (kind: string) =>
  `SageMaker endpoint fraud-endpoint (us-east-1) has no ${kind}variant fraud-v2 (version v2); it has fraud-v1. Deploy the version to the endpoint (with 0% traffic) before the release, e.g. create an endpoint config with its variants as \`aws sagemaker describe-endpoint-config --endpoint-config-name fraud-config-3 --region us-east-1\` shows them plus fraud-v2 at InitialVariantWeight 0 (\`aws sagemaker create-endpoint-config --endpoint-config-name NEW_CONFIG --production-variants '[...]' --region us-east-1\`) and deploy it (\`aws sagemaker update-endpoint --endpoint-name fraud-endpoint --endpoint-config-name NEW_CONFIG --region us-east-1\`)`;

describe('a SageMaker candidate that was never deployed on the endpoint', () => {
  it.each([
    [
      'a canary',
      '{ type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }',
      'the switch to 10% of live traffic',
      'production ',
    ],
    [
      'a shadow',
      '{ type: shadow, share: 50, duration: 1h }',
      'the switch to a mirror of 50% of requests',
      '',
    ],
  ])(
    'is reported not deployed in %s, with the aws calls that deploy it, and nothing is written',
    async (_, strategy, asked, kind) => {
      const { ports, release } = await prReleaseWorld(configOf(strategy));
      const [opened] = await release(7, 'v1', 'v2');
      const failed = await ports.ledger.release('fraud');

      expect(opened).toBe('failed');
      expect(failed?.reason).toBe(
        `v2 was not deployed and got no traffic: the platform refused ${asked}: ${notDeployed(kind)}`,
      );
      expect(failed?.ending).toEqual({ firstChangeRefused: 'request' });
      const calls = await standins.calls('aws');
      expect(calls.map((c) => c.argv[1]).filter((op) => !op?.startsWith('describe-'))).toEqual([]);
      const endpoint = (await standins.state()).sagemaker[ENDPOINT_KEY];
      expect([endpoint.EndpointConfigName, endpoint.ProductionVariants]).toEqual([
        'fraud-config-3',
        [variant('fraud-v1', 1)],
      ]);
      expect(await ports.ledger.history('fraud')).toEqual([]);
    },
  );
});
