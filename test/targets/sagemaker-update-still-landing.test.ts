import { describe, expect, it } from 'vitest';
import type { SageMakerTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { runCli } from '../../src/targets/cli.js';
import { TargetBusyError } from '../../src/targets/errors.js';
import { sagemakerTarget } from '../../src/targets/sagemaker-target.js';
import { useStandins } from '../support/standin-server.js';
import { FAST } from './drive.js';
import { canaryOnSageMaker, ENDPOINT_KEY, fraudEndpoint } from './sagemaker-canary-world.js';
import { variant } from './sagemaker-variants.js';

// An update of a SageMaker endpoint's weights can outlast settle-timeout. While it runs, the
// endpoint reports the weights it serves now (CurrentWeight) and those it is moving to
// (DesiredWeight). model-gate used to read the first as what serves: a 10% step still landing
// read as its candidate withdrawn, the release said so, and once the step landed v2 served 10%
// with nothing left to withdraw it. Such a read is now "busy": the withdrawal waits for the update.

// Each update stays Updating for 40 describe-endpoint calls.
const standins = useStandins('aws', () => ({
  sagemaker: { [ENDPOINT_KEY]: fraudEndpoint() },
  settleGets: 40,
}));

const endpoint = async () => (await standins.state()).sagemaker[ENDPOINT_KEY];
/** `variant current desired` for each production variant, and the endpoint's status. */
const weights = async () => {
  const e = await endpoint();
  const variants = e.ProductionVariants as {
    VariantName: string;
    CurrentWeight: number;
    DesiredWeight: number;
  }[];
  return [e.EndpointStatus, ...variants.map((v) => `${v.VariantName} ${v.CurrentWeight} ${v.DesiredWeight}`)];
};
/** The update under way lands, as SageMaker finishes it: describe-endpoint until it is InService. */
async function updateLands() {
  for (let looks = 0; looks < 50; looks++) {
    const out = await runCli(
      ['aws', 'sagemaker', 'describe-endpoint', '--endpoint-name', 'fraud-endpoint', '--region', 'us-east-1'],
      { timeoutMs: 10_000 },
    );
    if (JSON.parse(out.stdout).EndpointStatus === 'InService') return;
  }
  throw new Error('the update never landed');
}

describe('a SageMaker weights update that outlasts settle-timeout', () => {
  it('leaves the candidate’s withdrawal pending while its 10% step lands, and a later run withdraws it', async () => {
    const w = await canaryOnSageMaker();
    const failed = await w.run();
    // The step was taken, but neither it nor the rollback settled within 300ms, and the job's
    // retries found the weights still moving to v2 10%: the record must not call v2 withdrawn.
    expect(await weights()).toEqual(['Updating', 'fraud-v1 1 90', 'fraud-v2 0 10']);
    expect(failed.status).toBe('failed');
    expect(failed.withdrawPending).toBe(true);
    expect(failed.reason).not.toContain('withdrawn');
    expect(w.lines).toContainEqual(expect.stringMatching(/^fraud: v2 may still get live traffic: /));

    // The step lands: v2 serves 10% of live traffic. The endpoint's updates now land at once.
    await updateLands();
    expect(await weights()).toEqual(['InService', 'fraud-v1 90 90', 'fraud-v2 10 10']);
    await standins.seed({ ...(await standins.state()), settleGets: 0 });

    // A re-run of the job tries the withdrawal again: it takes v2's 10% away.
    w.clock.advance(60_000);
    const withdrawn = await w.run();
    expect(await weights()).toEqual(['InService', 'fraud-v1 100 100', 'fraud-v2 0 0']);
    expect(withdrawn.withdrawPending).toBeFalsy();
    expect(withdrawn.reason).toMatch(/; v2 withdrawn on a later try$/);
  });
});

describe('reading a SageMaker endpoint while an update runs', () => {
  const config: SageMakerTargetConfig = {
    type: 'sagemaker',
    endpoint: 'fraud-endpoint',
    region: 'us-east-1',
    variant: 'fraud-{{version}}',
    ...FAST,
  };
  const read = () =>
    sagemakerTarget(config, 'fraud', new FakeClock()).read({ stable: 'v1', candidate: 'v2' });
  const seed = (more: object) =>
    standins.seed({ sagemaker: { [ENDPOINT_KEY]: fraudEndpoint({ EndpointStatus: 'Updating', ...more }) } });

  it('is busy while the weights move, saying to what', async () => {
    const moving = { ...variant('fraud-v2', 0), DesiredWeight: 10 };
    await seed({ ProductionVariants: [{ ...variant('fraud-v1', 100), DesiredWeight: 90 }, moving] });
    const err = await read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetBusyError);
    expect((err as Error).message).toBe(
      'SageMaker endpoint fraud-endpoint (us-east-1) is Updating: its weights are still changing, to fraud-v1 90%, fraud-v2 10% (now fraud-v1 100%, fraud-v2 0%), so what it serves is not known yet; try again once the update is done',
    );
  });

  it('is busy while another endpoint config is being deployed', async () => {
    await seed({ PendingDeploymentSummary: { EndpointConfigName: 'fraud-config-4' } });
    await expect(read()).rejects.toThrow(
      'SageMaker endpoint fraud-endpoint (us-east-1) is Updating: it is still deploying the endpoint config fraud-config-4, so what it serves is not known yet; try again once the update is done',
    );
  });

  it('reads the weights while only the instance counts change (autoscaling)', async () => {
    const growing = { ...variant('fraud-v1', 1), DesiredInstanceCount: 3 };
    await seed({ ProductionVariants: [growing, variant('fraud-v2', 0)] });
    await expect(read()).resolves.toEqual({ stable: { version: 'v1' } });
  });
});
