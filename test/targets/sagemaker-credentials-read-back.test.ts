import { describe, expect, it } from 'vitest';
import type { SageMakerTargetConfig } from '../../src/config/types.js';
import { UnconfirmedChange } from '../../src/release/confirmed-change.js';
import { sagemakerTarget } from '../../src/targets/sagemaker-target.js';
import { useStandins } from '../support/standin-server.js';
import { platformError } from '../support/standins/platform-error.js';
import { type ReadBackPlatform, rollBackWhileReadsFail } from './read-back-world.js';
import { ENDPOINT_KEY, fraudEndpoint } from './sagemaker-canary-world.js';

// A rollback on SageMaker whose read-back the AWS API refused for the job's credentials (the
// session token of an assumed role or an OIDC login expiring right after the change, an IAM
// policy without sagemaker:DescribeEndpoint) was read again every poll-interval for the whole
// settle-timeout (10m here), then reported as an unconfirmed change. Waiting renews no token and
// grants no permission: the rollback fails after one read, in AWS's words, saying to fix the
// credentials. A throttled read is still waited out. Time runs on a FakeClock; aws is the stand-in.

const standins = useStandins('aws', () => ({ sagemaker: { [ENDPOINT_KEY]: fraudEndpoint() } }));

const sagemaker: ReadBackPlatform = {
  standins,
  cli: 'aws',
  target:
    '{ type: sagemaker, endpoint: fraud-endpoint, region: us-east-1, variant: "fraud-{{version}}", settle-timeout: 10m, poll-interval: 10s }',
  make: (model, clock) => sagemakerTarget(model.target as SageMakerTargetConfig, 'fraud', clock),
  isRead: (argv) => argv[1] === 'describe-endpoint',
};
const describeFails = (code: string, message: string) =>
  platformError('aws', 'describe-endpoint', code, message);

const FIX = '; check the credentials `aws` runs with in the job: expired, or without the permission';

describe('a rollback on SageMaker whose read-back AWS refuses', () => {
  it('for an expired session token: fails after one read, at once, in AWS words, saying to fix the credentials', async () => {
    const { err, tookMs, reads } = await rollBackWhileReadsFail(
      sagemaker,
      describeFails('ExpiredTokenException', 'The security token included in the request is expired'),
    );
    expect(err).not.toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toBe(
      '`aws sagemaker describe-endpoint --endpoint-name fraud-endpoint --region us-east-1 --output json` failed (exit 254) on SageMaker endpoint fraud-endpoint (us-east-1): An error occurred (ExpiredTokenException) when calling the DescribeEndpoint operation: The security token included in the request is expired' +
        FIX,
    );
    expect(tookMs).toBe(0);
    expect(reads).toBe(1);
  });

  it('for a missing IAM permission: fails after one read, at once, saying to fix the credentials', async () => {
    const { err, tookMs, reads } = await rollBackWhileReadsFail(
      sagemaker,
      describeFails(
        'AccessDeniedException',
        'User: arn:aws:sts::123456789012:assumed-role/model-gate-ci/GitHubActions is not authorized to perform: sagemaker:DescribeEndpoint on resource: arn:aws:sagemaker:us-east-1:123456789012:endpoint/fraud-endpoint because no identity-based policy allows the sagemaker:DescribeEndpoint action',
      ),
    );
    expect(err).not.toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toMatch(
      /: An error occurred \(AccessDeniedException\) when calling the DescribeEndpoint operation: User: .* is not authorized to perform: sagemaker:DescribeEndpoint on resource: .*; check the credentials `aws` runs with in the job: expired, or without the permission$/,
    );
    expect(tookMs).toBe(0);
    expect(reads).toBe(1);
  });

  it('for rate limits: keeps reading until settle-timeout, then reports the change unconfirmed', async () => {
    const { err, tookMs, reads } = await rollBackWhileReadsFail(
      sagemaker,
      describeFails('ThrottlingException', 'Rate exceeded'),
    );
    expect(err).toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toContain('(ThrottlingException)');
    expect(tookMs).toBeGreaterThanOrEqual(10 * 60_000);
    expect(reads).toBeGreaterThan(5);
  });
});
