import { describe, expect, it } from 'vitest';
import { AZUREML_KEY, azuremlFraudEndpoint, azuremlTargetYaml } from '../support/fraud-endpoints.js';
import { prReleaseWorld } from '../support/pr-release-world.js';
import { useStandins } from '../support/standin-server.js';

// A PR whose candidate has no deployment on the Azure ML endpoint (the deploy step skipped, a typo
// in the version) sent `online-endpoint update --traffic "fraud-v1=90 fraud-v2=10"`, which Azure
// refused (BadRequest: does not exist), then a needless rollback update to production, and was
// reported "the serving platform failed". It is the request's refusal now, before any update: the
// report says v2 was not deployed, with the az command that creates its deployment, and nothing is
// sent to the endpoint. The release as the action runs it (prReleaseWorld), az the stand-in.

// Only fraud-v1 is deployed (100%): the deploy step never created fraud-v2.
const standins = useStandins('az', () => {
  const state = azuremlFraudEndpoint();
  state.azureml[AZUREML_KEY]._deployments = ['fraud-v1'];
  return state;
});

const configOf = (strategy: string) => `version: 1
models:
  fraud:
    source: { file: model.yaml, key: version }
    target: ${azuremlTargetYaml()}
    metrics: { type: file, path: unused.json }
    strategy: ${strategy}
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;

const NOT_DEPLOYED =
  'Deployment fraud-v2 does not exist in endpoint fraud-endpoint (workspace fraud-ws), so version v2 cannot take traffic; its traffic lists fraud-v1 100%. Deploy the version to the endpoint (with 0% traffic) before the release, e.g. `az ml online-deployment create --name fraud-v2 --endpoint-name fraud-endpoint --resource-group ml-prod --workspace-name fraud-ws --file <its YAML>` (without --all-traffic, it takes no traffic)';

describe('an Azure ML candidate that was never deployed on the endpoint', () => {
  it.each([
    [
      'a canary',
      '{ type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }',
      'the switch to 10% of live traffic',
    ],
    ['a shadow', '{ type: shadow, share: 50, duration: 1h }', 'the switch to a mirror of 50% of requests'],
  ])(
    'is reported not deployed in %s, with the az command that deploys it, and no update is sent',
    async (_, strategy, asked) => {
      const { ports, release } = await prReleaseWorld(configOf(strategy));
      const [opened] = await release(7, 'v1', 'v2');
      const failed = await ports.ledger.release('fraud');

      expect(opened).toBe('failed');
      expect(failed?.reason).toBe(
        `v2 was not deployed and got no traffic: the platform refused ${asked}: ${NOT_DEPLOYED}`,
      );
      expect(failed?.ending).toEqual({ firstChangeRefused: 'request' });
      const calls = await standins.calls('az');
      expect(calls.map((c) => c.argv.slice(1, 3).join(' ')).filter((c) => !c.endsWith(' show'))).toEqual([]);
      const endpoint = (await standins.state()).azureml[AZUREML_KEY];
      expect([endpoint.traffic, endpoint.mirror_traffic]).toEqual([{ 'fraud-v1': 100 }, {}]);
      expect(await ports.ledger.history('fraud')).toEqual([]);
    },
  );
});
