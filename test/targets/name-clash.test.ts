import { describe, expect, it } from 'vitest';
import { useStandins } from '../support/standin-server.js';
import { canaryOnSageMaker, ENDPOINT_KEY, endpointWeights, fraudEndpoint } from './sagemaker-canary-world.js';
import { definition, variant } from './sagemaker-variants.js';

// A platform name is the template with every character the platform does not allow made '-'
// (names.ts): `1.2` and `1+2` both become the SageMaker variant fraud-1-2. A PR moving fraud from
// 1.2 to 1+2 used to send each step to that one variant, fail every read-back ("serves 1.2 100%
// after being asked for 1.2 90% / 1+2 10%") and have the platform refuse the last step, blaming
// it. It is now refused before any change, naming both versions, the template and what to do: the
// candidate was never deployed, and nothing is rolled back.

const standins = useStandins('aws', () => ({
  sagemaker: { [ENDPOINT_KEY]: fraudEndpoint({ ProductionVariants: [variant('fraud-1-2', 1)] }) },
  sagemakerConfigs: {
    'us-east-1/fraud-config-3': {
      EndpointConfigName: 'fraud-config-3',
      EndpointConfigArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/fraud-config-3',
      ProductionVariants: [definition('fraud-1-2', 1)],
      CreationTime: '2026-01-01T00:00:00Z',
    },
  },
}));

describe('a PR whose version gets the stable version’s platform name', () => {
  it('is refused before any traffic moves, naming both versions, the template and what to do', async () => {
    // PR 7 declares fraud 1+2 over 1.2, by a canary of 10%, 50%, 100%; one job runs it.
    const { run } = await canaryOnSageMaker({ from: '1.2', to: '1+2', steps: [10, 50, 100] });
    const release = await run();
    expect([release.status, release.ending]).toEqual(['failed', { firstChangeRefused: 'request' }]);
    expect(release.reason).toContain(
      `versions "1.2" and "1+2" both get the production variant name "fraud-1-2": the name template "fraud-{{version}}" (variant)`,
    );
    expect(release.reason).toContain(
      `model-gate sent nothing for "1+2". Declare a version that differs from "1.2" in its letters or digits, not only in punctuation, or change the name template so that each version gets a name of its own`,
    );
    // model-gate refused it, not the platform: nothing reached it.
    expect(release.reason).toContain('was not deployed and got no traffic: model-gate refused the switch to');
    expect(release.reason).not.toMatch(/after being asked for|sum of the weights/);
    // No weights call, no new endpoint config, no rollback: the stable variant serves as before.
    const changes = (await standins.calls('aws'))
      .map((c) => c.argv[1])
      .filter((op) => op !== 'describe-endpoint');
    expect(changes).toEqual([]);
    expect(await endpointWeights(standins)).toEqual(['InService', 'fraud-1-2 1 1']);
  });
});
