import { describe, expect, it } from 'vitest';
import type { VertexTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { TargetRefusedError } from '../../src/targets/errors.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { vertexTarget } from '../../src/targets/vertex-target.js';
import { VERTEX_RESOURCE, vertexDeployed, vertexFraudEndpoint } from '../support/fraud-endpoints.js';
import { useStandins } from '../support/standin-server.js';
import { FAST, step } from './drive.js';
import { atCanaryStep, confirmedRollBack, type ReadBackPlatform } from './read-back-world.js';

// Vertex AI lets two deployed models share a display name: a re-run job's deploy step deploys
// fraud-v2 a second time. The target refused every read and every change on such an endpoint, the
// rollback's withdrawal too (which needs only v1's deployed model), so a failing candidate kept its
// 10%. Only a change giving that version traffic is ambiguous now; a read sums the version's
// deployed models. gcloud is the stand-in; time runs on a FakeClock.

const standins = useStandins('gcloud', vertexFraudEndpoint);

const vertex: ReadBackPlatform = {
  standins,
  cli: 'gcloud',
  target:
    '{ type: vertex, endpoint: "4321", region: us-central1, project: ml-prod, deployed-model: "fraud-{{version}}", settle-timeout: 10m, poll-interval: 10s }',
  make: (model, clock) => vertexTarget(model.target as VertexTargetConfig, 'fraud', clock),
  isRead: (argv) => argv[2] === 'describe',
};

const endpoint = async () => (await standins.state()).vertex[VERTEX_RESOURCE];

/** The deploy step run again: fraud-v2 deployed a second time, as ID 3333, with no traffic. */
async function deployV2Again() {
  const state = await standins.state();
  state.vertex[VERTEX_RESOURCE].deployedModels.push(vertexDeployed('3333', 'v2'));
  await standins.seed(state);
}

/** The `update` calls' traffic splits so far. */
const updates = async () =>
  (await standins.calls('gcloud'))
    .filter((c) => c.argv[2] === 'update')
    .map((c) => c.argv.find((a) => a.startsWith('--traffic-split=')));

describe('a Vertex AI endpoint with the candidate deployed twice under one display name', () => {
  it('rolls back to the stable deployed model, confirmed, when the candidate is deployed twice', async () => {
    const clock = new FakeClock();
    const { model, target } = await atCanaryStep(vertex, clock);
    expect((await endpoint()).trafficSplit).toEqual({ '1111': 90, '2222': 10 });
    await deployV2Again();

    const { err } = await confirmedRollBack(target, model, clock);

    expect(err).toBeUndefined();
    expect((await endpoint()).trafficSplit).toEqual({ '1111': 100 });
  });

  it("reads the version's traffic as the sum of its deployed models", async () => {
    await deployV2Again();
    const state = await standins.state();
    state.vertex[VERTEX_RESOURCE].trafficSplit = { '1111': 80, '2222': 15, '3333': 5 };
    await standins.seed(state);
    const target = vertexTarget(config(), 'fraud', new FakeClock());
    await expect(target.read({ stable: 'v1', candidate: 'v2' })).resolves.toEqual(step('v1', 'v2', 20));
  });

  it('refuses to give the twice-deployed version traffic, before any update, naming both IDs and the undeploy', async () => {
    await deployV2Again();
    const err = await reconcile(vertexTarget(config(), 'fraud', new FakeClock()), step('v1', 'v2', 10)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TargetRefusedError);
    expect((err as Error).message).toBe(
      'Vertex AI endpoint 4321 (us-central1) has 2 deployed models named "fraud-v2" (IDs 2222 with 0%, 3333 with 0%), so which one serves version v2 is ambiguous; model-gate changed nothing. Undeploy the extra one, e.g. `gcloud ai endpoints undeploy-model 4321 --region=us-central1 --project=ml-prod --quiet --deployed-model-id=3333`, then run again',
    );
    expect(await updates()).toEqual([]);
    expect((await endpoint()).trafficSplit).toEqual({ '1111': 100 });
  });

  it('names both deployed models, and undeploys neither while one of them has traffic', async () => {
    await deployV2Again();
    const state = await standins.state();
    state.vertex[VERTEX_RESOURCE].trafficSplit = { '1111': 95, '3333': 5 };
    await standins.seed(state);
    const target = vertexTarget(config(), 'fraud', new FakeClock());
    await expect(target.deployedAs('v2')).resolves.toBe('deployed model fraud-v2 with IDs 2222, 3333');
    await expect(target.removeIdle('v2', 'v1')).rejects.toThrow(
      'Vertex AI endpoint 4321 (us-central1) sends 5% of live traffic to the deployed model fraud-v2 with IDs 2222, 3333 (2222 0%, 3333 5%): it is not undeployed',
    );
    const calls = await standins.calls('gcloud');
    expect(calls.filter((c) => c.argv[2] === 'undeploy-model')).toEqual([]);
    expect((await endpoint()).deployedModels.map((m: { id: string }) => m.id)).toEqual([
      '1111',
      '2222',
      '3333',
    ]);
  });
});

const config = (): VertexTargetConfig => ({
  type: 'vertex',
  endpoint: '4321',
  region: 'us-central1',
  project: 'ml-prod',
  deployedModel: 'fraud-{{version}}',
  ...FAST,
});
