import { describe, expect, it } from 'vitest';
import { handleCommand } from '../../src/release/commands.js';
import { canaryOnTarget, prReleaseWorld } from '../support/pr-release-world.js';
import { useStandins } from '../support/standin-server.js';
import { ENDPOINT_KEY, fraudEndpointState } from '../targets/sagemaker-canary-world.js';

// A rollback's weights update SageMaker applies only in part (fault `partial`: the first variant's
// weight alone) leaves bad v2 with half the traffic. It used to fail at once, asking to "run the
// rollback again once the platform answers" (it had answered) and printing the split twice in two
// orders. The same change is idempotent: it is sent once more; partly again, the run says so.
const standins = useStandins('aws', fraudEndpointState);

async function promotedV2() {
  const w = await prReleaseWorld(
    canaryOnTarget(
      '{ type: sagemaker, endpoint: fraud-endpoint, region: us-east-1, variant: "fraud-{{version}}", timeout: 10s, settle-timeout: 2s, poll-interval: 10ms }',
    ),
  );
  expect(await w.release(2, 'v1', 'v2')).toEqual(['ready', 'promoted']);
  const rollback = () =>
    handleCommand(
      w.config,
      'rollback',
      { model: 'fraud', dryRun: false, trigger: 'workflow_dispatch' },
      w.ports,
    );
  const weights = async () =>
    Object.fromEntries(
      (await standins.state()).sagemaker[ENDPOINT_KEY].ProductionVariants.map(
        (v: { VariantName: string; CurrentWeight: number }) => [v.VariantName, v.CurrentWeight],
      ),
    );
  const updates = async () =>
    (await standins.calls('aws')).filter((c) => c.argv[1] === 'update-endpoint-weights-and-capacities');
  return { ...w, rollback, weights, updates };
}

describe('a rollback SageMaker applies only in part', () => {
  it('is sent once more, and recorded when that one takes', async () => {
    const w = await promotedV2();
    const sent = (await w.updates()).length;
    await standins.fault({
      cli: 'aws',
      op: 'update-endpoint-weights-and-capacities',
      kind: 'partial',
      times: 1,
    });

    const result = await w.rollback();

    expect(result.rollbacks).toMatchObject([{ kind: 'rollback', previous: 'v2', version: 'v1' }]);
    expect(await w.weights()).toEqual({ 'fraud-v1': 100, 'fraud-v2': 0 });
    expect((await w.updates()).length - sent).toBe(2);
  });

  it('partly again: says so, with the split once, and to run the rollback again now', async () => {
    const w = await promotedV2();
    await standins.fault({
      cli: 'aws',
      op: 'update-endpoint-weights-and-capacities',
      kind: 'partial',
      times: 2,
    });

    const error = await w.rollback().catch((e: unknown) => e);

    expect((error as Error).message).toBe(
      'rollback fraud from v2 to v1: the platform applied it partly (serves v2 50% / v1 50%); nothing is recorded; run the rollback again now',
    );
    expect((await w.ports.ledger.history('fraud')).map((e) => e.kind)).toEqual(['promotion']);
  });
});
