import { describe, expect, it } from 'vitest';
import { UnconfirmedChange } from '../../src/release/confirmed-change.js';
import { TargetAccessError, TargetBusyError } from '../../src/targets/errors.js';
import { useStandins } from '../support/standin-server.js';
import { platformError } from '../support/standins/platform-error.js';
import { rollBackWhileSettling } from './reads-fail-while-settling.js';
import { ENDPOINT_KEY, endpointWeights, fraudEndpoint, sagemakerReadBack } from './sagemaker-canary-world.js';

// A rollback SageMaker took (update-endpoint-weights-and-capacities answered, the endpoint went
// Updating) whose describe-endpoint calls then failed while the target waited for InService (AWS
// throttling, an InternalFailure, ServiceUnavailable) was reported "the rollback also failed",
// the read's error as the write's, though SageMaker was rolling it back. As on the http target, it
// ends unconfirmed (probably rolled back, pending until a read confirms it) after reading again
// until the settle-timeout. Credentials refused still fail at once, and an endpoint still Updating
// at the deadline is still busy. aws is the stand-in (settling one describe after an update); time
// runs on a FakeClock.

const standins = useStandins('aws', () => ({
  settleGets: 1,
  sagemaker: { [ENDPOINT_KEY]: fraudEndpoint() },
}));

const sagemaker = sagemakerReadBack(standins);
const isWeightsCall = (argv: string[]) => argv[1] === 'update-endpoint-weights-and-capacities';

/** The rollback to v1, `times` describe-endpoint calls (-1: all) failing with `code` once SageMaker took it. */
const rollBackWhileDescribesFail = (code: string, message: string, times = -1) =>
  rollBackWhileSettling(sagemaker, isWeightsCall, () =>
    standins.fault(platformError('aws', 'describe-endpoint', code, message, times)),
  );

describe('a rollback SageMaker took, its describe-endpoint failing while the target waits for InService', () => {
  it.each([
    ['an internal failure (HTTP 500)', 'InternalFailure', 'An internal error occurred.'],
    ['the service unavailable (HTTP 503)', 'ServiceUnavailable', 'Service is unavailable.'],
    ['throttling', 'ThrottlingException', 'Rate exceeded'],
  ])(
    'for %s until its settle-timeout: unconfirmed, not failed, quoting the last read',
    async (_, code, message) => {
      const { err, tookMs, reads, happened } = await rollBackWhileDescribesFail(code, message);
      expect(happened).toBe(true);
      expect(err).toBeInstanceOf(UnconfirmedChange);
      expect((err as Error).message).toMatch(
        /^SageMaker endpoint fraud-endpoint \(us-east-1\) accepted the change to v1 100% but never confirmed it: /,
      );
      expect((err as Error).message).toContain(
        `An error occurred (${code}) when calling the DescribeEndpoint operation`,
      );
      // SageMaker has the rollback: v2's weight is going to 0.
      expect(await endpointWeights(standins)).toEqual(['Updating', 'fraud-v1 90 100', 'fraud-v2 10 0']);
      expect(tookMs).toBeGreaterThanOrEqual(10 * 60_000);
      expect(reads).toBeGreaterThan(5);
    },
  );

  it('for a while, then answering again: the rollback is confirmed', async () => {
    const { err, happened } = await rollBackWhileDescribesFail(
      'InternalFailure',
      'An internal error occurred.',
      3,
    );
    expect(happened).toBe(true);
    expect(err).toBeUndefined();
    expect(await endpointWeights(standins)).toEqual(['InService', 'fraud-v1 100 100', 'fraud-v2 0 0']);
  });

  it('for expired credentials: fails at once, as that, never unconfirmed', async () => {
    const { err, tookMs, reads } = await rollBackWhileDescribesFail(
      'ExpiredTokenException',
      'The security token included in the request is expired',
    );
    expect(err).toBeInstanceOf(TargetAccessError);
    expect(err).not.toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toMatch(
      /\(ExpiredTokenException\).*; check the credentials `aws` runs with/,
    );
    expect(reads).toBe(1);
    expect(tookMs).toBe(10_000); // the one poll-interval waited before the faults
  });
});

describe('a rollback SageMaker took, still Updating at its settle-timeout, every describe answering', () => {
  it('fails as busy, never unconfirmed', async () => {
    const { err, happened } = await rollBackWhileSettling(sagemaker, isWeightsCall, async () => {
      const state = await standins.state();
      state.sagemaker[ENDPOINT_KEY]._pendingGets = 10_000;
      await standins.seed(state);
    });
    expect(happened).toBe(true);
    expect(err).toBeInstanceOf(TargetBusyError);
    expect(err).not.toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toMatch(/did not settle within 10m: it is still Updating/);
  });
});
