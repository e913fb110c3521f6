import { describe, expect, it } from 'vitest';
import type { SeldonTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { TargetBusyError } from '../../src/targets/errors.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { seldonTarget } from '../../src/targets/seldon-target.js';
import { recordWorld } from '../release/tick-record-world.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import type { PlatformState } from '../support/standin-cli.js';
import { useStandins } from '../support/standin-server.js';
import { step } from './drive.js';
import { activeConditions, EXP, MODEL, seldonModel } from './seldon-cluster.js';

// A PR's job on a Seldon Experiment that a fast scheduler reported Ready in the same second its
// spec was written (so the times alone cannot tell which came first), and an admission webhook
// that cannot be called on the first step (an outage; a webhook that denies the step outright
// refuses the request: not deployed, nothing rolled back, seldon-write-refused). The rollback to
// v1 asks for what already serves: nothing to apply, nothing for the scheduler to act on. It used to wait out the whole settle-timeout and report
// "the rollback to v1 also failed: … the Seldon scheduler has not acted on generation 3 yet", the
// withdrawal left pending (in watch mode "v2 withdrawn on a later try"), though v2 never had traffic.

const WRITTEN = '2026-01-01T00:00:00Z';
const UNCALLED =
  'Error from server (InternalError): Internal error occurred: failed calling webhook "experiment.validate.seldon.io": failed to call webhook: Post "https://seldon-webhook-service.seldon-mesh.svc:443/validate-mlops-seldon-io-v1alpha1-experiment?timeout=10s": context deadline exceeded';

/** v1 serves all of the Experiment (generation 3); Ready moved in the second its spec was written. */
function cluster(): PlatformState {
  return {
    k8s: {
      [MODEL]: {
        'seldon-mesh/fraud-v1': seldonModel('fraud-v1'),
        'seldon-mesh/fraud-v2': seldonModel('fraud-v2'),
      },
      [EXP]: {
        'seldon-mesh/fraud': {
          apiVersion: 'mlops.seldon.io/v1alpha1',
          kind: 'Experiment',
          metadata: {
            name: 'fraud',
            namespace: 'seldon-mesh',
            generation: 3,
            managedFields: [
              {
                manager: 'kubectl-client-side-apply',
                operation: 'Update',
                apiVersion: 'mlops.seldon.io/v1alpha1',
                time: WRITTEN,
                fieldsType: 'FieldsV1',
                fieldsV1: { 'f:spec': { '.': {}, 'f:candidates': {} } },
              },
            ],
          },
          spec: { candidates: [{ name: 'fraud-v1', weight: 100 }] },
          status: {
            conditions: activeConditions(WRITTEN),
          },
        },
      },
    },
  };
}

const standins = useStandins('kubectl', cluster);
const spec = async () => (await standins.state()).k8s[EXP]['seldon-mesh/fraud'].spec;

/** fraud v1 → v2 on the Experiment, its first step failed by the admission webhook, which cannot be called. */
async function job(mode: 'tick' | 'watch') {
  await standins.fault({ cli: 'kubectl', op: 'patch', kind: 'fail', times: -1, message: UNCALLED });
  const w = await recordWorld(
    '{ type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }',
    ['{ name: errors, kind: threshold, query: error-rate, max: 0.02 }'],
    new ScriptedMetrics({
      stable: { rps: 90, values: { 'error-rate': 0.005 } },
      canary: { rps: 20, values: { 'error-rate': 0.005 } },
    }),
    '{ type: seldon, namespace: seldon-mesh, model-name: "{{model}}-{{version}}", settle-timeout: 10m, poll-interval: 5s }',
  );
  w.ports.targetFor = (m) => seldonTarget(m.target as SeldonTargetConfig, m.name, w.clock);
  const started = w.clock.now();
  const result = await handlePullRequest(w.config, w.event(), w.ports, {
    mode,
    maxWaitMs: 30 * 60_000,
    dryRun: false,
  });
  const [release] = result.releases;
  return { release, took: w.clock.now() - started };
}

describe('a Seldon rollback to what already serves, after a failed step', () => {
  it('in tick mode is done at once, with nothing left to withdraw', async () => {
    const { release, took } = await job('tick');
    expect(release).toMatchObject({ status: 'failed' });
    expect(release?.withdrawPending).toBeUndefined();
    expect(release?.reason).toContain('failed calling webhook "experiment.validate.seldon.io"');
    expect(release?.reason).not.toContain('rollback to v1 also failed');
    // The step's patch is retried until its 10-minute settle-timeout (the webhook outage lasts);
    // the rollback adds nothing to that, not another settle-timeout.
    expect(took).toBe(10 * 60_000);
    expect(await spec()).toEqual({ candidates: [{ name: 'fraud-v1', weight: 100 }] });
  });

  it('in watch mode says nothing of v2 withdrawn on a later try', async () => {
    const { release } = await job('watch');
    expect(release).toMatchObject({ status: 'failed' });
    expect(release?.withdrawPending).toBeUndefined();
    expect(release?.reason).not.toContain('later try');
    expect(release?.reason).not.toContain('also failed');
  });
});

describe('a Seldon change still pending in the same second', () => {
  it('a spec written again while the scheduler has not acted on it still waits', async () => {
    // The step was written (generation 4) and the scheduler never reports it.
    await standins.seed({ ...cluster(), settleGets: 1_000 });
    const clock = new FakeClock();
    const impatient = seldonTarget(
      {
        type: 'seldon',
        namespace: 'seldon-mesh',
        modelName: '{{model}}-{{version}}',
        timeoutMs: 10_000,
        settleTimeoutMs: 200,
        pollIntervalMs: 20,
      },
      'fraud',
      clock,
    );
    await expect(reconcile(impatient, step('v1', 'v2', 10))).rejects.toThrow(TargetBusyError);
    // The same step again: nothing to apply, and Ready is still generation 3's, so it waits for
    // the scheduler (and a report during the wait would do) rather than failing on the read-back.
    await expect(reconcile(impatient, step('v1', 'v2', 10))).rejects.toThrow(
      /did not settle within 200ms: the Seldon scheduler has not acted on generation 4 yet/,
    );
    await expect(reconcile(impatient, withdrawTraffic('v1'))).rejects.toThrow(TargetBusyError);
  });
});
