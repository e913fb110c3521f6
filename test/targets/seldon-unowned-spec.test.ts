import { describe, expect, it } from 'vitest';
import type { SeldonTargetConfig } from '../../src/config/types.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { seldonTarget } from '../../src/targets/seldon-target.js';
import type { PlatformState } from '../support/standin-cli.js';
import { useStandins } from '../support/standin-server.js';
import { FAST, step } from './drive.js';
import { EXP, fraudExperimentAtV1, MODEL, seldonModel } from './seldon-cluster.js';

// The parts of an Experiment's spec model-gate does not own, per
// https://docs.seldon.ai/seldon-core-2/kubernetes/resources/experiment: `default` (the Model whose
// own endpoint the Experiment splits) and `resourceType: pipeline` (the candidates are Pipelines).
// `kubectl apply` removes a field the previous apply had and the new one lacks, so model-gate's
// apply of the candidates alone used to drop them: the clients calling fraud-v1 bypassed the
// Experiment, and a Pipeline Experiment waited for Models that do not exist.

const config: SeldonTargetConfig = {
  type: 'seldon',
  namespace: 'seldon-mesh',
  modelName: '{{model}}-{{version}}',
  ...FAST,
};

/** Experiment fraud with `spec`, over fraud-v1 and fraud-v2 of type `servers`; `down` not available. */
const cluster = (spec: Record<string, unknown>, servers = MODEL, down?: string): PlatformState => ({
  k8s: {
    [servers]: Object.fromEntries(
      ['fraud-v1', 'fraud-v2'].map((name) => [`seldon-mesh/${name}`, seldonModel(name, name !== down)]),
    ),
    [EXP]: { 'seldon-mesh/fraud': fraudExperimentAtV1(spec) },
  },
});

const standins = useStandins('kubectl', () => cluster({ default: 'fraud-v1' }));
const spec = async () => (await standins.state()).k8s[EXP]['seldon-mesh/fraud'].spec;

describe("a Seldon Experiment's spec.default", () => {
  it('survives a traffic step and a rollback', async () => {
    const target = seldonTarget(config, 'fraud');
    expect(await reconcile(target, step('v1', 'v2', 10))).toEqual(step('v1', 'v2', 10));
    expect(await spec()).toEqual({
      default: 'fraud-v1',
      candidates: [
        { name: 'fraud-v1', weight: 90 },
        { name: 'fraud-v2', weight: 10 },
      ],
    });
    expect(await reconcile(target, withdrawTraffic('v1'))).toEqual({ stable: { version: 'v1' } });
    expect(await spec()).toEqual({ default: 'fraud-v1', candidates: [{ name: 'fraud-v1', weight: 100 }] });
  });

  it('stays a candidate, at weight 0, once a promotion moves all traffic off it', async () => {
    // The scheduler refuses a default that is not a candidate (validateDefaultModelIsCandidate).
    const target = seldonTarget(config, 'fraud');
    await reconcile(target, step('v1', 'v2', 50));
    expect(await reconcile(target, withdrawTraffic('v2'))).toEqual({ stable: { version: 'v2' } });
    expect(await spec()).toEqual({
      default: 'fraud-v1',
      candidates: [
        { name: 'fraud-v2', weight: 100 },
        { name: 'fraud-v1', weight: 0 },
      ],
    });
  });
});

describe('a Seldon Experiment of Pipelines (spec.resourceType: pipeline)', () => {
  it('keeps splitting Pipelines through a step and a rollback', async () => {
    await standins.seed(cluster({ resourceType: 'pipeline' }, 'pipelines.mlops.seldon.io'));
    const target = seldonTarget(config, 'fraud');
    expect(await reconcile(target, step('v1', 'v2', 10))).toEqual(step('v1', 'v2', 10));
    expect(await spec()).toMatchObject({ resourceType: 'pipeline' });
    expect(await reconcile(target, withdrawTraffic('v1'))).toEqual({ stable: { version: 'v1' } });
    expect(await spec()).toEqual({
      resourceType: 'pipeline',
      candidates: [{ name: 'fraud-v1', weight: 100 }],
    });
  });

  it('names the Pipeline, not a Model, when the candidate is not Ready', async () => {
    await standins.seed(cluster({ resourceType: 'pipeline' }, 'pipelines.mlops.seldon.io', 'fraud-v2'));
    const refused = reconcile(seldonTarget(config, 'fraud'), step('v1', 'v2', 10));
    await expect(refused).rejects.toThrow(
      'so fraud-v2 got no traffic: the Seldon Pipeline fraud-v2 is not Ready',
    );
    await expect(refused).rejects.toThrow(
      'see `kubectl get pipelines.mlops.seldon.io fraud-v2 -n seldon-mesh -o yaml`',
    );
  });
});
