import { describe, expect, it } from 'vitest';
import type { SeldonTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { withdrawIfLive } from '../../src/release/finish.js';
import { TargetBusyError, TargetRefusedError } from '../../src/targets/errors.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { appliedCheck, beforeApply, type ExperimentView } from '../../src/targets/seldon-status.js';
import { seldonTarget } from '../../src/targets/seldon-target.js';
import type { PlatformState } from '../support/standin-cli.js';
import { useStandins } from '../support/standin-server.js';
import { FAST, step } from './drive.js';
import { seldonModel } from './seldon-cluster.js';

// The Seldon Core v2 operator writes an Experiment's conditions only (from the scheduler's events,
// operator/scheduler/experiment.go), never status.observedGeneration. Until the scheduler's events
// for a changed spec come, Ready is still the previous spec's; they move it (False, then True once
// routed), so its lastTransitionTime tells the applied spec's Ready from the previous one.

const EXP = 'experiments.mlops.seldon.io';
const MODEL = 'models.mlops.seldon.io';
const config: SeldonTargetConfig = {
  type: 'seldon',
  namespace: 'seldon-mesh',
  modelName: '{{model}}-{{version}}',
  ...FAST,
};

const model = seldonModel;
const SEEDED = '2026-01-01T00:00:00Z';
const active = (type: string) => ({ type, status: 'True', lastTransitionTime: SEEDED });

/**
 * Models v1 and v2 (v3 not available), and (unless `experiment` is false) an Experiment on v1 as
 * the operator reports it.
 */
function cluster(experiment = true): PlatformState {
  return {
    k8s: {
      [MODEL]: {
        'seldon-mesh/fraud-v1': model('fraud-v1'),
        'seldon-mesh/fraud-v2': model('fraud-v2'),
        'seldon-mesh/fraud-v3': model('fraud-v3', false),
      },
      [EXP]: experiment
        ? {
            'seldon-mesh/fraud': {
              apiVersion: 'mlops.seldon.io/v1alpha1',
              kind: 'Experiment',
              metadata: { name: 'fraud', namespace: 'seldon-mesh', generation: 3 },
              spec: { candidates: [{ name: 'fraud-v1', weight: 100 }] },
              status: {
                conditions: [
                  { ...active('CandidatesReady'), reason: 'Candidates ready' },
                  { ...active('ExperimentReady'), reason: 'experiment active' },
                  { ...active('MirrorReady'), reason: 'Mirror ready' },
                  active('Ready'),
                ],
              },
            },
          }
        : {},
    },
  };
}

const standins = useStandins('kubectl');

const experimentGets = async () =>
  (await standins.calls('kubectl')).filter((c) => c.argv[0] === 'get' && c.argv[1] === EXP).length;
const readySince = async () =>
  (await standins.state()).k8s[EXP]['seldon-mesh/fraud'].status.conditions.find(
    (c: { type: string }) => c.type === 'Ready',
  ).lastTransitionTime;
const impatient = { ...config, settleTimeoutMs: 200, pollIntervalMs: 20 };

describe('seldon target on an Experiment status without observedGeneration', () => {
  it('reads what serves, runs a step that settles and reads back, and rolls it back', async () => {
    await standins.seed(cluster());
    const target = seldonTarget(config, 'fraud');
    await expect(target.read()).resolves.toEqual({ stable: { version: 'v1' } });
    await expect(reconcile(target, step('v1', 'v2', 10))).resolves.toEqual(step('v1', 'v2', 10));
    await expect(reconcile(target, withdrawTraffic('v1'))).resolves.toEqual({ stable: { version: 'v1' } });
    const { spec, status } = (await standins.state()).k8s[EXP]['seldon-mesh/fraud'];
    expect(spec).toEqual({ candidates: [{ name: 'fraud-v1', weight: 100 }] });
    expect(status).not.toHaveProperty('observedGeneration');
  });

  it('waits for a new Experiment until the scheduler reports it Ready', async () => {
    // The scheduler's first event comes after two reads; until then the Experiment has no status.
    await standins.seed({ ...cluster(false), settleGets: 2 });
    await expect(reconcile(seldonTarget(config, 'fraud'), step('v1', 'v2', 10))).resolves.toEqual(
      step('v1', 'v2', 10),
    );
    expect(await experimentGets()).toBeGreaterThanOrEqual(3);
  });
});

describe('seldon target: the previous spec still Ready is not the applied one', () => {
  // Here the scheduler's events for a change come after two reads.
  it('reports a step only once the scheduler has reported it, and a write of the same spec at once', async () => {
    await standins.seed({ ...cluster(), settleGets: 2 });
    const target = seldonTarget(config, 'fraud');
    await expect(reconcile(target, step('v1', 'v2', 10))).resolves.toEqual(step('v1', 'v2', 10));
    expect(await readySince()).not.toBe(SEEDED);
    // No new generation, so no event will come: Ready True is this spec's.
    await expect(reconcile(target, step('v1', 'v2', 10))).resolves.toEqual(step('v1', 'v2', 10));
  });

  it('refuses a candidate Model that is not Ready although the Experiment is Ready', async () => {
    await standins.seed({ ...cluster(), settleGets: 2 });
    // On a fake clock: the real one, under load, can run out inside the change command itself.
    const target = seldonTarget(impatient, 'fraud', new FakeClock());
    await expect(reconcile(target, step('v1', 'v3', 10))).rejects.toThrow(
      new TargetRefusedError(
        'Seldon Experiment fraud (namespace seldon-mesh) was not changed, so fraud-v3 got no traffic: the Seldon Model fraud-v3 is not Ready: its ModelReady condition is False (ModelFailed); see `kubectl get models.mlops.seldon.io fraud-v3 -n seldon-mesh -o yaml`, fix the Model or wait until it is Ready, then run model-gate again',
      ),
    );
  });

  it('names the Experiment and what to check when the scheduler never reports the change', async () => {
    await standins.seed({ ...cluster(), settleGets: 1_000 });
    await expect(reconcile(seldonTarget(impatient, 'fraud'), step('v1', 'v2', 10))).rejects.toThrow(
      new TargetBusyError(
        'Seldon Experiment fraud (namespace seldon-mesh) did not settle within 200ms: the Seldon scheduler has not acted on generation 4 yet (its Ready condition is still the one of 2026-01-01T00:00:00Z); check that the Seldon scheduler is running and see `kubectl get experiments.mlops.seldon.io fraud -n seldon-mesh -o yaml`; try again later',
      ),
    );
  });
});

describe('seldon target: a rollback written again is done only once the scheduler has acted on it', () => {
  const NOT_ACTED =
    'the Seldon scheduler has not acted on generation 4 yet (its Ready condition is still the one of 2026-01-01T00:00:00Z); check that the Seldon scheduler is running and see `kubectl get experiments.mlops.seldon.io fraud -n seldon-mesh -o yaml`';
  const schedulerActsNow = async () => {
    const state = await standins.state();
    state.k8s[EXP]['seldon-mesh/fraud']._sim.pendingGets = 0;
    await standins.seed(state);
  };

  it('a retry, in this job or a later one, fails while v2 may still get 10%, and is done once routed', async () => {
    // v2 at 10% (generation 3, routed); the scheduler is slow to act on the rollback.
    const seeded = cluster();
    seeded.k8s[EXP]['seldon-mesh/fraud'].spec.candidates = [
      { name: 'fraud-v1', weight: 90 },
      { name: 'fraud-v2', weight: 10 },
    ];
    await standins.seed({ ...seeded, settleGets: 1_000 });
    const clock = new FakeClock();
    const target = seldonTarget(impatient, 'fraud', clock);
    await expect(reconcile(target, withdrawTraffic('v1'))).rejects.toThrow(
      new TargetBusyError(
        `Seldon Experiment fraud (namespace seldon-mesh) did not settle within 200ms: ${NOT_ACTED}; try again later`,
      ),
    );

    // The withdrawal retry (in the job, and the post step's with a target of its own) cannot read
    // what serves, so writes v1 alone all the same: the same spec, no new generation, not done yet.
    const notDone = new TargetBusyError(
      `Seldon Experiment fraud (namespace seldon-mesh) did not settle within 200ms: ${NOT_ACTED}; try again later`,
    );
    await expect(withdrawIfLive(target, 'v1', 'v2')).rejects.toThrow(notDone);
    await expect(withdrawIfLive(seldonTarget(impatient, 'fraud', clock), 'v1', 'v2')).rejects.toThrow(
      notDone,
    );
    // Writing the same spec again changes no generation: still not done.
    await expect(reconcile(seldonTarget(impatient, 'fraud', clock), withdrawTraffic('v1'))).rejects.toThrow(
      TargetBusyError,
    );

    await schedulerActsNow();
    await expect(withdrawIfLive(seldonTarget(impatient, 'fraud', clock), 'v1', 'v2')).resolves.toEqual({
      done: 'not-live',
    });
    await expect(reconcile(target, withdrawTraffic('v1'))).resolves.toEqual({ stable: { version: 'v1' } });
  });

  it("a retry of the same spec that meets the scheduler's report during its wait is done", async () => {
    await standins.seed({ ...cluster(), settleGets: 1_000 });
    const clock = new FakeClock();
    await expect(reconcile(seldonTarget(impatient, 'fraud', clock), step('v1', 'v2', 10))).rejects.toThrow(
      TargetBusyError,
    );
    // The scheduler reports it after a few reads of the retry's wait.
    const state = await standins.state();
    state.k8s[EXP]['seldon-mesh/fraud']._sim.pendingGets = 3;
    await standins.seed(state);
    await expect(reconcile(seldonTarget(impatient, 'fraud', clock), step('v1', 'v2', 10))).resolves.toEqual(
      step('v1', 'v2', 10),
    );
  });
});

describe('seldon applied check: a report of the previous generation is not the applied one', () => {
  // Generation 4 (a step) was stored, its report not yet in; the read before the rollback sees
  // generation 3's Ready. Generation 4's report lands, then the rollback (generation 5) is applied.
  const experiment = (generation: number, readySince: string, specWritten: string): ExperimentView => ({
    metadata: {
      name: 'fraud',
      generation,
      managedFields: [{ time: specWritten, fieldsV1: { 'f:spec': {} } }],
    },
    spec: { candidates: [{ name: 'fraud-v1' }] },
    status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: readySince }] },
  });

  it("waits when Ready changed before the rollback's spec was written", () => {
    const applied = appliedCheck(
      beforeApply(experiment(4, '2026-01-01T10:00:00Z', '2026-01-01T10:05:00Z')),
      'seldon-mesh',
    );
    expect(applied(experiment(5, '2026-01-01T10:05:20Z', '2026-01-01T10:05:30Z'))).toMatchObject({
      done: false,
      why: expect.stringContaining('has not acted on generation 5 yet'),
    });
    expect(applied(experiment(5, '2026-01-01T10:05:31Z', '2026-01-01T10:05:30Z'))).toMatchObject({
      done: true,
    });
  });
});
