import { describe, expect, it } from 'vitest';
import type { SeldonTargetConfig } from '../../src/config/types.js';
import { TargetRefusedError } from '../../src/targets/errors.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { seldonTarget } from '../../src/targets/seldon-target.js';
import { useStandins } from '../support/standin-server.js';
import { FAST, step } from './drive.js';
import { EXP, fraudExperimentAtV1, MODEL, seldonModel } from './seldon-cluster.js';

// A Kubernetes name is lowercase (names.ts KUBERNETES_NAME), so on Seldon `V1` and `v1` are both the
// Model fraud-v1: a canary of V1 over v1 would weigh one Model against itself. Refused before the
// Experiment is touched; the stable version is still driven by that name.

const config: SeldonTargetConfig = {
  type: 'seldon',
  namespace: 'seldon-mesh',
  modelName: '{{model}}-{{version}}',
  ...FAST,
};
const standins = useStandins('kubectl', () => ({
  k8s: {
    [MODEL]: { 'seldon-mesh/fraud-v1': seldonModel('fraud-v1') },
    [EXP]: { 'seldon-mesh/fraud': fraudExperimentAtV1() },
  },
}));
/** The kubectl calls that change something (not get). */
const changes = async () =>
  (await standins.calls('kubectl')).map((c) => c.argv[0]).filter((verb) => verb !== 'get');

describe('a candidate that differs from the stable version only in case, on Seldon', () => {
  it('is refused before any change, naming both versions, the template field and what to do', async () => {
    const target = seldonTarget(config, 'fraud');
    const refused = await reconcile(target, step('v1', 'V1', 10)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(TargetRefusedError);
    expect((refused as Error).message).toBe(
      `versions "v1" and "V1" both get the Kubernetes object name "fraud-v1": the name template "{{model}}-{{version}}" (model-name) turns each character the platform does not allow into '-' and lowercases letters (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit), so one would be served and read back as the other; model-gate sent nothing for "V1". Declare a version that differs from "v1" in its letters or digits, not only in punctuation or case, or change the name template so that each version gets a name of its own`,
    );
    expect(await changes()).toEqual([]);
    expect((await standins.state()).k8s[EXP]['seldon-mesh/fraud'].spec.candidates).toEqual([
      { name: 'fraud-v1', weight: 100 },
    ]);
    // The stable version keeps its name: withdrawing the candidate is not refused.
    await expect(reconcile(target, withdrawTraffic('v1'))).resolves.toMatchObject({
      stable: { version: 'v1' },
    });
  });
});
