import { describe, expect, it } from 'vitest';
import type { KServeTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { TargetBusyError } from '../../src/targets/errors.js';
import { kserveTarget } from '../../src/targets/kserve-target.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { useStandins } from '../support/standin-server.js';
import { FAST, step } from './drive.js';
import { ISVC, servingV1 } from './kserve-cluster.js';

// Knative routes KServe's `latest` target to the latest *Ready* revision. A patch that makes a new
// revision while a candidate's revision (newer than the rolled-out one) is Ready would hand the
// candidate the new revision's share until that one has pulled its model and started: minutes.

const config: KServeTargetConfig = {
  type: 'kserve',
  namespace: 'ml',
  storageUri: 'gs://models/{{model}}/{{version}}',
  ...FAST,
};
// Every target runs on a FakeClock: the stand-in's KServe acts on reads, not time, so a slow machine
// still makes every look a change has before its deadline (on real time, a loaded one gave up on
// the 100% step's pin before KServe had acted on it).
const kserve = (timing: KServeTargetConfig = config) => kserveTarget(timing, 'fraud', new FakeClock());
/** For the changes that cannot settle here (a revision that never starts): gives up sooner. */
const impatient = () => kserve({ ...config, settleTimeoutMs: 1_000, pollIntervalMs: 200 });

const standins = useStandins('kubectl', () => servingV1());

const traffic = async () => {
  const predictor = (await standins.state()).k8s[ISVC]['ml/fraud'].status.components.predictor;
  return predictor.traffic.map((t: { revisionName: string; percent: number }) => [t.revisionName, t.percent]);
};
const patches = async () =>
  (await standins.calls('kubectl'))
    .filter((c) => c.argv[0] === 'patch')
    .map((c) => JSON.parse(c.argv.at(-1) ?? '').spec.predictor);

/** From now on a new revision takes `reads` reads to start, as a model download does. */
async function revisionsStartAfter(reads: number) {
  const state = await standins.state();
  state.k8s[ISVC]['ml/fraud']._sim.startGets = reads;
  await standins.seed(state);
}

/** The revision still starting gets Ready on the next read. */
async function startingRevisionGetsReady() {
  const state = await standins.state();
  state.k8s[ISVC]['ml/fraud']._sim.starting = 1;
  await standins.seed(state);
}

/** v2 rolled out (revision 00002), PR #3's v3 (00003) at 25% over it. */
async function v3CanaryOverV2() {
  const target = kserve();
  await reconcile(target, step('v1', 'v2', 10));
  await reconcile(target, withdrawTraffic('v2'));
  await expect(reconcile(target, step('v2', 'v3', 25))).resolves.toEqual(step('v2', 'v3', 25));
  expect(await traffic()).toEqual([
    ['fraud-predictor-00003', 25],
    ['fraud-predictor-00002', 75],
  ]);
}

describe('kserve target: a new revision while a candidate revision is Ready', () => {
  it('rolls back to v1 without v3 taking any traffic while v1 starts', async () => {
    await v3CanaryOverV2();
    await revisionsStartAfter(1_000);

    const rollback = await reconcile(impatient(), withdrawTraffic('v1')).catch((e: unknown) => e);
    // v1's revision is still starting: v3 lost its share at once, v2 serves all traffic meanwhile.
    expect(await traffic()).toEqual([
      ['fraud-predictor-00003', 0],
      ['fraud-predictor-00002', 100],
    ]);
    expect(rollback).toBeInstanceOf(TargetBusyError);
    expect((rollback as Error).message).toContain(
      "v1's revision gets its share only once Ready: meanwhile v2, the last rolled-out revision, serves all live traffic and v3 none; try again later",
    );
    expect(await patches()).toEqual([
      {
        canaryTrafficPercent: 0,
        model: { storageUri: 'gs://models/fraud/v1' },
        annotations: { 'model-gate.dev/version': 'v1' },
      },
    ]);

    // Once v1's revision is Ready, running the rollback again moves all traffic to it.
    await startingRevisionGetsReady();
    await expect(reconcile(kserve(), withdrawTraffic('v1'))).resolves.toEqual({
      stable: { version: 'v1' },
    });
    expect(await traffic()).toEqual([['fraud-predictor-00004', 100]]);
  });

  it('finishes the rollback in one change when v1 starts within settle-timeout', async () => {
    await v3CanaryOverV2();
    await revisionsStartAfter(3);

    await expect(reconcile(kserve(), withdrawTraffic('v1'))).resolves.toEqual({
      stable: { version: 'v1' },
    });
    expect(await patches()).toEqual([
      {
        canaryTrafficPercent: 0,
        model: { storageUri: 'gs://models/fraud/v1' },
        annotations: { 'model-gate.dev/version': 'v1' },
      },
      { canaryTrafficPercent: null },
    ]);
    expect(await traffic()).toEqual([['fraud-predictor-00004', 100]]);
  });

  it('takes a candidate at a 100% step off at once before rolling back past it', async () => {
    const target = kserve();
    await reconcile(target, step('v1', 'v2', 10));
    await reconcile(target, withdrawTraffic('v2'));
    await expect(reconcile(target, step('v2', 'v3', 100))).resolves.toEqual(step('v2', 'v3', 100));
    await revisionsStartAfter(1_000);

    // KServe splits a 0% only against a revision rolled out before v3: the pin goes first, alone.
    await expect(reconcile(impatient(), withdrawTraffic('v1'))).rejects.toThrow(TargetBusyError);
    expect(await traffic()).toEqual([
      ['fraud-predictor-00003', 0],
      ['fraud-predictor-00002', 100],
    ]);
    expect((await patches()).map((p) => p.canaryTrafficPercent)).toEqual([0, 0]);

    await startingRevisionGetsReady();
    await expect(reconcile(target, withdrawTraffic('v1'))).resolves.toEqual({ stable: { version: 'v1' } });
  });

  it("gives a withdrawn candidate none of the next candidate's share while that one starts", async () => {
    const target = kserve();
    await reconcile(target, step('v1', 'v2', 10));
    await reconcile(target, withdrawTraffic('v2'));
    await reconcile(target, step('v2', 'v3', 10));
    // PR #3 closed: v3 withdrawn, its revision still the latest.
    await expect(reconcile(target, withdrawTraffic('v2'))).resolves.toEqual(step('v2', 'v3', 0));
    await revisionsStartAfter(1_000);

    // PR #4's v4 at 10%: v3 must not take those 10% while v4's revision starts.
    await expect(reconcile(impatient(), step('v2', 'v4', 10))).rejects.toThrow(TargetBusyError);
    expect(await traffic()).toEqual([
      ['fraud-predictor-00003', 0],
      ['fraud-predictor-00002', 100],
    ]);

    await startingRevisionGetsReady();
    await expect(reconcile(target, step('v2', 'v4', 10))).resolves.toEqual(step('v2', 'v4', 10));
    expect(await traffic()).toEqual([
      ['fraud-predictor-00004', 10],
      ['fraud-predictor-00002', 90],
    ]);
  });
});
