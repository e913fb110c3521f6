import { beforeEach, describe, expect, it } from 'vitest';
import type { VertexTargetConfig } from '../../src/config/types.js';
import { TargetError } from '../../src/core/errors.js';
import { TargetBusyError } from '../../src/targets/errors.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { vertexTarget } from '../../src/targets/vertex-target.js';
import { useStandins } from '../support/standin-server.js';
import { FAST, failingCanary, passingAb, passingBlueGreen, passingCanary, step } from './drive.js';

const RESOURCE = 'projects/ml-prod/locations/us-central1/endpoints/4321';
const config: VertexTargetConfig = {
  type: 'vertex',
  endpoint: '4321',
  region: 'us-central1',
  project: 'ml-prod',
  deployedModel: 'fraud-{{version}}',
  ...FAST,
};

const standins = useStandins('gcloud');
const split = async () => (await standins.state()).vertex[RESOURCE].trafficSplit;
const deployed = (id: string, version: string) => ({
  id,
  model: `projects/ml-prod/locations/us-central1/models/777@${version.slice(1)}`,
  displayName: `fraud-${version}`,
  createTime: '2026-01-01T00:00:00Z',
  dedicatedResources: { machineSpec: { machineType: 'n1-standard-2' }, minReplicaCount: 1 },
});

beforeEach(async () => {
  await standins.seed({
    vertex: {
      [RESOURCE]: {
        name: RESOURCE,
        displayName: 'fraud',
        deployedModels: [deployed('1111', 'v1'), deployed('2222', 'v2')],
        trafficSplit: { '1111': 100 },
        etag: 'AMEw9yN',
        createTime: '2026-01-01T00:00:00Z',
        updateTime: '2026-01-01T00:00:00Z',
      },
    },
  });
});

describe('vertex target on a stand-in gcloud', () => {
  it('drives a passing blue-green and promotes green', async () => {
    const seen = await passingBlueGreen(vertexTarget(config, 'fraud'), 'v1', 'v2');
    expect(seen.map((s) => s.canary?.weight)).toEqual([0, 100, 0, 0]);
    expect(seen.at(-1)).toEqual({ stable: { version: 'v2' }, canary: { version: 'v1', weight: 0 } });
    expect(await split()).toEqual({ '2222': 100 });
  });

  it('drives a passing canary through the traffic split by deployed model id', async () => {
    const seen = await passingCanary(vertexTarget(config, 'fraud'), 'v1', 'v2');
    expect(seen.map((s) => s.canary?.weight ?? s.stable.version)).toEqual([10, 50, 0, 'v2']);
    expect(await split()).toEqual({ '2222': 100 });
    const splits = (await standins.calls('gcloud'))
      .filter((c) => c.argv[2] === 'update')
      .map((c) => c.argv.find((a) => a.startsWith('--traffic-split=')));
    expect(splits).toEqual([
      '--traffic-split=1111=90,2222=10',
      '--traffic-split=1111=50,2222=50',
      '--traffic-split=1111=100',
      '--traffic-split=2222=100',
    ]);
  });

  it('runs an A/B as a per-request traffic split; the sticky key is not read back', async () => {
    const seen = await passingAb(vertexTarget(config, 'fraud'), 'v1', 'v2');
    expect(seen).toEqual([step('v1', 'v2', 50), step('v1', 'v2', 0), { stable: { version: 'v2' } }]);
    const splits = (await standins.calls('gcloud'))
      .filter((c) => c.argv[2] === 'update')
      .map((c) => c.argv.find((a) => a.startsWith('--traffic-split=')));
    expect(splits).toEqual([
      '--traffic-split=1111=50,2222=50',
      '--traffic-split=1111=100',
      '--traffic-split=2222=100',
    ]);
  });

  it('rolls a failing canary back to the stable deployed model only', async () => {
    await failingCanary(vertexTarget(config, 'fraud'), 'v1', 'v2');
    expect(await split()).toEqual({ '1111': 100 });
  });

  it('catches an update whose split silently did not take', async () => {
    await standins.fault({ cli: 'gcloud', op: 'update', kind: 'silent-revert', times: 1 });
    await expect(reconcile(vertexTarget(config, 'fraud'), step('v1', 'v2', 10))).rejects.toThrow(
      new TargetError(
        'Vertex AI endpoint 4321 (us-central1) serves v1 100% after being asked for v1 90% / v2 10%',
      ),
    );
  });

  it('waits out an operation in progress, then gives up with a busy error', async () => {
    await standins.fault({ cli: 'gcloud', op: 'update', kind: 'busy', times: 2 });
    await expect(reconcile(vertexTarget(config, 'fraud'), step('v1', 'v2', 10))).resolves.toEqual(
      step('v1', 'v2', 10),
    );
    await standins.fault({ cli: 'gcloud', op: 'update', kind: 'busy', times: -1 });
    const impatient = vertexTarget({ ...config, settleTimeoutMs: 60, pollIntervalMs: 20 }, 'fraud');
    const err = await reconcile(impatient, step('v1', 'v2', 50)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetBusyError);
    expect((err as Error).message).toMatch(
      /is busy with another change \(.*FAILED_PRECONDITION.*\); nothing was changed, try again later/,
    );
  });

  // A change whose answer was lost (UNAVAILABLE) is repeated: vertex-transient-api-error.test.ts.
  it('retries throttled calls', async () => {
    await standins.fault({ cli: 'gcloud', op: 'describe', kind: 'throttle', times: 2 });
    await expect(reconcile(vertexTarget(config, 'fraud'), step('v1', 'v2', 10))).resolves.toEqual(
      step('v1', 'v2', 10),
    );
  });

  it('refuses a version not deployed to the endpoint, and fractional weights', async () => {
    const target = vertexTarget(config, 'fraud');
    await expect(reconcile(target, step('v1', 'v3', 10))).rejects.toThrow(
      'Vertex AI endpoint 4321 (us-central1) has no deployed model named fraud-v3 (version v3); it has fraud-v1, fraud-v2. Deploy the version to the endpoint (with 0% traffic) before the release',
    );
    await expect(reconcile(target, step('v1', 'v2', 12.5))).rejects.toThrow(
      'Vertex AI takes whole percentages of traffic, got 87.5% for v1',
    );
  });
});
