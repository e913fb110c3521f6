import { describe, expect, it } from 'vitest';
import type { SeldonTargetConfig } from '../../src/config/types.js';
import { TargetAccessError } from '../../src/targets/errors.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { seldonTarget } from '../../src/targets/seldon-target.js';
import { useStandins } from '../support/standin-server.js';
import { FAST } from './drive.js';
import { MODEL, seldonModel } from './seldon-cluster.js';

// A rollback of v2 to v1 (the rollback command) on an Experiment that is not there: the change is
// refused, and the command reads again with what the ledger knows, v2 the stable on record. The
// message then said to create the Experiment with fraud-v2, the version being rolled back, at 100%.
// It names the stable the rollback asked for.

const config: SeldonTargetConfig = {
  type: 'seldon',
  namespace: 'seldon-mesh',
  modelName: '{{model}}-{{version}}',
  ...FAST,
};
const standins = useStandins('kubectl', () => ({
  k8s: {
    [MODEL]: {
      'seldon-mesh/fraud-v1': seldonModel('fraud-v1'),
      'seldon-mesh/fraud-v2': seldonModel('fraud-v2'),
    },
  },
}));

describe('a rollback on a Seldon Experiment that is not there', () => {
  it('says to create it with the stable the rollback goes to, fraud-v1, at 100%', async () => {
    // The namespace the config names is not on the cluster: the Experiment cannot be created there.
    await standins.fault({
      cli: 'kubectl',
      op: 'apply',
      kind: 'fail',
      times: -1,
      code: 'NotFound',
      message: 'error when creating "STDIN": namespaces "seldon-mesh" not found',
    });
    const target = seldonTarget(config, 'fraud');
    await expect(reconcile(target, withdrawTraffic('v1'))).rejects.toThrow(TargetAccessError);
    const read = target.read({ stable: 'v2', others: ['v1'] });
    await expect(read).rejects.toThrow(TargetAccessError);
    await expect(read).rejects.toThrow(
      'create it first with the stable Model at 100% (`kubectl apply -f -` of {"apiVersion":"mlops.seldon.io/v1alpha1","kind":"Experiment","metadata":{"name":"fraud","namespace":"seldon-mesh"},"spec":{"candidates":[{"name":"fraud-v1","weight":100}]}})',
    );
  });
});
