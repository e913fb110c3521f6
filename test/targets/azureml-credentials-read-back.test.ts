import { describe, expect, it } from 'vitest';
import type { AzureMlTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { UnconfirmedChange } from '../../src/release/confirmed-change.js';
import { azuremlTarget } from '../../src/targets/azureml-target.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { AZUREML_KEY, azuremlFraudEndpoint } from '../support/fraud-endpoints.js';
import { fraudCanaryOn } from '../support/model-config.js';
import { useStandins } from '../support/standin-server.js';
import { platformError } from '../support/standins/platform-error.js';
import { step } from './drive.js';
import { azuremlReadBack, removing, rollBackThen, rollBackWhileReadsFail } from './read-back-world.js';

// A rollback on Azure ML whose read-back Azure refused for the job's credentials (a role
// assignment removed, an `az login` gone) was read again every poll-interval for the whole
// settle-timeout (10m here), then reported as an unconfirmed change. Waiting grants no role: the
// rollback fails after one read, in Azure's words, saying to fix the credentials. An internal
// error is still waited out. Time runs on a FakeClock; az is the stand-in.
// Likewise an endpoint that is not there (deleted by a teardown right after the change, a name
// mistyped in the config) was a generic failure: a read-back waited out the settle-timeout on it
// and no message said to check the names. Waiting brings no endpoint back: it stops at once, saying
// so. A deployment the endpoint does not have (green not created yet) is still read as absent.

const standins = useStandins('az', azuremlFraudEndpoint);

const azureml = azuremlReadBack(standins);

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

const CHECK_NAMES = "; check the names in the target's config: the platform has no such resource";

/** fraud's Azure ML target as `azureml` has it, with `names` (endpoint, workspace, ...) in place of fraud's. */
const targetNaming = (names: string) =>
  azuremlTarget(
    fraudCanaryOn(
      azureml.target.replace('endpoint: fraud-endpoint, resource-group: ml-prod, workspace: fraud-ws', names),
    ).model.target as AzureMlTargetConfig,
    'fraud',
    new FakeClock(),
  );

describe('a rollback on Azure ML whose endpoint is gone', () => {
  it('fails after one read, at once, in ARM words, saying to check the names in the config', async () => {
    const { err, tookMs, reads } = await rollBackThen(
      azureml,
      removing(standins, (state) => {
        delete state.azureml[AZUREML_KEY];
        state.azureWorkspaces = ['default/ml-prod/fraud-ws'];
      }),
    );
    expect(err).not.toBeInstanceOf(UnconfirmedChange);
    const message = (err as Error).message;
    expect(message).toContain(
      `${SHOW} failed (exit 3) on Azure ML endpoint fraud-endpoint (workspace fraud-ws): ERROR: (ResourceNotFound) The Resource 'Microsoft.MachineLearningServices/workspaces/fraud-ws/onlineEndpoints/fraud-endpoint' under resource group 'ml-prod' was not found.`,
    );
    expect(message.endsWith(CHECK_NAMES)).toBe(true);
    expect(tookMs).toBe(0);
    expect(reads).toBe(1);
  });
});

describe('a traffic change on Azure ML naming what is not there', () => {
  it.each([
    [
      'an endpoint',
      'endpoint: fraud-endpont, resource-group: ml-prod, workspace: fraud-ws',
      "(ResourceNotFound) The Resource 'Microsoft.MachineLearningServices/workspaces/fraud-ws/onlineEndpoints/fraud-endpont' under resource group 'ml-prod' was not found.",
    ],
    [
      'a workspace',
      'endpoint: fraud-endpoint, resource-group: ml-prod, workspace: fraud-wss',
      "(ResourceNotFound) The Resource 'Microsoft.MachineLearningServices/workspaces/fraud-wss' under resource group 'ml-prod' was not found.",
    ],
    [
      'a resource group',
      'endpoint: fraud-endpoint, resource-group: ml-prd, workspace: fraud-ws',
      "(ResourceGroupNotFound) Resource group 'ml-prd' could not be found.",
    ],
  ])('(%s) fails, changing nothing, saying to check the names in the config', async (_, names, why) => {
    const err = await reconcile(targetNaming(names), step('v1', 'v2', 10)).catch((e: unknown) => e);
    const message = (err as Error).message;
    expect(message).toContain(`failed (exit 3) on Azure ML endpoint `);
    expect(message).toContain(`: ERROR: ${why}`);
    expect(message.endsWith(CHECK_NAMES)).toBe(true);
    expect((await standins.calls('az')).filter((c) => c.argv[2] === 'update')).toEqual([]);
  });

  it('asked whether a version is deployed: no deployment is an answer, no endpoint is not', async () => {
    await expect(
      targetNaming('endpoint: fraud-endpoint, resource-group: ml-prod, workspace: fraud-ws').deployedAs('v3'),
    ).resolves.toBeUndefined();
    const err = await targetNaming('endpoint: fraud-endpont, resource-group: ml-prod, workspace: fraud-ws')
      .deployedAs('v1')
      .catch((e: unknown) => e);
    expect((err as Error).message).toContain(
      "onlineEndpoints/fraud-endpont' under resource group 'ml-prod' was not found.",
    );
    expect((err as Error).message.endsWith(CHECK_NAMES)).toBe(true);
  });
});
