import { describe, expect, it } from 'vitest';
import type { KServeTargetConfig, SeldonTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import { changeDeadline, DEADLINE_GRACE_MS } from '../../src/targets/change-deadline.js';
import { TargetAccessError, TargetBusyError } from '../../src/targets/errors.js';
import { kserveTarget } from '../../src/targets/kserve-target.js';
import { callCli } from '../../src/targets/platform-cli.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { seldonTarget } from '../../src/targets/seldon-target.js';
import { knownOf } from '../../src/targets/target.js';
import { useStandins } from '../support/standin-server.js';
import { step } from './drive.js';
import { ISVC, servingV1 } from './kserve-cluster.js';
import { EXP, fraudSeldonCluster } from './seldon-cluster.js';

// settle-timeout is the most one traffic change may take, from before its change command
// (`kubectl patch`, `kubectl apply`) to the end of the wait after it: a watch job's lease and
// max-wait count on it. Time runs on a FakeClock against the stand-in kubectl.

const timing = { timeoutMs: 10_000, settleTimeoutMs: 60_000, pollIntervalMs: 5_000 };
const config: KServeTargetConfig = {
  type: 'kserve',
  namespace: 'ml',
  storageUri: 'gs://models/{{model}}/{{version}}',
  ...timing,
};

const standins = useStandins('kubectl');
const calls = async (op: string) =>
  (await standins.calls('kubectl')).filter((c) => `${c.argv[0]} ${c.argv[1]}` === op).length;

describe('kserve target: one settle-timeout from before the patch to the end of the rollout', () => {
  it('gives up 1m after the change began when the patch waited 40s on a conflict first', async () => {
    // Another writer holds the InferenceService for 40 s; then KServe never rolls the patch out.
    await standins.seed(servingV1({}, 1_000));
    await standins.fault({ cli: 'kubectl', op: `patch ${ISVC}`, kind: 'conflict', times: 8 });
    const clock = new FakeClock();
    const t0 = clock.now();
    const err = await reconcile(kserveTarget(config, 'fraud', clock), step('v1', 'v2', 10)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TargetBusyError);
    expect((err as Error).message).toMatch(
      /^KServe InferenceService fraud \(namespace ml\) did not settle within 1m: it is still rolling out/,
    );
    expect(clock.now() - t0).toBe(60_000);
    // One look before the patch; nine patches, every 5 s from 0 to 40 s; then a look every 5 s
    // from 40 s to the change's deadline.
    expect(await calls(`patch ${ISVC}`)).toBe(9);
    expect(await calls(`get ${ISVC}`)).toBe(1 + 5);
  });
});

describe('a CLI command of a traffic change', () => {
  it('is stopped when the change’s time is up, whatever its own timeout, naming settle-timeout', async () => {
    await standins.seed(servingV1({}, 0));
    await standins.fault({ cli: 'kubectl', op: `patch ${ISVC}`, kind: 'timeout', times: 1 });
    const clock = new FakeClock();
    const change = changeDeadline(timing.settleTimeoutMs, clock);
    // The change has used its settle-timeout and all of the grace but 300 ms.
    clock.advance(timing.settleTimeoutMs + DEADLINE_GRACE_MS - 300);
    const cli = {
      program: 'kubectl',
      description: 'KServe InferenceService fraud',
      classify: () => 'failed' as const,
    };
    const patch = ['patch', ISVC, 'fraud', '-n', 'ml', '--type', 'merge', '-p', '{}'];
    await expect(
      callCli(cli, patch, { ...timing, timeoutMs: 20_000 }, clock, { waitWhileBusy: true, deadline: change }),
    ).rejects.toThrow(
      `\`kubectl patch ${ISVC} fraud -n ml --type merge -p "{}"\` did not finish within 300ms, the time left of the traffic change's settle-timeout (1m); it was stopped (raise the target's settle-timeout if the platform is just slow)`,
    );

    // Past the grace, it is not run at all.
    clock.advance(300);
    await expect(callCli(cli, patch, timing, clock, { deadline: change })).rejects.toThrow(
      `\`kubectl patch ${ISVC} fraud -n ml --type merge -p "{}"\` was not made: the traffic change's settle-timeout (1m) had run out; raise the target's settle-timeout if the platform is just slow`,
    );
    expect(await calls(`patch ${ISVC}`)).toBe(1);
  });
});

// A poll interval that does not divide settle-timeout: the last poll before the deadline falls 4 s
// short of it (56 s of 1m), and every wait there is cut to end at the deadline, for a last try on it.
const offGrid: KServeTargetConfig = { ...config, pollIntervalMs: 7_000 };
const askedFor = step('v1', 'v2', 10);

/** A patch refused as conflicting `conflicts` times, every 7 s from 0; its read-back, and when it came. */
async function patchedAfterConflicts(conflicts: number, clock: FakeClock) {
  await standins.fault({ cli: 'kubectl', op: `patch ${ISVC}`, kind: 'conflict', times: conflicts });
  const readBack = await kserveTarget(offGrid, 'fraud', clock).write(askedFor);
  if (!readBack) throw new Error('the kserve target returns a read-back from write');
  return readBack;
}

const throttledGet = (times: number) =>
  standins.fault({ cli: 'kubectl', op: `get ${ISVC}`, kind: 'throttle', times });
const getLine = `\`kubectl get ${ISVC} fraud -n ml -o json\``;
const rateLimited = (tries: string) =>
  `KServe InferenceService fraud (namespace ml) kept refusing ${getLine} for rate limits after ${tries}, when the traffic change's settle-timeout (1m) ran out: Error from server (TooManyRequests)`;

describe('a traffic change near its deadline, polled every 7s within a 1m settle-timeout', () => {
  it('retries a read-back throttled with 4s left at the deadline, and reads the change back', async () => {
    await standins.seed(servingV1({}, 0));
    const clock = new FakeClock();
    const t0 = clock.now();
    const readBack = await patchedAfterConflicts(8, clock);
    expect(clock.now() - t0).toBe(56_000); // the patch went through with 4 s left
    await throttledGet(1);
    await expect(readBack(knownOf(askedFor))).resolves.toEqual(askedFor);
    expect(clock.now() - t0).toBe(60_000);
  });

  it('says the rate limit outlasted the change only when it did, counting the tries', async () => {
    await standins.seed(servingV1({}, 0));
    const clock = new FakeClock();
    const readBack = await patchedAfterConflicts(8, clock);
    await throttledGet(2); // at 56 s and again at the deadline
    const err = await readBack(knownOf(askedFor)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetError);
    expect((err as Error).message).toContain(rateLimited('2 tries'));
    expect((err as Error).message).toMatch(
      /; try again later, or raise the target's settle-timeout to retry for longer$/,
    );
  });

  it('makes a patch refused as conflicting until 56s once more at the deadline', async () => {
    await standins.seed(servingV1({}, 0));
    const clock = new FakeClock();
    const t0 = clock.now();
    const readBack = await patchedAfterConflicts(9, clock); // 0, 7, ..., 56 s; through at 60 s
    expect(clock.now() - t0).toBe(60_000);
    await expect(readBack(knownOf(askedFor))).resolves.toEqual(askedFor);

    // A read-back throttled at the deadline has no time for another try: it says so, in good English.
    await standins.seed(servingV1({}, 0));
    const late = await patchedAfterConflicts(9, clock);
    await throttledGet(1);
    await expect(late(knownOf(askedFor))).rejects.toThrow(rateLimited('1 try'));
  });

  it('takes a last look at the deadline, and sees a rollout that settled by then', async () => {
    // KServe acts on the patch at the 10th read: looks every 7 s would see it at 63 s, past the deadline.
    await standins.seed(servingV1({}, 9));
    const clock = new FakeClock();
    const t0 = clock.now();
    await expect(reconcile(kserveTarget(offGrid, 'fraud', clock), askedFor)).resolves.toEqual(askedFor);
    expect(clock.now() - t0).toBe(60_000);
  });

  it('gives up on a rollout that never settles at the deadline, not a poll before it', async () => {
    await standins.seed(servingV1({}, 1_000));
    const clock = new FakeClock();
    const t0 = clock.now();
    const err = await reconcile(kserveTarget(offGrid, 'fraud', clock), askedFor).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetBusyError);
    expect((err as Error).message).toMatch(
      /^KServe InferenceService fraud \(namespace ml\) did not settle within 1m: it is still rolling out/,
    );
    expect(clock.now() - t0).toBe(60_000);
  });
});

