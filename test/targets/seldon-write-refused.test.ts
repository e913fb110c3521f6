import { describe, expect, it } from 'vitest';
import type { SeldonTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { handleCommand } from '../../src/release/commands.js';
import { TargetRefusedError } from '../../src/targets/errors.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { seldonTarget } from '../../src/targets/seldon-target.js';
import { prReleaseWorld } from '../support/pr-release-world.js';
import { useStandins } from '../support/standin-server.js';
import { FAST, step } from './drive.js';
import { EXP, fraudExperimentAtV1, fraudSeldonCluster, MODEL, seldonModel } from './seldon-cluster.js';

// A write to a Seldon Experiment the API server refuses itself: a cluster policy's admission webhook
// (Kyverno here: `Error from server (Forbidden): admission webhook "…" denied the request: …`) or an
// invalid object (a ValidatingAdmissionPolicy's 422, a strict decoding 400). Nothing was stored and
// the same write gets the same answer. It was "the serving platform failed": a PR's first step
// ended "rolled back", and a denied rollback said "run the rollback again once the platform
// answers". Now a PR ends not deployed, with what to fix, and a rollback says what to fix.

const KYVERNO = 'admission webhook "validate.kyverno.svc-fail" denied the request';
const VIOLATION = 'policy Experiment/seldon-mesh/fraud for resource violation: require-team-label';

const standins = useStandins('kubectl', () => fraudSeldonCluster());

const CONFIG = `version: 1
models:
  fraud:
    source: { file: model.yaml, key: version }
    target: { type: seldon, namespace: seldon-mesh, model-name: "{{model}}-{{version}}", timeout: 10s, settle-timeout: 2s, poll-interval: 10ms }
    metrics: { type: file, path: unused.json }
    strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;

const spec = async () => (await standins.state()).k8s[EXP]['seldon-mesh/fraud']?.spec;
const patches = async () => (await standins.calls('kubectl')).filter((c) => c.argv[0] === 'patch');
const denyPatches = () =>
  standins.fault({
    cli: 'kubectl',
    op: `patch ${EXP}`,
    kind: 'fail',
    code: 'Forbidden',
    message: `${KYVERNO}: ${VIOLATION}`,
    times: -1,
  });

const targetConfig: SeldonTargetConfig = {
  type: 'seldon',
  namespace: 'seldon-mesh',
  modelName: '{{model}}-{{version}}',
  ...FAST,
};
const target = () => seldonTarget(targetConfig, 'fraud', new FakeClock());

describe('a Seldon Experiment write the API server refuses', () => {
  it("a PR's first step denied by a policy webhook: not deployed, what to fix, nothing rolled back", async () => {
    await denyPatches();
    const { ports, release } = await prReleaseWorld(CONFIG);
    const [opened] = await release(7, 'v1', 'v2');
    const failed = await ports.ledger.release('fraud');

    expect(opened).toBe('failed');
    expect(failed?.reason).toBe(
      `v2 was not deployed and got no traffic: the platform refused the switch to 10% of live traffic: Seldon Experiment fraud (namespace seldon-mesh): the API server's admission webhook "validate.kyverno.svc-fail" denied the patch, nothing changed: ${VIOLATION}. Fix what the policy names, then run model-gate again`,
    );
    expect(failed?.ending).toEqual({ firstChangeRefused: 'request' });
    expect(await patches()).toHaveLength(1); // the denied one: no rollback patch
    expect(await spec()).toEqual({ candidates: [{ name: 'fraud-v1', weight: 100 }] });
  });

  it('a rollback denied by a policy webhook: says to fix what the policy names, not to wait', async () => {
    await standins.seed(
      fraudSeldonCluster({
        ...fraudExperimentAtV1(),
        spec: { candidates: [{ name: 'fraud-v2', weight: 100 }] },
      }),
    );
    const { config, ports } = await prReleaseWorld(CONFIG);
    await ports.ledger.record({
      model: 'fraud',
      at: 0,
      kind: 'promotion',
      version: 'v2',
      previous: 'v1',
      summary: 'passed',
    });
    await denyPatches();

    const rollback = handleCommand(
      config,
      'rollback',
      { model: 'fraud', dryRun: false, trigger: 'workflow_dispatch' },
      ports,
    );
    await expect(rollback).rejects.toThrow(
      `rollback fraud: v2 still serves, the platform did not take the rollback to v1 (Seldon Experiment fraud (namespace seldon-mesh): the API server's admission webhook "validate.kyverno.svc-fail" denied the patch, nothing changed: ${VIOLATION}. Fix what the policy names, then run model-gate again); nothing is recorded; `,
    );
    await expect(rollback).rejects.not.toThrow('once the platform answers');
    // No other version gets past the policy: not "set to-version to a version the platform has".
    await expect(rollback).rejects.toThrow(
      /nothing is recorded; the platform's policy refused the rollback to v1, whatever the version: fix what it names, then run this rollback again$/,
    );
    expect(await spec()).toEqual({ candidates: [{ name: 'fraud-v2', weight: 100 }] });
  });

  it('a patch a ValidatingAdmissionPolicy finds invalid (422) is refused, naming its words', async () => {
    await standins.fault({
      cli: 'kubectl',
      op: `patch ${EXP}`,
      kind: 'fail',
      message:
        "The experiments \"fraud\" is invalid: : ValidatingAdmissionPolicy 'weights-in-tens' with binding 'weights-in-tens-binding' denied request: failed expression: object.spec.candidates.all(c, c.weight % 10 == 0)",
      times: -1,
    });
    const refused = await reconcile(target(), step('v1', 'v2', 10)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TargetRefusedError);
    expect((refused as Error).message).toBe(
      `Seldon Experiment fraud (namespace seldon-mesh): the API server refused the patch as invalid, nothing changed: The experiments "fraud" is invalid: : ValidatingAdmissionPolicy 'weights-in-tens' with binding 'weights-in-tens-binding' denied request: failed expression: object.spec.candidates.all(c, c.weight % 10 == 0). Fix what it names (the Experiment, or the Seldon CRDs installed on the cluster), then run model-gate again`,
    );
  });

  it('creating the Experiment refused as a bad request (an older CRD) is refused, naming its words', async () => {
    await standins.seed({
      k8s: {
        [MODEL]: {
          'seldon-mesh/fraud-v1': seldonModel('fraud-v1'),
          'seldon-mesh/fraud-v2': seldonModel('fraud-v2'),
        },
        [EXP]: {},
      },
    });
    await standins.fault({
      cli: 'kubectl',
      op: 'apply',
      kind: 'fail',
      code: 'BadRequest',
      message:
        'error when creating "STDIN": Experiment in version "v1alpha1" cannot be handled as a Experiment: strict decoding error: unknown field "metadata.labels"',
      times: -1,
    });
    const refused = await reconcile(target(), step('v1', 'v2', 10)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TargetRefusedError);
    expect((refused as Error).message).toBe(
      'Seldon Experiment fraud (namespace seldon-mesh): the API server refused the new Experiment as invalid, nothing changed: Experiment in version "v1alpha1" cannot be handled as a Experiment: strict decoding error: unknown field "metadata.labels". Fix what it names (the Experiment, or the Seldon CRDs installed on the cluster), then run model-gate again',
    );
  });
});
