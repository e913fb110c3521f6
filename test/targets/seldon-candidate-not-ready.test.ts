import { describe, expect, it } from 'vitest';
import type { SeldonTargetConfig } from '../../src/config/types.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { seldonTarget } from '../../src/targets/seldon-target.js';
import { recordWorld } from '../release/tick-record-world.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { useStandins } from '../support/standin-server.js';
import { FAST, step } from './drive.js';
import { EXP, fraudExperimentAtV1, MODEL, seldonModel } from './seldon-cluster.js';

// A PR's candidate whose Seldon Model is not Ready (it failed to load). The first step was applied
// all the same: the scheduler kept the changed Experiment inactive, the job waited its whole
// settle-timeout (10 minutes), then rolled back saying "fraud-v1, fraud-v2 are not all available"
// though only fraud-v2 was down. It is refused before any change now, naming fraud-v2 and the
// command to inspect it, and the release says v2 was not deployed and got no traffic.

const standins = useStandins('kubectl', () => ({
  k8s: {
    [MODEL]: {
      'seldon-mesh/fraud-v1': seldonModel('fraud-v1'),
      'seldon-mesh/fraud-v2': seldonModel('fraud-v2', false),
    },
    [EXP]: { 'seldon-mesh/fraud': fraudExperimentAtV1() },
  },
}));

describe('a Seldon candidate whose Model is not Ready', () => {
  it('is refused at once, before any change, as not deployed, naming only fraud-v2 and how to inspect it', async () => {
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
    const [release] = (
      await handlePullRequest(w.config, w.event(), w.ports, {
        mode: 'watch',
        maxWaitMs: 30 * 60_000,
        dryRun: false,
      })
    ).releases;

    expect(w.clock.now() - started).toBeLessThan(60_000);
    expect(release).toMatchObject({ status: 'failed', ending: { firstChangeRefused: 'request' } });
    expect(release?.reason).toMatch(/^v2 was not deployed and got no traffic: /);
    expect(release?.reason).toContain(
      'the Seldon Model fraud-v2 is not Ready: its ModelReady condition is False (ModelFailed); see `kubectl get models.mlops.seldon.io fraud-v2 -n seldon-mesh -o yaml`',
    );
    expect(release?.reason).not.toContain('fraud-v1');
    const changes = (await standins.calls('kubectl')).filter((c) => c.argv[0] !== 'get');
    expect(changes).toEqual([]);
    expect((await standins.state()).k8s[EXP]['seldon-mesh/fraud'].spec).toEqual({
      candidates: [{ name: 'fraud-v1', weight: 100 }],
    });
  });

  it('is not checked where the credentials may not read Models: the change goes ahead as before', async () => {
    const state = await standins.state();
    state.k8s[MODEL]['seldon-mesh/fraud-v2'] = seldonModel('fraud-v2');
    await standins.seed(state);
    await standins.fault({
      cli: 'kubectl',
      op: `get ${MODEL}`,
      kind: 'fail',
      times: -1,
      code: 'Forbidden',
      message: `models.mlops.seldon.io "fraud-v2" is forbidden: User "system:serviceaccount:ci:model-gate" cannot get resource "models" in API group "mlops.seldon.io" in the namespace "seldon-mesh"`,
    });
    const target = seldonTarget(
      { type: 'seldon', namespace: 'seldon-mesh', modelName: '{{model}}-{{version}}', ...FAST },
      'fraud',
    );
    await expect(reconcile(target, step('v1', 'v2', 10))).resolves.toEqual(step('v1', 'v2', 10));
  });
});
