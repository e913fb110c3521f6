import { describe, expect, it } from 'vitest';
import type { SeldonTargetConfig } from '../../src/config/types.js';
import { TargetError } from '../../src/core/errors.js';
import { TargetBusyError, TargetRefusedError } from '../../src/targets/errors.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { seldonTarget } from '../../src/targets/seldon-target.js';
import type { PlatformState } from '../support/standin-cli.js';
import { useStandins } from '../support/standin-server.js';
import {
  FAST,
  failingCanary,
  failingShadow,
  mirrorOf,
  passingAb,
  passingCanary,
  passingShadow,
  step,
  unreachedShadow,
} from './drive.js';
import { EXP, fraudExperimentAtV1, MODEL, seldonModel } from './seldon-cluster.js';

const config: SeldonTargetConfig = {
  type: 'seldon',
  namespace: 'seldon-mesh',
  modelName: '{{model}}-{{version}}',
  ...FAST,
};

const standins = useStandins('kubectl', cluster);
function cluster(): PlatformState {
  return {
    k8s: {
      [MODEL]: {
        'seldon-mesh/fraud-v1': seldonModel('fraud-v1'),
        'seldon-mesh/fraud-v2': seldonModel('fraud-v2'),
        'seldon-mesh/fraud-v3': seldonModel('fraud-v3', false),
      },
      [EXP]: {
        'seldon-mesh/fraud': fraudExperimentAtV1(),
      },
    },
  };
}
const spec = async () => (await standins.state()).k8s[EXP]['seldon-mesh/fraud'].spec;
/** The refusal of a change that would give fraud-v3, whose Model is not Ready, traffic. */
const NOT_READY = new TargetRefusedError(
  'Seldon Experiment fraud (namespace seldon-mesh) was not changed, so fraud-v3 got no traffic: the Seldon Model fraud-v3 is not Ready: its ModelReady condition is False (ModelFailed); see `kubectl get models.mlops.seldon.io fraud-v3 -n seldon-mesh -o yaml`, fix the Model or wait until it is Ready, then run model-gate again',
);
/** The kubectl calls that change the Experiment. */
const writes = async () => (await standins.calls('kubectl')).filter((c) => c.argv[0] !== 'get');

describe('seldon target on a stand-in kubectl', () => {
  it('drives a passing canary through Experiment candidate weights, each a merge patch of the split', async () => {
    const seen = await passingCanary(seldonTarget(config, 'fraud'), 'v1', 'v2');
    expect(seen).toEqual([
      step('v1', 'v2', 10),
      step('v1', 'v2', 50),
      { stable: { version: 'v1' } },
      { stable: { version: 'v2' } },
    ]);
    expect(await spec()).toEqual({ candidates: [{ name: 'fraud-v2', weight: 100 }] });
    // Only the candidates and the mirror: the rest of the Experiment is not model-gate's.
    const patch = (candidates: unknown) => [
      'patch',
      EXP,
      'fraud',
      '-n',
      'seldon-mesh',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { candidates, mirror: null } }),
    ];
    expect((await writes()).map((c) => c.argv)).toEqual([
      patch([
        { name: 'fraud-v1', weight: 90 },
        { name: 'fraud-v2', weight: 10 },
      ]),
      patch([
        { name: 'fraud-v1', weight: 50 },
        { name: 'fraud-v2', weight: 50 },
      ]),
      patch([{ name: 'fraud-v1', weight: 100 }]),
      patch([{ name: 'fraud-v2', weight: 100 }]),
    ]);
  });

  it('runs an A/B as a per-request split of Experiment weights; the sticky key is not read back', async () => {
    const target = seldonTarget(config, 'fraud');
    const seen = await passingAb(target, 'v1', 'v2');
    expect(seen).toEqual([
      step('v1', 'v2', 50),
      { stable: { version: 'v1' } },
      { stable: { version: 'v2' } },
    ]);
    expect(await spec()).toEqual({ candidates: [{ name: 'fraud-v2', weight: 100 }] });
  });

  it('rolls a failing canary back to the stable model only', async () => {
    await standins.seed({ ...cluster(), settleGets: 1 });
    await failingCanary(seldonTarget(config, 'fraud'), 'v1', 'v2');
    expect(await spec()).toEqual({ candidates: [{ name: 'fraud-v1', weight: 100 }] });
  });

  it('catches an Experiment whose spec was silently put back', async () => {
    await standins.fault({ cli: 'kubectl', op: `patch ${EXP}`, kind: 'silent-revert', times: 1 });
    await expect(reconcile(seldonTarget(config, 'fraud'), step('v1', 'v2', 10))).rejects.toThrow(
      new TargetError(
        'Seldon Experiment fraud (namespace seldon-mesh) serves v1 100% after being asked for v1 90% / v2 10%',
      ),
    );
  });

  it('retries an apply that hit a conflict, then gives up on one that never settles', async () => {
    await standins.fault({ cli: 'kubectl', op: 'patch', kind: 'conflict', times: 2 });
    await expect(reconcile(seldonTarget(config, 'fraud'), step('v1', 'v2', 10))).resolves.toEqual(
      step('v1', 'v2', 10),
    );
    await standins.fault({ cli: 'kubectl', op: 'patch', kind: 'conflict', times: -1 });
    const impatient = seldonTarget({ ...config, settleTimeoutMs: 60, pollIntervalMs: 20 }, 'fraud');
    const err = await reconcile(impatient, step('v1', 'v2', 50)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetBusyError);
    expect((err as Error).message).toMatch(/is busy with another change \(Error from server \(Conflict\)/);
  });

  it('refuses a candidate Model that is not Ready before any change, and leaves the stable serving', async () => {
    const target = seldonTarget({ ...config, settleTimeoutMs: 200, pollIntervalMs: 20 }, 'fraud');
    await expect(reconcile(target, step('v1', 'v3', 10))).rejects.toThrow(NOT_READY);
    expect(await writes()).toEqual([]);
    await expect(reconcile(target, { stable: { version: 'v1' } })).resolves.toEqual({
      stable: { version: 'v1' },
    });
  });
});

