import { describe, expect, it } from 'vitest';
import type { AzureMlTargetConfig } from '../../src/config/types.js';
import { UnconfirmedChange } from '../../src/release/confirmed-change.js';
import { azuremlTarget } from '../../src/targets/azureml-target.js';
import { azuremlFraudEndpoint } from '../support/fraud-endpoints.js';
import { useStandins } from '../support/standin-server.js';
import { platformError } from '../support/standins/platform-error.js';
import { type ReadBackPlatform, rollBackWhileReadsFail } from './read-back-world.js';

// A rollback on Azure ML whose read-back Azure refused for the job's credentials (a role
// assignment removed, an `az login` gone) was read again every poll-interval for the whole
// settle-timeout (10m here), then reported as an unconfirmed change. Waiting grants no role: the
// rollback fails after one read, in Azure's words, saying to fix the credentials. An internal
// error is still waited out. Time runs on a FakeClock; az is the stand-in.

const standins = useStandins('az', azuremlFraudEndpoint);

const azureml: ReadBackPlatform = {
  standins,
  cli: 'az',
  target:
    '{ type: azureml, endpoint: fraud-endpoint, resource-group: ml-prod, workspace: fraud-ws, deployment: "fraud-{{version}}", settle-timeout: 10m, poll-interval: 10s }',
  make: (model, clock) => azuremlTarget(model.target as AzureMlTargetConfig, 'fraud', clock),
  isRead: (argv) => argv[1] === 'online-endpoint' && argv[2] === 'show',
};

const NOT_AUTHORIZED =
  "The client 'a1b2c3d4-0000-4000-8000-000000000001' with object id 'a1b2c3d4-0000-4000-8000-000000000001' does not have authorization to perform action 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/read' over scope '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ml-prod/providers/Microsoft.MachineLearningServices/workspaces/fraud-ws/onlineEndpoints/fraud-endpoint' or the scope is invalid. If access was recently granted, please refresh your credentials.";
const SHOW =
  '`az ml online-endpoint show --name fraud-endpoint --resource-group ml-prod --workspace-name fraud-ws --output json`';
const FIX = '; check the credentials `az` runs with in the job: expired, or without the permission';

describe('a rollback on Azure ML whose read-back Azure refuses', () => {
  it('for a missing role assignment: fails after one read, at once, in Azure words, saying to fix the credentials', async () => {
    const { err, tookMs, reads } = await rollBackWhileReadsFail(
      azureml,
      platformError('az', 'show', 'AuthorizationFailed', NOT_AUTHORIZED),
    );
    expect(err).not.toBeInstanceOf(UnconfirmedChange);
    const message = (err as Error).message;
    expect(message).toContain(
      `${SHOW} failed (exit 1) on Azure ML endpoint fraud-endpoint (workspace fraud-ws): ERROR: (AuthorizationFailed) The client 'a1b2c3d4-0000-4000-8000-000000000001' with object id 'a1b2c3d4-0000-4000-8000-000000000001' does not have authorization to perform action 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/read'`,
    );
    expect(message).toContain(' | Code: AuthorizationFailed | ');
    expect(message.endsWith(FIX)).toBe(true);
    expect(tookMs).toBe(0);
    expect(reads).toBe(1);
  });

  it('for no `az login`: fails after one read, at once, saying to fix the credentials', async () => {
    const { err, tookMs, reads } = await rollBackWhileReadsFail(azureml, {
      cli: 'az',
      op: 'show',
      kind: 'fail',
      times: -1,
      message: "Please run 'az login' to setup account.",
    });
    expect(err).not.toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toBe(
      `${SHOW} failed (exit 1) on Azure ML endpoint fraud-endpoint (workspace fraud-ws): ERROR: Please run 'az login' to setup account${FIX}`,
    );
    expect(tookMs).toBe(0);
    expect(reads).toBe(1);
  });

  it('for an internal error: keeps reading until settle-timeout, then reports the change unconfirmed', async () => {
    const { err, tookMs, reads } = await rollBackWhileReadsFail(
      azureml,
      platformError('az', 'show', 'InternalServerError', 'An internal error occurred.'),
    );
    expect(err).toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toContain('(InternalServerError)');
    expect(tookMs).toBeGreaterThanOrEqual(10 * 60_000);
    expect(reads).toBeGreaterThan(5);
  });
});
