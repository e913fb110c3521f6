import { describe, expect, it } from 'vitest';
import type { AzureMlTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import { azuremlTarget } from '../../src/targets/azureml-target.js';
import { TargetAccessError, TargetThrottledError } from '../../src/targets/errors.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { AZUREML_KEY, azuremlFraudEndpoint } from '../support/fraud-endpoints.js';
import { useStandins } from '../support/standin-server.js';
import { platformError } from '../support/standins/platform-error.js';
import { passingCanary, step } from './drive.js';

// One 500, 503 or 504 from Azure Resource Manager, or azure-core finding nobody to answer, on a
// traffic update failed the step at once, and the release was rolled back over it. The update sets
// an absolute split, so it is repeated after a pause, as a throttled one is, until the change's
// settle-timeout; only an outage that lasts that long fails the step, saying what to do.
// az is the stand-in; time runs on a FakeClock.

const standins = useStandins('az', azuremlFraudEndpoint);

const config: AzureMlTargetConfig = {
  type: 'azureml',
  endpoint: 'fraud-endpoint',
  resourceGroup: 'ml-prod',
  workspace: 'fraud-ws',
  deployment: 'fraud-{{version}}',
  timeoutMs: 10_000,
  settleTimeoutMs: 600_000,
  pollIntervalMs: 10_000,
};

const OUTAGE_ADVICE =
  "; Azure's API did not answer (an outage, or the runner's network to Azure): check https://azure.status.microsoft and the runner's network, then try again";

/** azure-core's ServiceRequestError as az prints it: nobody answering at management.azure.com. */
const CONNECTION_REFUSED =
  "HTTPSConnectionPool(host='management.azure.com', port=443): Max retries exceeded with url: /subscriptions/0000/resourceGroups/ml-prod/providers/Microsoft.MachineLearningServices/workspaces/fraud-ws/onlineEndpoints/fraud-endpoint?api-version=2024-04-01 (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno 111] Connection refused'))";

/** The `--traffic` value of each update sent. */
const updates = async () =>
  (await standins.calls('az'))
    .filter((c) => c.argv[2] === 'update')
    .map(({ argv }) => argv[argv.indexOf('--traffic') + 1]);

const traffic = async () => (await standins.state()).azureml[AZUREML_KEY].traffic;

describe('an Azure ML traffic update that meets a passing failure', () => {
  it.each([
    ['ServiceUnavailable', 'The server is currently unavailable. Please try again later.'],
    ['InternalServerError', 'An internal server error occurred.'],
    ['GatewayTimeout', 'The gateway did not receive a response within the specified time period.'],
  ])(
    'is tried again after a pause on (%s), and the canary goes on through its steps',
    async (code, message) => {
      await standins.fault(platformError('az', 'update', code, message, 1));
      const clock = new FakeClock();
      const started = clock.now();

      const seen = await passingCanary(azuremlTarget(config, 'fraud', clock), 'v1', 'v2');

      expect(seen.map((s) => s.canary?.weight ?? s.stable.version)).toEqual([10, 50, 0, 'v2']);
      expect(await updates()).toEqual([
        'fraud-v1=90 fraud-v2=10',
        'fraud-v1=90 fraud-v2=10',
        'fraud-v1=50 fraud-v2=50',
        'fraud-v1=100 fraud-v2=0',
        'fraud-v1=0 fraud-v2=100',
      ]);
      expect(clock.now() - started).toBe(10_000);
      expect(await traffic()).toEqual({ 'fraud-v1': 0, 'fraud-v2': 100 });
    },
  );

  it.each([
    ['a refused connection', CONNECTION_REFUSED],
    [
      'a read timeout',
      "HTTPSConnectionPool(host='management.azure.com', port=443): Read timed out. (read timeout=300)",
    ],
    [
      'a connection cut',
      "('Connection aborted.', RemoteDisconnected('Remote end closed connection without response'))",
    ],
  ])('is tried again after a pause on %s, and the step reaches its weight', async (_, message) => {
    await standins.fault({ cli: 'az', op: 'update', kind: 'fail', times: 1, message });
    const clock = new FakeClock();
    await expect(reconcile(azuremlTarget(config, 'fraud', clock), step('v1', 'v2', 10))).resolves.toEqual(
      step('v1', 'v2', 10),
    );
    expect(await updates()).toHaveLength(2);
    expect(await traffic()).toEqual({ 'fraud-v1': 90, 'fraud-v2': 10 });
  });

  it('fails the step at its settle-timeout when Azure stays unavailable, saying how often it was tried and what to do', async () => {
    await standins.fault(
      platformError('az', 'update', 'ServiceUnavailable', 'The server is currently unavailable.'),
    );
    const clock = new FakeClock();
    const started = clock.now();
    const err = await reconcile(azuremlTarget(config, 'fraud', clock), step('v1', 'v2', 10)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TargetError);
    expect(err).not.toBeInstanceOf(TargetAccessError);
    expect(err).not.toBeInstanceOf(TargetThrottledError);
    // Tries at 0, 10, 30, 70 s, then every minute (the longest pause) to 550 s, and at the deadline.
    expect((err as Error).message).toMatch(
      /^`az ml online-endpoint update .*--traffic "fraud-v1=90 fraud-v2=10"` failed \(exit 1\) on Azure ML endpoint fraud-endpoint \(workspace fraud-ws\), still after 13 tries: .*\(ServiceUnavailable\) The server is currently unavailable/s,
    );
    expect((err as Error).message.endsWith(OUTAGE_ADVICE)).toBe(true);
    expect(await updates()).toHaveLength(13);
    expect(clock.now() - started).toBe(600_000);
    expect(await traffic()).toEqual({ 'fraud-v1': 100 });
  });

  it('still fails at once, saying to sign in again, on an expired sign-in', async () => {
    await standins.fault({
      cli: 'az',
      op: 'update',
      kind: 'fail',
      times: -1,
      message:
        'AADSTS700024: Client assertion is not within its valid time range. Current time: 2026-01-01T01:01:54Z, expiry time of assertion 2026-01-01T00:50:41Z.',
    });
    const clock = new FakeClock();
    const err = await reconcile(azuremlTarget(config, 'fraud', clock), step('v1', 'v2', 10)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TargetAccessError);
    expect(await updates()).toHaveLength(1);
  });
});