describe('seldon target: shadow through the Experiment mirror', () => {
  it('mirrors the shadow phase, reads the mirror back, and drops it when the phase ends', async () => {
    const target = seldonTarget(config, 'fraud');
    await expect(reconcile(target, mirrorOf('v1', 'v2', 25))).resolves.toEqual(mirrorOf('v1', 'v2', 25));
    expect(await spec()).toEqual({
      candidates: [{ name: 'fraud-v1', weight: 100 }],
      mirror: { name: 'fraud-v2', percent: 25 },
    });

    await standins.seed(cluster());
    const seen = await passingShadow(seldonTarget(config, 'fraud'), 'v1', 'v2', 25);
    expect(seen).toEqual([
      mirrorOf('v1', 'v2', 25),
      { stable: { version: 'v1' } },
      { stable: { version: 'v2' } },
    ]);
    expect(await spec()).toEqual({ candidates: [{ name: 'fraud-v2', weight: 100 }] });
  });

  it('drops the mirror when a failing shadow rolls back', async () => {
    await standins.seed({ ...cluster(), settleGets: 1 });
    const seen = await failingShadow(seldonTarget(config, 'fraud'), 'v1', 'v2');
    expect(seen).toEqual([mirrorOf('v1', 'v2', 10), { stable: { version: 'v1' } }]);
    expect(await spec()).toEqual({ candidates: [{ name: 'fraud-v1', weight: 100 }] });
  });

  it('catches an Experiment that lost its mirror, and still rolls back', async () => {
    await standins.fault({ cli: 'kubectl', op: `patch ${EXP}`, kind: 'drop-mirror', times: 1 });
    const { error, rolledBack } = await unreachedShadow(seldonTarget(config, 'fraud'), 'v1', 'v2');
    expect(error).toEqual(
      new TargetError(
        'Seldon Experiment fraud (namespace seldon-mesh) serves v1 100% after being asked for v1 100% (+ mirror 10% to v2)',
      ),
    );
    expect(rolledBack).toEqual({ stable: { version: 'v1' } });
    expect(await spec()).toEqual({ candidates: [{ name: 'fraud-v1', weight: 100 }] });
  });

  it('refuses a mirror Model that is not Ready, and a fractional percent, before any call', async () => {
    const target = seldonTarget({ ...config, settleTimeoutMs: 200, pollIntervalMs: 20 }, 'fraud');
    await expect(reconcile(target, mirrorOf('v1', 'v3', 10))).rejects.toThrow(NOT_READY);
    expect(await writes()).toEqual([]);
    await expect(reconcile(target, withdrawTraffic('v1'))).resolves.toEqual({ stable: { version: 'v1' } });
    const applies = async () => (await writes()).length;
    const before = await applies();
    await expect(reconcile(target, mirrorOf('v1', 'v2', 12.5))).rejects.toThrow(
      'Seldon weights are whole numbers, got 12.5 for the mirror fraud-v2',
    );
    expect(await applies()).toBe(before);
  });
});
