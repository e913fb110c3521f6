import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { withdrawStopped } from '../../src/cli/run-stop.js';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { requestJson } from '../../src/core/http-json.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { targetFor } from '../../src/release/adapters.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { azuremlFraudEndpoint, azuremlTargetYaml } from '../support/fraud-endpoints.js';
import { sha } from '../support/model-config.js';
import { passingErrorRate } from '../support/scripted-metrics.js';
import { useStandins } from '../support/standin-server.js';

// `model-gate run close` stopped by a signal with two models' candidates live: fraud on Azure ML
// (whose deployment it then deletes, minutes on a real endpoint) and fraud-detector on the sandbox.
// It withdrew fraud, deleted fraud's deployment, and only then withdrew fraud-detector, which kept
// 10% of live traffic meanwhile (a second signal would stop the run there). Every candidate is now
// withdrawn first, then torn down.
useStandins('az', azuremlFraudEndpoint);
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: 'fraud-detector', stable: 'v1' }],
  });
});
afterAll(() => sandbox?.close());

it('a stopped close withdraws every candidate before it tears any down', async () => {
  const yaml = `version: 1
models:
  fraud:
    source: { file: model.yaml, key: version }
    target: ${azuremlTargetYaml()}
    metrics: { type: file, path: unused.json }
    strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
  fraud-detector:
    source: { file: churn.yaml, key: version }
    target: { type: sandbox, url: "${sandbox.url}" }
    metrics: { type: file, path: unused.json }
    strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;
  const { config } = parseConfig(yaml, {});
  const logs: string[] = [];
  const log = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(`! ${m}`) };
  const metrics = passingErrorRate();
  const ledger = fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-close-order-')), 'ledger.json'));
  const sandboxServes = async () =>
    (await requestJson('GET', `${sandbox.url}/admin/models/fraud-detector/traffic`)).body;
  const seenAtRemove: unknown[] = [];
  const ports: Ports = {
    ledger,
    reader: memoryFileReader({
      [sha(1)]: { 'model.yaml': 'version: v1\n', 'churn.yaml': 'version: v1\n' },
      [sha(2)]: { 'model.yaml': 'version: v2\n', 'churn.yaml': 'version: v2\n' },
    }),
    clock: new FakeClock(),
    log,
    targetFor: (model) => {
      const t = targetFor(model, log) as never as Record<string, unknown>;
      if (model.name !== 'fraud') return t as never;
      const removeIdle = t.removeIdle as (...a: unknown[]) => Promise<void>;
      return {
        ...t,
        removeIdle: async (...a: unknown[]) => {
          seenAtRemove.push(await sandboxServes());
          return removeIdle(...a);
        },
      } as never;
    },
    metricsFor: () => metrics,
  };
  const event = { action: 'opened', number: 7, baseSha: sha(1), headSha: sha(2), merged: false };
  const opened = await handlePullRequest(config, event, ports, { mode: 'tick', maxWaitMs: 0, dryRun: false });
  expect(opened.releases.map((r) => [r.model, r.status])).toEqual([
    ['fraud', 'analysing'],
    ['fraud-detector', 'analysing'],
  ]);
  expect(await sandboxServes()).toMatchObject({ canary: { version: 'v2', weight: 10 } });
  await withdrawStopped(config, { pr: 7, headSha: sha(2), closed: true }, () => 'stopped by SIGTERM', ports);
  // While fraud's deployment was being removed, fraud-detector's candidate should already be withdrawn.
  expect(seenAtRemove).toEqual([{ stable: { version: 'v1' } }]);
});