// An API server failing for a moment (a control-plane restart or upgrade, etcd timing out) during
// an hours-long canary failed the step at once, and the release was rolled back with only kubectl's
// words. A get reads and a merge patch sets the same fields however often it lands, so both are
// tried again after a pause, as a throttled call is, within the change's settle-timeout; a failure
// that outlasts the retries says what to do. kubectl with no kubeconfig (localhost:8080) is not
// such a failure: no wait gives the runner a cluster.

const seldonConfig: SeldonTargetConfig = {
  type: 'seldon',
  namespace: 'seldon-mesh',
  modelName: '{{model}}-{{version}}',
  ...timing,
};

const SERVICE_UNAVAILABLE = {
  code: 'ServiceUnavailable',
  message: 'the server is currently unable to handle the request',
};
const CONNECTION_REFUSED =
  'The connection to the server 10.0.0.1:6443 was refused - did you specify the right host or port?';
const NO_KUBECONFIG =
  'The connection to the server localhost:8080 was refused - did you specify the right host or port?';
const NO_ANSWER =
  "; the cluster's API server did not answer (restarting, upgrading or overloaded): check the cluster, then try again";
const NO_CLUSTER = '; no cluster configured for kubectl: set up the kubeconfig in an earlier step';

for (const platform of [
  {
    name: 'KServe',
    resource: ISVC,
    seed: () => servingV1({}, 0),
    make: (clock: FakeClock) => kserveTarget(config, 'fraud', clock),
  },
  {
    name: 'Seldon',
    resource: EXP,
    seed: () => fraudSeldonCluster(),
    make: (clock: FakeClock) => seldonTarget(seldonConfig, 'fraud', clock),
  },
]) {
  const patchOp = `patch ${platform.resource}`;
  const getOp = `get ${platform.resource}`;

  describe(`${platform.name} target: the API server failing in passing during a step`, () => {
    it('a patch answered ServiceUnavailable once is made again after a pause, and the step takes its weight', async () => {
      await standins.seed(platform.seed());
      await standins.fault({ cli: 'kubectl', op: patchOp, kind: 'fail', times: 1, ...SERVICE_UNAVAILABLE });
      const clock = new FakeClock();
      const t0 = clock.now();
      await expect(reconcile(platform.make(clock), step('v1', 'v2', 10))).resolves.toEqual(
        step('v1', 'v2', 10),
      );
      expect(await calls(patchOp)).toBe(2);
      expect(clock.now() - t0).toBe(timing.pollIntervalMs); // one pause, then the same patch
    });

    it('a get refused its connection once is read again, and the step takes its weight', async () => {
      await standins.seed(platform.seed());
      await standins.fault({
        cli: 'kubectl',
        op: getOp,
        kind: 'fail',
        times: 1,
        message: CONNECTION_REFUSED,
      });
      await expect(reconcile(platform.make(new FakeClock()), step('v1', 'v2', 10))).resolves.toEqual(
        step('v1', 'v2', 10),
      );
      expect(await calls(patchOp)).toBe(1);
    });

    it('an API server that stays unavailable fails the step within its settle-timeout, saying what to do', async () => {
      await standins.seed(platform.seed());
      await standins.fault({ cli: 'kubectl', op: patchOp, kind: 'fail', times: -1, ...SERVICE_UNAVAILABLE });
      const clock = new FakeClock();
      const t0 = clock.now();
      const err = await reconcile(platform.make(clock), step('v1', 'v2', 10)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TargetError);
      expect(err).not.toBeInstanceOf(TargetAccessError);
      expect((err as Error).message).toMatch(
        /, still after 5 tries: Error from server \(ServiceUnavailable\)/,
      );
      expect((err as Error).message).toContain(
        `the server is currently unable to handle the request${NO_ANSWER}`,
      );
      expect(await calls(patchOp)).toBe(5);
      expect(clock.now() - t0).toBe(timing.settleTimeoutMs); // the last try on the deadline
    });

    it('kubectl with no kubeconfig (localhost:8080) fails at once, saying to set one up', async () => {
      await standins.seed(platform.seed());
      await standins.fault({ cli: 'kubectl', op: getOp, kind: 'fail', times: -1, message: NO_KUBECONFIG });
      const clock = new FakeClock();
      const t0 = clock.now();
      const err = await reconcile(platform.make(clock), step('v1', 'v2', 10)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TargetAccessError);
      expect((err as Error).message).toContain(`: ${NO_KUBECONFIG}${NO_CLUSTER}`);
      expect((err as Error).message).not.toContain('API server did not answer');
      expect(await calls(getOp)).toBe(1);
      expect(await calls(patchOp)).toBe(0);
      expect(clock.now()).toBe(t0);
    });
  });
}
