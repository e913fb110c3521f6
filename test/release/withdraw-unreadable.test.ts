import { describe, expect, it } from 'vitest';
import type { SeldonTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import { withdrawIfLive } from '../../src/release/finish.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { seldonTarget } from '../../src/targets/seldon-target.js';
import { fraudPr } from '../support/fraud-pr.js';
import { useStandins } from '../support/standin-server.js';
import { FAST, step } from '../targets/drive.js';
import { EXP, fraudSeldonCluster, MODEL, seldonModel } from '../targets/seldon-cluster.js';

// A retried withdrawal (the watch loop, the abort command, a later run, the PR closed, the post
// step without GitHub) read what serves before writing, and wrote nothing when that read failed:
// on Seldon, a candidate whose Model crashed leaves the Experiment not Ready, so the read threw
// "not active" and fraud-v2 kept its 10%, live again once the Model recovered. The stable-only
// state is written all the same (it only takes traffic away), and read back as any change is.

const config: SeldonTargetConfig = {
  type: 'seldon',
  namespace: 'seldon-mesh',
  modelName: '{{model}}-{{version}}',
  ...FAST,
};
const standins = useStandins('kubectl', () => fraudSeldonCluster());

/** fraud-v2's Model crashed: the operator reports it not Ready, and the Experiment with it. */
async function candidateModelCrashed() {
  const state = await standins.state();
  state.k8s[MODEL]['seldon-mesh/fraud-v2'] = seldonModel('fraud-v2', false);
  const experiment = state.k8s[EXP]['seldon-mesh/fraud'];
  for (const c of experiment.status.conditions) {
    if (c.type === 'CandidatesReady' || c.type === 'Ready') {
      Object.assign(c, { status: 'False', reason: 'Candidates not ready' });
    }
  }
  await standins.seed(state);
}

describe('a retried withdrawal on a Seldon Experiment whose candidate Model crashed', () => {
  it('takes fraud-v2 out although the Experiment cannot be read, and confirms it', async () => {
    const clock = new FakeClock();
    await reconcile(seldonTarget(config, 'fraud', clock), step('v1', 'v2', 10));
    await candidateModelCrashed();
    await expect(seldonTarget(config, 'fraud', clock).read()).rejects.toThrow(/is not active/);

    await expect(withdrawIfLive(seldonTarget(config, 'fraud', clock), 'v1', 'v2')).resolves.toEqual({
      done: 'withdrawn',
    });
    const spec = (await standins.state()).k8s[EXP]['seldon-mesh/fraud'].spec;
    expect(spec.candidates).toEqual([{ name: 'fraud-v1', weight: 100 }]);
  });
});

describe('a schedule tick retrying the withdrawal of a failed release, on any target', () => {
  /** PR #7's v2 failed and its rollback was refused: v2 keeps 10%; then writes are taken again. */
  async function failedWithRollbackRefused() {
    const w = await fraudPr({ candidateErrors: 0.2 });
    w.target.failFromWrite = 1;
    const watch = { mode: 'watch' as const, maxWaitMs: 60_000, dryRun: false };
    const [failed] = (await handlePullRequest(w.config, w.event(), w.ports, watch)).releases;
    expect(failed).toMatchObject({ status: 'failed', withdrawPending: true });
    expect(w.target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
    w.target.failFromWrite = Number.POSITIVE_INFINITY;
    return w;
  }
  const tick = { mode: 'tick' as const, maxWaitMs: 0 };

  it('writes v1 alone although reading the split fails, and records v2 withdrawn once read back', async () => {
    const w = await failedWithRollbackRefused();
    // The platform cannot describe the split while v2 is in it (a crashed candidate).
    const read = w.target.read.bind(w.target);
    w.target.read = async () => {
      if (w.target.state.canary) throw new TargetError('memory target is not active: v2 is not available');
      return read();
    };
    const [retried] = (await handleSchedule(w.config, w.ports, tick)).releases;
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    expect(retried?.withdrawPending).toBeUndefined();
    expect(retried?.reason).toMatch(/v2 withdrawn on a later try$/);
  });

  it('says the withdrawal is unconfirmed, still pending, where no read answers after the write', async () => {
    const w = await failedWithRollbackRefused();
    w.target.read = async () => {
      throw new TargetError('memory target did not answer');
    };
    const [retried] = (await handleSchedule(w.config, w.ports, tick)).releases;
    // Written all the same: v2 no longer gets traffic, though nothing confirmed it.
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    expect(retried?.withdrawPending).toBe(true);
    expect(retried?.reason).not.toMatch(/withdrawn on a later try/);
  });
});
