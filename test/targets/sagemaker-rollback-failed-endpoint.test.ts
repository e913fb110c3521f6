import { describe, expect, it } from 'vitest';
import { useStandins } from '../support/standin-server.js';
import { canaryOnSageMaker, ENDPOINT_KEY, fraudEndpoint } from './sagemaker-canary-world.js';

// SageMaker leaves an endpoint UpdateRollbackFailed when an update and its rollback both failed:
// it serves a mix of its old and new endpoint configs and takes no update until it is InService
// again. A release on it used to fail with the status and SageMaker's reason alone, not what to do.

const REASON = 'Instance fraud-v2/i-0 failed the health check.';
const standins = useStandins('aws', () => ({
  sagemaker: {
    [ENDPOINT_KEY]: fraudEndpoint({ EndpointStatus: 'UpdateRollbackFailed', FailureReason: REASON }),
  },
}));

describe('a release on a SageMaker endpoint left UpdateRollbackFailed', () => {
  it('fails saying how to bring the endpoint back before model-gate runs again, and changes nothing', async () => {
    const w = await canaryOnSageMaker();
    const release = await w.run();
    expect(release.status).toBe('failed');
    expect(release.reason).toContain(
      'SageMaker endpoint fraud-endpoint (us-east-1) is UpdateRollbackFailed (Instance fraud-v2/i-0 failed the health check): an update and its rollback both failed, and it serves a mix of its old and new endpoint configs. Bring it back to InService by deploying an endpoint config that serves as it should (`aws sagemaker update-endpoint --endpoint-name fraud-endpoint --endpoint-config-name <config> --region us-east-1`), then run model-gate again: until then it changes no traffic on this endpoint',
    );
    const calls = await standins.calls('aws');
    expect(calls.map((c) => c.argv[1]).filter((op) => op !== 'describe-endpoint')).toEqual([]);
  });
});
