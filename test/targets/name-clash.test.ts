import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { targetFor } from '../../src/release/adapters.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { sha } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { useStandins } from '../support/standin-server.js';
import { ENDPOINT_KEY, endpointWeights, fraudEndpoint } from './sagemaker-canary-world.js';
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

/** One job of PR 7 declaring fraud `to` over `from` (a canary of 10%, 50%, 100%): its release of fraud. */
async function releaseOf(from: string, to: string) {
  const { config } = parseConfig(
    `version: 1
models:
  fraud:
    source: { file: model.yaml, key: version }
    target: { type: sagemaker, endpoint: fraud-endpoint, region: us-east-1, variant: "fraud-{{version}}", timeout: 10s, settle-timeout: 300ms, poll-interval: 10ms }
    metrics: { type: file, path: unused.json }
    strategy: { type: canary, steps: [10, 50, 100], step-duration: 1m, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
    {},
  );
  const metrics = new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 20, values: { 'error-rate': 0.005 } },
  });
  const ledger = fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-name-clash-')), 'ledger.json'));
  const lines: string[] = [];
  const ports = {
    ledger,
    reader: memoryFileReader({
      [sha(1)]: { 'model.yaml': `version: "${from}"\n` },
      [sha(2)]: { 'model.yaml': `version: "${to}"\n` },
    }),
    clock: new FakeClock(),
    log: { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) },
    targetFor,
    metricsFor: () => metrics,
  };
  const event = { action: 'opened', number: 7, baseSha: sha(1), headSha: sha(2), merged: false };
  const { releases } = await handlePullRequest(config, event, ports, {
    mode: 'watch',
    maxWaitMs: 3_600_000,
    dryRun: false,
  });
  const [release] = releases;
  if (!release) throw new Error('the job started no release');
  return { release, lines };
}

describe('a PR whose version gets the stable version’s platform name', () => {
  it('is refused before any traffic moves, naming both versions, the template and what to do', async () => {
    const { release } = await releaseOf('1.2', '1+2');
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
