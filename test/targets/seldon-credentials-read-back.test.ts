import { describe, expect, it } from 'vitest';
import type { SeldonTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { UnconfirmedChange } from '../../src/release/confirmed-change.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { seldonTarget } from '../../src/targets/seldon-target.js';
import { fraudCanaryOn } from '../support/model-config.js';
import type { PlatformState } from '../support/standin-cli.js';
import { useStandins } from '../support/standin-server.js';
import { platformError } from '../support/standins/platform-error.js';
import { step } from './drive.js';
import { type ReadBackPlatform, removing, rollBackThen, rollBackWhileReadsFail } from './read-back-world.js';
import { EXP, fraudExperimentAtV1, MODEL, seldonModel } from './seldon-cluster.js';

// A rollback on Seldon whose read-back the cluster refused for kubectl's credentials (a Role
// without `get` on Experiments, a kubeconfig token expiring right after the change) was read again
// every poll-interval for the whole settle-timeout (10m here), then reported as an unconfirmed
// change. Waiting grants no RBAC rule: the rollback fails after one read, in the API server's
// words, saying to fix the credentials. An API server that cannot answer for now is still waited
// out. Time runs on a FakeClock; kubectl is the stand-in.
// Likewise an Experiment that is not there (deleted right after the change) was a generic failure:
// a read-back waited out the settle-timeout on it. Waiting brings no Experiment back: it stops at
// once, saying to check the names in the config (or create it). A cluster without Seldon (a context
// naming another cluster) fails a traffic change at once, saying the same.

/** fraud's Experiment: v1 serves all of it; Models fraud-v1 and fraud-v2 are available. */
function cluster(): PlatformState {
  return {
    k8s: {
      [MODEL]: {
        'seldon-mesh/fraud-v1': seldonModel('fraud-v1'),
        'seldon-mesh/fraud-v2': seldonModel('fraud-v2'),
      },
      [EXP]: {
        'seldon-mesh/fraud': fraudExperimentAtV1(),
      },
    },
  };
}

const standins = useStandins('kubectl', cluster);

const seldon: ReadBackPlatform = {
  standins,
  cli: 'kubectl',
  target:
    '{ type: seldon, namespace: seldon-mesh, model-name: "{{model}}-{{version}}", settle-timeout: 10m, poll-interval: 10s }',
  make: (model, clock) => seldonTarget(model.target as SeldonTargetConfig, 'fraud', clock),
  isRead: (argv) => argv[0] === 'get',
};

describe('a rollback on Seldon whose read-back the cluster refuses', () => {
  it('for an RBAC rule it lacks: fails after one read, at once, in the API server words, saying to fix the credentials', async () => {
    const { err, tookMs, reads } = await rollBackWhileReadsFail(
      seldon,
      platformError(
        'kubectl',
        'get',
        'Forbidden',
        'experiments.mlops.seldon.io "fraud" is forbidden: User "system:serviceaccount:ci:deployer" cannot get resource "experiments" in API group "mlops.seldon.io" in the namespace "seldon-mesh"',
      ),
    );
    expect(err).not.toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toMatch(
      /^`kubectl get experiments\.mlops\.seldon\.io fraud -n seldon-mesh .*` failed \(exit 1\) on .*: Error from server \(Forbidden\): experiments\.mlops\.seldon\.io "fraud" is forbidden: User "system:serviceaccount:ci:deployer" cannot get resource "experiments" .*; check the credentials `kubectl` runs with in the job: expired, or without the permission$/,
    );
    expect(tookMs).toBe(0);
    expect(reads).toBe(1);
  });

  // kubectl prints the API server's reason: older servers say Unauthorized, newer ones (EKS) more.
  it.each(['Unauthorized', 'the server has asked for the client to provide credentials'])(
    'for an expired token (%s): fails after one read, at once, saying to fix the credentials',
    async (reason) => {
      const { err, tookMs, reads } = await rollBackWhileReadsFail(
        seldon,
        platformError('kubectl', 'get', 'Unauthorized', reason),
      );
      expect(err).not.toBeInstanceOf(UnconfirmedChange);
      expect((err as Error).message).toContain(
        `: error: You must be logged in to the server (${reason}); check the credentials \`kubectl\` runs with in the job: expired, or without the permission`,
      );
      expect(tookMs).toBe(0);
      expect(reads).toBe(1);
    },
  );

  it('for an API server that cannot answer for now: keeps reading until settle-timeout, then reports the change unconfirmed', async () => {
    const { err, tookMs, reads } = await rollBackWhileReadsFail(
      seldon,
      platformError(
        'kubectl',
        'get',
        'ServiceUnavailable',
        'the server is currently unable to handle the request (get experiments.mlops.seldon.io fraud)',
      ),
    );
    expect(err).toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toContain('Error from server (ServiceUnavailable)');
    expect(tookMs).toBeGreaterThanOrEqual(10 * 60_000);
    expect(reads).toBeGreaterThan(5);
  });
});

describe('a rollback on Seldon whose Experiment is gone', () => {
  it('fails after one read, at once, saying to check the names in the config or create it', async () => {
    const { err, tookMs, reads } = await rollBackThen(
      seldon,
      removing(standins, (state) => delete state.k8s[EXP]['seldon-mesh/fraud']),
    );
    expect(err).not.toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toContain(
      "Seldon Experiment fraud (namespace seldon-mesh) does not exist: check the names in the target's config (experiment, namespace, context), or create it first with the stable Model at 100%",
    );
    expect(tookMs).toBe(0);
    expect(reads).toBe(1);
  });
});

describe('a traffic change on Seldon in a cluster without Seldon', () => {
  it('fails at once, changing nothing, in kubectl words, saying to check the names in the config', async () => {
    await standins.seed({ ...cluster(), k8sWithout: [EXP] });
    const model = fraudCanaryOn(seldon.target).model;
    const err = await reconcile(seldon.make(model, new FakeClock()), step('v1', 'v2', 10)).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(
      /^`kubectl get experiments\.mlops\.seldon\.io fraud -n seldon-mesh .*` failed \(exit 1\) on Seldon Experiment fraud \(namespace seldon-mesh\): error: the server doesn't have a resource type "experiments\.mlops\.seldon\.io"; check the names in the target's config: the platform has no such resource$/,
    );
    expect((await standins.calls('kubectl')).filter((c) => c.argv[0] === 'apply')).toEqual([]);
  });
});
