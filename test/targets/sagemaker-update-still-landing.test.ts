import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { TargetBusyError } from '../../src/targets/errors.js';
import { sagemakerTarget } from '../../src/targets/sagemaker-target.js';
import { useStandins } from '../support/standin-server.js';
import { canaryOnSageMaker, ENDPOINT_KEY, endpointWeights, fraudEndpoint } from './sagemaker-canary-world.js';
import { FRAUD_ENDPOINT_CONFIG, variant } from './sagemaker-variants.js';

// An update of a SageMaker endpoint's weights can outlast settle-timeout. While it runs, the
// endpoint reports the weights it serves now (CurrentWeight) and those it is moving to
// (DesiredWeight). model-gate used to read the first as what serves: a 10% step still landing
// read as its candidate withdrawn, the release said so, and once the step landed v2 served 10%
// with nothing left to withdraw it. Such a read now waits for the update to land (busy only past
// settle-timeout), as a change waits for InService.

// Each update stays Updating for 8 describe-endpoint calls.
const standins = useStandins('aws', () => ({
  sagemaker: { [ENDPOINT_KEY]: fraudEndpoint() },
  settleGets: 8,
}));

const weights = () => endpointWeights(standins);

describe('a SageMaker weights update that outlasts settle-timeout', () => {
  it('is waited out by the withdrawal, which then takes v2 out: the record says so truthfully', async () => {
    const w = await canaryOnSageMaker();
    const failed = await w.run();
    // The step was taken, but neither it nor the rollback settled within 300ms; the job's retry
    // read the endpoint once the step had landed (not its CurrentWeight mid-update) and withdrew v2.
    expect(await weights()).toEqual(['InService', 'fraud-v1 100 100', 'fraud-v2 0 0']);
    expect(failed.status).toBe('failed');
    expect(failed.withdrawPending).toBeFalsy();
    expect(failed.reason).toMatch(/; v2 withdrawn on a later try$/);
  });
});

describe('reading a SageMaker endpoint while an update runs', () => {
  const config = { ...FRAUD_ENDPOINT_CONFIG, pollIntervalMs: 200 };
  const read = () =>
    sagemakerTarget(config, 'fraud', new FakeClock()).read({ stable: 'v1', candidate: 'v2' });
  const seed = (more: object) =>
    standins.seed({ sagemaker: { [ENDPOINT_KEY]: fraudEndpoint({ EndpointStatus: 'Updating', ...more }) } });

  it('waits while the weights move, and reads what serves once they have landed', async () => {
    const moving = { ...variant('fraud-v2', 0), DesiredWeight: 10 };
    await seed({
      ProductionVariants: [{ ...variant('fraud-v1', 100), DesiredWeight: 90 }, moving],
      _next: { 'fraud-v1': 90, 'fraud-v2': 10 },
      _pendingGets: 3,
    });
    await expect(read()).resolves.toEqual({
      stable: { version: 'v1' },
      canary: { version: 'v2', weight: 10 },
    });
  });

  it('is busy, saying to what, when the weights are still moving at settle-timeout', async () => {
    const moving = { ...variant('fraud-v2', 0), DesiredWeight: 10 };
    await seed({
      ProductionVariants: [{ ...variant('fraud-v1', 100), DesiredWeight: 90 }, moving],
      _pendingGets: 100_000,
    });
    const err = await read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetBusyError);
    expect((err as Error).message).toBe(
      'SageMaker endpoint fraud-endpoint (us-east-1) did not settle within 2s: SageMaker endpoint fraud-endpoint (us-east-1) is Updating: its weights are still changing, to fraud-v1 90%, fraud-v2 10% (now fraud-v1 100%, fraud-v2 0%), so what it serves is not known yet; try again once the update is done; try again later',
    );
  });

  it('is busy while another endpoint config is still being deployed at settle-timeout', async () => {
    await seed({ _nextConfig: { name: 'fraud-config-4' }, _pendingGets: 100_000 });
    await expect(read()).rejects.toThrow(
      'is Updating: it is still deploying the endpoint config fraud-config-4, so what it serves is not known yet',
    );
  });

  it('reads the weights while only the instance counts change (autoscaling)', async () => {
    const growing = { ...variant('fraud-v1', 1), DesiredInstanceCount: 3 };
    await seed({ ProductionVariants: [growing, variant('fraud-v2', 0)] });
    await expect(read()).resolves.toEqual({ stable: { version: 'v1' } });
  });
});
