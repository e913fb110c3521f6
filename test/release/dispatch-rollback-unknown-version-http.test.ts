import { afterEach, describe, expect, it } from 'vitest';
import { httpRollbackWorld } from '../support/engine-ports.js';
import { type ServingLayer, startServingLayer } from '../support/standins/http-serving-layer.js';

// `command: rollback` with to-version v9 (it served once, and was rolled back and undeployed since)
// on an http serving layer (docs/http-target.openapi.yaml, on 127.0.0.1) that has v1 and v2 deployed
// and answers the PUT with HTTP 422 "version v9 is not deployed". The http target raised a plain TargetError, so the run said "run the rollback again
// once the platform answers"; the same request gets the same 422, so it now says to name another.

let layer: ServingLayer | undefined;
afterEach(async () => {
  expect(layer?.contractViolations).toEqual([]);
  await layer?.close();
});

describe('a rollback on an http serving layer to a version it has not deployed', () => {
  it('says to set to-version to a version the platform has; v2 still serves', async () => {
    const serving = await startServingLayer({ deployed: ['v1', 'v2'], stable: 'v2' });
    layer = serving;
    // The shared http rollback world: fraud on the layer's http target, v2 promoted from v1 on record.
    const { ledger, rollback } = await httpRollbackWorld(serving.url, {
      settle: 'settle-timeout: 10s, poll-interval: 1s',
      promotion: { at: 0 },
    });
    // v9 served after v2 until a rollback; the layer has undeployed it since.
    await ledger.record({
      model: 'fraud',
      kind: 'promotion',
      version: 'v9',
      previous: 'v2',
      at: 1,
      summary: 'passed',
    });
    const rolledBack = 'rolled back by workflow_dispatch';
    await ledger.record({
      model: 'fraud',
      kind: 'rollback',
      version: 'v2',
      previous: 'v9',
      at: 2,
      summary: rolledBack,
    });

    await expect(rollback('v9')).rejects.toThrow(
      `rollback fraud: v2 still serves, the platform did not take the rollback to v9 (serving layer at ${serving.url} refused PUT /traffic (HTTP 422): version v9 is not deployed); nothing is recorded; the platform refused the rollback to v9 itself, so running it again unchanged gets the same answer: set to-version to a version the platform has (the ledger's recent stable versions: v1)`,
    );
    expect(serving.traffic).toEqual({ stable: { version: 'v2' } });
    expect((await ledger.history('fraud')).map((e) => e.kind)).toEqual([
      'promotion',
      'promotion',
      'rollback',
    ]);
  });
});
