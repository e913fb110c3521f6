import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { secretValues } from '../../src/config/secret-values.js';
import type { AzureMlTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { addSecret } from '../../src/core/redact.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { azuremlTarget } from '../../src/targets/azureml-target.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { sha } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { installStandins, type Standins } from '../support/standin-cli.js';
import { type ServedStandin, serveStandin } from '../support/standin-server.js';

// An Azure ML subscription read from a variable named like a secret (AZURE_SUBSCRIPTION_SECRET),
// the PR's job run with staging's, the merge job with production's, each subscription with its own
// fraud-endpoint (a stand-in az). Before, the identity masked the subscription: both jobs' read
// `***`, and the merge job sent production's traffic to v2, never analysed there, recording it
// promoted. The merge job must refuse, leaving production and the record as they were.

const STAGING = 'sub-staging-1111';
const PRODUCTION = 'sub-production-2222';
const endpointIn = (subscription: string) => `${subscription}/ml-prod/fraud-ws/fraud-endpoint`;
const YAML = `version: 1
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    target: { type: azureml, endpoint: fraud-endpoint, resource-group: ml-prod, workspace: fraud-ws, subscription: "\${AZURE_SUBSCRIPTION_SECRET}", deployment: "fraud-{{version}}" }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: { type: canary, steps: [10], step-duration: 1m, min-requests: 100, interval: 30s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;

/** The config as a job whose AZURE_SUBSCRIPTION_SECRET is `subscription` loads it, its secrets registered as a run registers them. */
function configIn(subscription: string) {
  const env = { AZURE_SUBSCRIPTION_SECRET: subscription };
  const loaded = parseConfig(YAML, env);
  for (const value of secretValues(loaded.interpolated, env).values) addSecret(value);
  return loaded.config;
}

let standins: Standins;
let served: ServedStandin | undefined;
let dir: string | undefined;
beforeAll(async () => {
  standins = await installStandins();
  served = await serveStandin('az');
  dir = await mkdtemp(join(tmpdir(), 'platform-field-secret-'));
});
afterAll(async () => {
  await served?.stop();
  await standins?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const endpoint = () => ({
  name: 'fraud-endpoint',
  provisioning_state: 'Succeeded',
  traffic: { 'fraud-v1': 100, 'fraud-v2': 0 },
  mirror_traffic: {},
  _deployments: ['fraud-v1', 'fraud-v2'],
});
const traffic = async (subscription: string) =>
  (await standins.state()).azureml[endpointIn(subscription)].traffic;

describe('a merge job whose secret-named subscription is not the one the PR job analysed on', () => {
  it('refuses to promote, naming the field and neither subscription; production keeps v1, the record stays ready', async () => {
    await standins.seed({
      azureml: { [endpointIn(STAGING)]: endpoint(), [endpointIn(PRODUCTION)]: endpoint() },
    });
    const clock = new FakeClock();
    const ports: Ports = {
      ledger: fileLedger(join(dir ?? '', 'ledger.json')),
      clock,
      reader: memoryFileReader({
        [sha(1)]: { 'fraud.yaml': 'version: v1\n' },
        [sha(2)]: { 'fraud.yaml': 'version: v2\n' },
      }),
      log: { info: () => {}, warn: () => {} },
      targetFor: (m) => azuremlTarget(m.target as AzureMlTargetConfig, m.name, clock),
      metricsFor: () =>
        new ScriptedMetrics({
          stable: { rps: 90, values: { 'error-rate': 0.005 } },
          canary: { rps: 20, values: { 'error-rate': 0.005 } },
        }),
    };
    const opened = { action: 'opened', number: 7, baseSha: sha(1), headSha: sha(2), merged: false };
    const watch = { mode: 'watch' as const, maxWaitMs: 3_600_000, dryRun: false };

    const pr = await handlePullRequest(configIn(STAGING), opened, ports, watch);
    expect(pr.releases.map((r) => [r.to, r.status])).toEqual([['v2', 'ready']]);
    const ready = await ports.ledger.release('fraud');

    const merged = { ...opened, action: 'closed', merged: true };
    const merge = handlePullRequest(configIn(PRODUCTION), merged, ports, watch);
    await expect(merge).rejects.toThrow(
      /fraud: PR #7's candidate v2 was analysed on Azure ML endpoint fraud-endpoint \(workspace fraud-ws\) with subscription sha256:[0-9a-f]+, but this run's config names Azure ML endpoint fraud-endpoint \(workspace fraud-ws\) with subscription sha256:[0-9a-f]+ as its target/,
    );
    await expect(merge).rejects.not.toThrow(/sub-(staging|production)/);
    expect(await traffic(PRODUCTION)).toEqual({ 'fraud-v1': 100, 'fraud-v2': 0 });
    expect(await ports.ledger.release('fraud')).toEqual(ready);
    expect(await ports.ledger.history('fraud')).toEqual([]);
  });
});
