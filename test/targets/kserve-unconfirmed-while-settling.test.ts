import { describe, expect, it } from 'vitest';
import type { KServeTargetConfig } from '../../src/config/types.js';
import { UnconfirmedChange } from '../../src/release/confirmed-change.js';
import { TargetAccessError, TargetBusyError } from '../../src/targets/errors.js';
import { kserveTarget } from '../../src/targets/kserve-target.js';
import { useStandins } from '../support/standin-server.js';
import { platformError } from '../support/standins/platform-error.js';
import { ISVC, servingV1 } from './kserve-cluster.js';
import type { ReadBackPlatform } from './read-back-world.js';
import { rollBackWhileSettling } from './reads-fail-while-settling.js';

// A rollback the API server took (`kubectl patch` answered: canaryTrafficPercent 0) whose
// `kubectl get` calls then failed while the target waited for KServe to route all traffic to v1
// (the API server throttling, a 5xx, an internal error) was reported "the rollback also failed",
// the read's error as the write's, though KServe was rolling it back. As on the http target, it
// ends unconfirmed (probably rolled back, pending until a read confirms it) after reading again
// until the settle-timeout. Credentials refused still fail at once, and a rollout still under way
// at the deadline is still busy. kubectl is the stand-in (KServe acting on a change one read after
// it); time runs on a FakeClock.

const standins = useStandins('kubectl', () => servingV1({}, 1));

const kserve: ReadBackPlatform = {
  standins,
  cli: 'kubectl',
  target:
    '{ type: kserve, namespace: ml, storage-uri: "gs://models/{{model}}/{{version}}", settle-timeout: 10m, poll-interval: 10s }',
  make: (model, clock) => kserveTarget(model.target as KServeTargetConfig, 'fraud', clock),
  isRead: (argv) => argv[0] === 'get',
};
const isPatch = (argv: string[]) => argv[0] === 'patch';

/** The rollback to v1, `times` `kubectl get` calls (-1: all) failing with `code` once the API server took it. */
const rollBackWhileGetsFail = (code: string, message: string, times = -1) =>
  rollBackWhileSettling(kserve, isPatch, () =>
    standins.fault(platformError('kubectl', 'get', code, message, times)),
  );

/** The canaryTrafficPercent the InferenceService's spec asks for now. */
const canaryPercent = async () =>
  (await standins.state()).k8s[ISVC]['ml/fraud'].spec.predictor.canaryTrafficPercent;

describe('a rollback the API server took, its gets failing while the target waits for KServe', () => {
  it.each([
    [
      'an internal error (HTTP 500)',
      'InternalError',
      'an error on the server ("etcdserver: leader changed") has prevented the request from succeeding',
    ],
    [
      'the API server unavailable (HTTP 503)',
      'ServiceUnavailable',
      'the server is currently unable to handle the request',
    ],
  ])(
    'for %s until its settle-timeout: unconfirmed, not failed, quoting the last read',
    async (_, code, message) => {
      const { err, tookMs, reads, happened } = await rollBackWhileGetsFail(code, message);
      expect(happened).toBe(true);
      expect(err).toBeInstanceOf(UnconfirmedChange);
      expect((err as Error).message).toMatch(
        /^KServe InferenceService fraud \(namespace ml\) accepted the change to v1 100% but never confirmed it: /,
      );
      expect((err as Error).message).toContain(`Error from server (${code}): ${message}`);
      expect(await canaryPercent()).toBe(0); // the API server has the rollback
      expect(tookMs).toBeGreaterThanOrEqual(10 * 60_000);
      expect(reads).toBeGreaterThan(5);
    },
  );

  it('for rate limits until its settle-timeout: unconfirmed, not failed', async () => {
    const { err, tookMs } = await rollBackWhileSettling(kserve, isPatch, () =>
      standins.fault({ cli: 'kubectl', op: 'get', kind: 'throttle', times: -1 }),
    );
    expect(err).toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toContain('TooManyRequests');
    expect(tookMs).toBeGreaterThanOrEqual(10 * 60_000);
  });

  it('for a while, then answering again: the rollback is confirmed', async () => {
    const { err, happened } = await rollBackWhileGetsFail(
      'InternalError',
      'etcdserver: request timed out',
      3,
    );
    expect(happened).toBe(true);
    expect(err).toBeUndefined();
    expect(await canaryPercent()).toBe(0);
  });

  it('for its credentials: fails at once, as that, never unconfirmed', async () => {
    const { err, reads } = await rollBackWhileGetsFail(
      'Forbidden',
      'inferenceservices.serving.kserve.io "fraud" is forbidden: User "system:serviceaccount:ci:deployer" cannot get resource "inferenceservices" in API group "serving.kserve.io" in the namespace "ml"',
    );
    expect(err).toBeInstanceOf(TargetAccessError);
    expect(err).not.toBeInstanceOf(UnconfirmedChange);
    expect(reads).toBe(1);
  });
});

describe('a rollback the API server took, KServe not acting on it by its settle-timeout, every get answering', () => {
  it('fails as busy, never unconfirmed', async () => {
    const { err, happened } = await rollBackWhileSettling(kserve, isPatch, async () => {
      const state = await standins.state();
      state.settleGets = 10_000;
      state.k8s[ISVC]['ml/fraud']._sim.pendingGets = 10_000;
      await standins.seed(state);
    });
    expect(happened).toBe(true);
    expect(err).toBeInstanceOf(TargetBusyError);
    expect(err).not.toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toMatch(
      /did not settle within 10m: it does not yet route all traffic to v1/,
    );
  });
});
