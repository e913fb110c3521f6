import { afterEach, describe, expect, it } from 'vitest';
import { canaryOnTarget, prReleaseWorld } from '../support/pr-release-world.js';
import { type ServingLayer, startServingLayer } from '../support/standins/http-serving-layer.js';

// The http target's guard for the defect Vertex and SageMaker had: a candidate the serving layer
// does not have must be reported not deployed, not rolled back. The service's own 422 to the PUT
// (it changed nothing) is the request's refusal: the report says v2 was not deployed and got no
// traffic in the service's words, and no rollback PUT follows. The release as the action runs it
// (prReleaseWorld), the serving layer written to docs/http-target.openapi.yaml.

let layer: ServingLayer | undefined;
afterEach(async () => {
  await layer?.close();
});

describe('an http candidate that was never deployed on the serving layer', () => {
  it('is reported not deployed, in the service’s words, and no rollback PUT is sent', async () => {
    layer = await startServingLayer({ deployed: ['v1'], stable: 'v1' });
    const { ports, release } = await prReleaseWorld(
      canaryOnTarget(
        `{ type: http, url: "${layer.url}", strategies: [canary], settle-timeout: 2s, poll-interval: 10ms }`,
      ),
    );
    const [opened] = await release(7, 'v1', 'v2');
    const failed = await ports.ledger.release('fraud');

    expect(opened).toBe('failed');
    expect(failed?.reason).toBe(
      `v2 was not deployed and got no traffic: the platform refused the switch to 10% of live traffic: serving layer at ${layer.url} refused PUT /traffic (HTTP 422): version v2 is not deployed`,
    );
    expect(failed?.ending).toEqual({ firstChangeRefused: 'request' });
    expect(layer.requests.filter((r) => r.method === 'PUT').map((r) => r.body)).toEqual([
      { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } },
    ]);
    expect(layer.traffic).toEqual({ stable: { version: 'v1' } });
    expect(await ports.ledger.history('fraud')).toEqual([]);
  });
});
