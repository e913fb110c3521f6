import { describe, expect, it } from 'vitest';
import type { SageMakerTargetConfig } from '../../src/config/types.js';
import { UnconfirmedChange } from '../../src/release/confirmed-change.js';
import { sagemakerTarget } from '../../src/targets/sagemaker-target.js';
import { useStandins } from '../support/standin-server.js';
import { garbleAnswers } from './garbled-answers.js';
import { type ReadBackPlatform, rollBackThen } from './read-back-world.js';
import { ENDPOINT_KEY, fraudEndpoint } from './sagemaker-canary-world.js';

// A rollback on SageMaker whose read-back `aws sagemaker describe-endpoint` printed, once and with
// exit 0, what is not JSON (its answer cut off, a proxy's HTML 502 page) was reported as failed at
// once ("did not print JSON"), though SageMaker had taken it: read again now, as a read that exits
// 1 is, and unconfirmed only once its settle-timeout is used. As azureml-garbled-read-back.test.ts.

const standins = useStandins('aws', () => ({ sagemaker: { [ENDPOINT_KEY]: fraudEndpoint() } }));
const garbled = garbleAnswers('aws', 'sagemaker describe-endpoint ');

const sagemaker: ReadBackPlatform = {
  standins,
  cli: 'aws',
  target:
    '{ type: sagemaker, endpoint: fraud-endpoint, region: us-east-1, variant: "fraud-{{version}}", settle-timeout: 10m, poll-interval: 10s }',
  make: (model, clock) => sagemakerTarget(model.target as SageMakerTargetConfig, 'fraud', clock),
  isRead: (argv) => argv[1] === 'describe-endpoint',
};

const PROXY_PAGE =
  '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n';

describe('a rollback on SageMaker whose read-back prints what is not JSON', () => {
  it('once: reads again, and the rollback is confirmed', async () => {
    const { err, tookMs } = await rollBackThen(sagemaker, () => garbled.arm(PROXY_PAGE));
    expect(err).toBeUndefined();
    expect(tookMs).toBe(10_000); // one poll-interval, then the read that answered
  });

  it('every time: unconfirmed at its settle-timeout, saying to check what sits between the runner and the API', async () => {
    const { err, tookMs } = await rollBackThen(sagemaker, () => garbled.arm(PROXY_PAGE, { times: -1 }));
    expect(err).toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toMatch(
      /`aws sagemaker describe-endpoint` did not print JSON \(got "<html>.*: its answer was cut off or replaced on the way; if this keeps happening, check what sits between the runner and the platform's API \(a proxy or gateway\)$/,
    );
    expect(tookMs).toBeGreaterThanOrEqual(10 * 60_000);
  });
});
