import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { HttpTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { handleCommand } from '../../src/release/commands.js';
import { httpTarget } from '../../src/targets/http-target.js';
import { enginePorts } from '../support/engine-ports.js';
import { type ServingLayer, startServingLayer } from '../support/standins/http-serving-layer.js';

// `command: rollback` with to-version v9 on an http serving layer (docs/http-target.openapi.yaml, on
// 127.0.0.1) that has v1 and v2 deployed and answers the PUT with HTTP 422 "version v9 is not
// deployed". The http target raised a plain TargetError, so the run said "run the rollback again
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
    const { config } = parseConfig(
      `version: 1
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    target: { type: http, url: "${serving.url}", strategies: [canary], settle-timeout: 10s, poll-interval: 1s }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: { type: canary, steps: [10, 50] }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
      {},
    );
    const clock = new FakeClock();
    const ledger = fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-unknown-http-')), 'ledger.json'));
    await ledger.record({
      model: 'fraud',
      kind: 'promotion',
      version: 'v2',
      previous: 'v1',
      at: 0,
      summary: 'passed',
    });
    const model = config.models.fraud;
    if (!model) throw new Error('no fraud model');
    const target = httpTarget(model.target as HttpTargetConfig, model, clock);
    const ports = enginePorts({ ledger, files: {}, clock, target });

    const rollback = handleCommand(
      config,
      'rollback',
      { model: 'fraud', toVersion: 'v9', dryRun: false, trigger: 'workflow_dispatch' },
      ports,
    );
    await expect(rollback).rejects.toThrow(
      `rollback fraud: v2 still serves, the platform did not take the rollback to v9 (serving layer at ${serving.url} refused PUT /traffic (HTTP 422): version v9 is not deployed); nothing is recorded; the platform refused the rollback to v9 itself, so running it again unchanged gets the same answer: set to-version to a version the platform has (the ledger's recent stable versions: v1)`,
    );
    expect(serving.traffic).toEqual({ stable: { version: 'v2' } });
    expect((await ledger.history('fraud')).map((e) => e.kind)).toEqual(['promotion']);
  });
});
