import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { CloudWatchMetricsConfig, SageMakerTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { cloudwatchSource } from '../../src/metrics/cloudwatch-source.js';
import { renderDatadog } from '../../src/metrics/datadog-source.js';
import { targetFor } from '../../src/release/adapters.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { sagemakerTarget } from '../../src/targets/sagemaker-target.js';
import { platformNameOf } from '../../src/targets/target.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { type FakeAws, installFakeAws, type StoredMetric } from '../support/metrics-fake-aws.js';
import { sha } from '../support/model-config.js';
import { installStandins, type Standins } from '../support/standin-cli.js';
import { type ServedStandin, serveStandin } from '../support/standin-server.js';
import { definition, variant } from '../targets/sagemaker-variants.js';

// The SageMaker example as a user runs it: v1.1 -> v1.2 with `variant: "fraud-{{version}}"`.
// SageMaker names cannot hold `.`, so the workflow's deploy step created the variants fraud-v1-1
// and fraud-v1-2, and CloudWatch's metrics carry those VariantNames. The example's queries must
// ask for them ({{name}}), not for `fraud-v1.2`, which has no data and rolls a healthy candidate back.

const ENV = { DD_API_KEY: 'k', DD_APP_KEY: 'a' };
const example = (platform: string) =>
  readFile(new URL(`../../examples/${platform}/model-gate.yml`, import.meta.url), 'utf8');
const MODEL_FILE = 'models/fraud-detector/model.yaml';
const KEY = 'eu-west-1/fraud-detector-prod';
const VARIANTS = ['fraud-v1-1', 'fraud-v1-2'];

const clock = new FakeClock();
const T0 = Math.floor(clock.now() / 1000);
/** One SageMaker metric of one variant, a datapoint a minute from an hour before T0 to 3 hours after. */
const perMinute = (metric: string, variantName: string, value: number): StoredMetric => ({
  Namespace: 'AWS/SageMaker',
  MetricName: metric,
  Dimensions: { EndpointName: 'fraud-detector-prod', VariantName: variantName },
  points: Array.from({ length: 240 }, (_, i) => [T0 - 3600 + i * 60, value] as [number, number]),
});

let standins: Standins;
let served: ServedStandin | undefined;
let aws: FakeAws;
let dir: string;
beforeAll(async () => {
  standins = await installStandins();
  served = await serveStandin('aws');
  dir = await mkdtemp(join(tmpdir(), 'metric-names-'));
  // Healthy both: 0.1% errors, well under the example's 1% bound.
  aws = await installFakeAws(dir, {
    mode: 'ok',
    metrics: VARIANTS.flatMap((v) => [
      perMinute('Invocations', v, 2000),
      perMinute('Invocation5XXErrors', v, 2),
    ]),
  });
  vi.stubEnv('FAKE_AWS_STATE', aws.env.FAKE_AWS_STATE);
  vi.stubEnv('FAKE_AWS_LOG', aws.env.FAKE_AWS_LOG);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await served?.stop();
  await standins?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The VariantName of every metric CloudWatch was asked for. */
async function variantsAskedFor(): Promise<string[]> {
  const names = new Set<string>();
  for (const argv of await aws.calls()) {
    const queries = JSON.parse(argv[argv.indexOf('--metric-data-queries') + 1] as string);
    for (const q of queries) {
      for (const d of q.MetricStat?.Metric?.Dimensions ?? [])
        if (d.Name === 'VariantName') names.add(d.Value);
    }
  }
  return [...names].sort();
}

/** The weights SageMaker was asked to give the variant fraud-v1-2, in turn. */
async function candidateWeights(): Promise<number[]> {
  const weights: number[] = [];
  for (const { argv } of await standins.calls('aws')) {
    const at = argv.indexOf('--desired-weights-and-capacities');
    if (at < 0) continue;
    const wanted: { VariantName: string; DesiredWeight: number }[] = JSON.parse(argv[at + 1] as string);
    const weight = wanted.find((w) => w.VariantName === 'fraud-v1-2')?.DesiredWeight ?? 0;
    if (weight > 0) weights.push(weight);
  }
  return weights;
}

describe('examples/sagemaker: metric queries name the variant the target drives', () => {
  it('v1.1 -> v1.2 reads fraud-v1-2 from CloudWatch, gets data and passes every step', async () => {
    const { config } = parseConfig(await example('sagemaker'), ENV, 'examples/sagemaker/model-gate.yml');
    await standins.seed({
      sagemaker: {
        [KEY]: {
          EndpointName: 'fraud-detector-prod',
          EndpointArn: 'arn:aws:sagemaker:eu-west-1:123456789012:endpoint/fraud-detector-prod',
          EndpointConfigName: 'fraud-config-1',
          EndpointStatus: 'InService',
          ProductionVariants: [variant('fraud-v1-1', 1), variant('fraud-v1-2', 0)],
          CreationTime: '2026-01-01T00:00:00Z',
          LastModifiedTime: '2026-01-01T00:00:00Z',
        },
      },
      sagemakerConfigs: {
        'eu-west-1/fraud-config-1': {
          EndpointConfigName: 'fraud-config-1',
          EndpointConfigArn: 'arn:aws:sagemaker:eu-west-1:123456789012:endpoint-config/fraud-config-1',
          ProductionVariants: [definition('fraud-v1-1', 1), definition('fraud-v1-2', 0)],
          CreationTime: '2026-01-01T00:00:00Z',
        },
      },
    });
    const ports: Ports = {
      ledger: fileLedger(join(dir, 'ledger.json')),
      clock,
      reader: memoryFileReader({
        [sha(1)]: { [MODEL_FILE]: 'version: v1.1\n' },
        [sha(2)]: { [MODEL_FILE]: 'version: v1.2\n' },
      }),
      log: { info: () => {}, warn: () => {} },
      targetFor: (m) => sagemakerTarget(m.target as SageMakerTargetConfig, m.name, clock),
      // The CloudWatch stand-in is the `aws` of get-metric-data; the SageMaker one is on PATH.
      metricsFor: (m) =>
        cloudwatchSource(m.metrics as CloudWatchMetricsConfig, { command: join(aws.binDir, 'aws') }, clock),
    };
    const opened = { action: 'opened', number: 7, baseSha: sha(1), headSha: sha(2), merged: false };
    const { releases } = await handlePullRequest(config, opened, ports, {
      mode: 'watch',
      maxWaitMs: 3 * 3_600_000,
      dryRun: false,
    });

    expect(releases.map((r) => [r.from, r.to, r.status])).toEqual([['v1.1', 'v1.2', 'ready']]);
    expect(releases[0]?.phases.map((p) => [p.weight, p.outcome])).toEqual([
      [5, 'passed'],
      [20, 'passed'],
      [50, 'passed'],
    ]);
    // The candidate's variant got its steps' weights, and its metrics were read by that name.
    expect(await candidateWeights()).toEqual([5, 20, 50]);
    expect(await variantsAskedFor()).toEqual(['fraud-v1-1', 'fraud-v1-2']);
    const errors = releases[0]?.gates.find((g) => g.name === 'errors');
    expect(errors?.verdict).toBe('pass');
    expect(errors?.last).toMatchObject({ canary: 0.001, canaryRequests: 2000 });
  });
});

describe('examples/azureml: Datadog queries name the deployment the target drives', () => {
  it("asks for deployment:fraud-v1-2, the deployment of v1.2, not the version's text", async () => {
    const { config } = parseConfig(await example('azureml'), ENV, 'examples/azureml/model-gate.yml');
    const model = config.models['fraud-detector'];
    if (model?.metrics.type !== 'datadog') throw new Error('the example reads Datadog');
    const target = targetFor(model);
    const window = {
      model: model.name,
      slot: 'canary' as const,
      version: 'v1.2',
      name: platformNameOf(target, 'v1.2'),
      since: clock.now(),
      until: clock.now() + 60_000,
    };
    expect(renderDatadog(model.metrics.requests, window)).toBe(
      'sum:fraud.predict.requests{deployment:fraud-v1-2}.as_count()',
    );
  });
});
