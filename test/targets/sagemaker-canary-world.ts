import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import type { SageMakerTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { targetFor } from '../../src/release/adapters.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { sagemakerTarget } from '../../src/targets/sagemaker-target.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { sha } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import type { Standins } from '../support/standin-cli.js';
import type { ReadBackPlatform } from './read-back-world.js';
import { definition, variant } from './sagemaker-variants.js';

export const ENDPOINT_KEY = 'us-east-1/fraud-endpoint';

/** fraud-endpoint serving v1, v2's variant deployed at weight 0; `more` as describe-endpoint shows it. */
export const fraudEndpoint = (more: object = {}) => ({
  EndpointName: 'fraud-endpoint',
  EndpointArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/fraud-endpoint',
  EndpointConfigName: 'fraud-config-3',
  EndpointStatus: 'InService',
  ProductionVariants: [variant('fraud-v1', 1), variant('fraud-v2', 0)],
  CreationTime: '2026-01-01T00:00:00Z',
  LastModifiedTime: '2026-01-01T00:00:00Z',
  ...more,
});

/** fraud-endpoint (fraudEndpoint) and the endpoint config it was made from, as the aws stand-in starts with them. */
export const fraudEndpointState = () => ({
  sagemaker: { [ENDPOINT_KEY]: fraudEndpoint() },
  sagemakerConfigs: {
    'us-east-1/fraud-config-3': {
      EndpointConfigName: 'fraud-config-3',
      EndpointConfigArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/fraud-config-3',
      ProductionVariants: [definition('fraud-v1', 1), definition('fraud-v2', 0)],
      CreationTime: '2026-01-01T00:00:00Z',
    },
  },
});

/** fraud-endpoint's status, then `variant current desired` for each production variant, as the aws stand-in holds them. */
export async function endpointWeights(standins: Pick<Standins, 'state'>): Promise<string[]> {
  const e = (await standins.state()).sagemaker[ENDPOINT_KEY];
  const variants = e.ProductionVariants as {
    VariantName: string;
    CurrentWeight: number;
    DesiredWeight: number;
  }[];
  return [e.EndpointStatus, ...variants.map((v) => `${v.VariantName} ${v.CurrentWeight} ${v.DesiredWeight}`)];
}

/**
 * fraud on fraud-endpoint through the aws stand-in `standins`, for read-back-world: settle-timeout
 * 10m, poll-interval 10s, describe-endpoint its read.
 */
export const sagemakerReadBack = (standins: Standins): ReadBackPlatform => ({
  standins,
  cli: 'aws',
  target:
    '{ type: sagemaker, endpoint: fraud-endpoint, region: us-east-1, variant: "fraud-{{version}}", settle-timeout: 10m, poll-interval: 10s }',
  make: (model, clock) => sagemakerTarget(model.target as SageMakerTargetConfig, 'fraud', clock),
  isRead: (argv) => argv[1] === 'describe-endpoint',
});

/**
 * PR 7 moving fraud from `from` to `to` (v1 to v2) by a canary of `steps` (10%, then 50%) on
 * fraud-endpoint through the aws stand-in, variant "fraud-{{version}}", with a settle-timeout of
 * 300ms, as the action runs it in watch mode: `run` is one job for the PR's opening (again: a
 * re-run), each building its targets afresh, with a file ledger, a fake clock and scripted metrics
 * that pass. `lines` has every line the jobs logged.
 */
export async function canaryOnSageMaker({ from = 'v1', to = 'v2', steps = [10, 50] } = {}) {
  const { config } = parseConfig(
    `version: 1
models:
  fraud:
    source: { file: model.yaml, key: version }
    target: { type: sagemaker, endpoint: fraud-endpoint, region: us-east-1, variant: "fraud-{{version}}", timeout: 10s, settle-timeout: 300ms, poll-interval: 50ms }
    metrics: { type: file, path: unused.json }
    strategy: { type: canary, steps: [${steps.join(', ')}], step-duration: 1m, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
    {},
  );
  const clock = new FakeClock();
  const ledger = fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-sagemaker-')), 'ledger.json'));
  const lines: string[] = [];
  const metrics = new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 20, values: { 'error-rate': 0.005 } },
  });
  const ports: Ports = {
    ledger,
    reader: memoryFileReader({
      [sha(1)]: { 'model.yaml': `version: "${from}"\n` },
      [sha(2)]: { 'model.yaml': `version: "${to}"\n` },
    }),
    clock,
    log: { info: (m) => lines.push(m), warn: (m) => lines.push(m) },
    // The engine's clock for the target too: settle-timeout counts describe calls, not how fast aws runs.
    targetFor: (m) =>
      m.target.type === 'sagemaker' ? sagemakerTarget(m.target, m.name, clock) : targetFor(m),
    metricsFor: () => metrics,
  };
  const event = { action: 'opened', number: 7, baseSha: sha(1), headSha: sha(2), merged: false };
  /** One job for the PR: its release of fraud afterwards. */
  async function run() {
    const { releases } = await handlePullRequest(config, event, ports, {
      mode: 'watch',
      maxWaitMs: 3_600_000,
      dryRun: false,
    });
    const [release] = releases;
    if (!release) throw new Error('the job started no release');
    return release;
  }
  return { run, lines, clock };
}
