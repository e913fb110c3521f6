import { describe, expect, it } from 'vitest';
import type { SeldonTargetConfig } from '../../src/config/types.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { seldonTarget } from '../../src/targets/seldon-target.js';
import { useStandins } from '../support/standin-server.js';
import { FAST, step } from './drive.js';
import { EXP, fraudExperimentAtV1, MODEL, seldonModel } from './seldon-cluster.js';

// Each change was a `kubectl apply` of a manifest carrying model-gate's label only. Client-side
// apply removes the labels and annotations the previous apply set (its last-applied-configuration)
// that the new one lacks, and takes that annotation over: an Experiment Argo CD syncs lost its
// tracking label, and one Helm installed got model-gate's managed-by. A change is a merge patch of
// the split now, the rest of the Experiment left as the user's tools wrote it.

const config: SeldonTargetConfig = {
  type: 'seldon',
  namespace: 'seldon-mesh',
  modelName: '{{model}}-{{version}}',
  ...FAST,
};

/** The Experiment as Argo CD applied it: its labels, an annotation, and the spec fields model-gate does not own. */
function appliedByArgo() {
  const experiment = fraudExperimentAtV1({ default: 'fraud-v1' });
  const labels = { 'app.kubernetes.io/instance': 'fraud-serving', 'app.kubernetes.io/managed-by': 'Helm' };
  const annotations = { 'argocd.argoproj.io/sync-wave': '2' };
  const lastApplied = JSON.stringify({
    apiVersion: experiment.apiVersion,
    kind: experiment.kind,
    metadata: { name: 'fraud', namespace: 'seldon-mesh', labels, annotations },
    spec: experiment.spec,
  });
  return {
    ...experiment,
    metadata: {
      ...experiment.metadata,
      labels,
      annotations: { ...annotations, 'kubectl.kubernetes.io/last-applied-configuration': lastApplied },
    },
  };
}

const standins = useStandins('kubectl', () => ({
  k8s: {
    [MODEL]: {
      'seldon-mesh/fraud-v1': seldonModel('fraud-v1'),
      'seldon-mesh/fraud-v2': seldonModel('fraud-v2'),
    },
    [EXP]: { 'seldon-mesh/fraud': appliedByArgo() },
  },
}));

describe('a Seldon Experiment another tool applied', () => {
  it('keeps its labels, annotations and default through a step and a rollback', async () => {
    const target = seldonTarget(config, 'fraud');
    await expect(reconcile(target, step('v1', 'v2', 10))).resolves.toEqual(step('v1', 'v2', 10));
    await expect(reconcile(target, withdrawTraffic('v1'))).resolves.toEqual({ stable: { version: 'v1' } });

    const { metadata, spec } = (await standins.state()).k8s[EXP]['seldon-mesh/fraud'];
    const seeded = appliedByArgo().metadata;
    expect(metadata.labels).toEqual(seeded.labels);
    expect(metadata.annotations).toEqual(seeded.annotations);
    expect(spec).toEqual({ default: 'fraud-v1', candidates: [{ name: 'fraud-v1', weight: 100 }] });
  });
});
