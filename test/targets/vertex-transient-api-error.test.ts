import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import { TargetAccessError, TargetThrottledError } from '../../src/targets/errors.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { vertexTarget } from '../../src/targets/vertex-target.js';
import { VERTEX_RESOURCE, vertexFraudEndpoint, vertexFraudTarget } from '../support/fraud-endpoints.js';
import { useStandins } from '../support/standin-server.js';
import { platformError } from '../support/standins/platform-error.js';
import { passingCanary, step } from './drive.js';

// One 503 from the Vertex AI API (gcloud exits 1 with UNAVAILABLE) on a traffic update failed the
// step at once, and the release was rolled back over it. The split is absolute, so the update is
// repeated after a pause, as a throttled one is, until the change's settle-timeout; only an API
// that stays down that long fails the step, saying what to do. Likewise gcloud finding no network:
// a token refresh that cannot reach oauth2.googleapis.com was taken for expired credentials.
// gcloud is the stand-in; time runs on a FakeClock.

const standins = useStandins('gcloud', vertexFraudEndpoint);

const config = vertexFraudTarget({ timeoutMs: 10_000, settleTimeoutMs: 600_000, pollIntervalMs: 10_000 });

const UNAVAILABLE = 'The service is currently unavailable.';
const OUTAGE_ADVICE =
  "; Google's API did not answer (an outage, or the runner's network to Google): check https://status.cloud.google.com and the runner's network, then try again";

/** What gcloud prints (after `ERROR: (gcloud.ai.endpoints.update) `) when a token refresh cannot resolve oauth2.googleapis.com. */
const TOKEN_REFRESH_UNREACHED =
  "There was a problem refreshing your current auth tokens: HTTPSConnectionPool(host='oauth2.googleapis.com', port=443): Max retries exceeded with url: /token (Caused by NameResolutionError(\"<urllib3.connection.HTTPSConnection object at 0x7f>: Failed to resolve 'oauth2.googleapis.com' ([Errno -3] Try again)\"))\nPlease run:\n\n  $ gcloud auth login\n\nto obtain new credentials.";

/** The `update` calls' traffic splits so far. */
const updates = async () =>
  (await standins.calls('gcloud'))
    .filter((c) => c.argv[2] === 'update')
    .map((c) => c.argv.find((a) => a.startsWith('--traffic-split=')));

describe('a Vertex AI traffic update that meets a passing API error', () => {
  it.each([
    ['UNAVAILABLE', UNAVAILABLE],
    ['DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.'],
    ['INTERNAL', 'Internal error encountered.'],
  ])(
    'is tried again after a pause on %s, and the canary goes on through its steps',
    async (code, message) => {
      await standins.fault(platformError('gcloud', 'update', code, message, 1));
      const clock = new FakeClock();
      const started = clock.now();

      const seen = await passingCanary(vertexTarget(config, 'fraud', clock), 'v1', 'v2');

      expect(seen.map((s) => s.canary?.weight ?? s.stable.version)).toEqual([10, 50, 0, 'v2']);
      expect(await updates()).toEqual([
        '--traffic-split=1111=90,2222=10',
        '--traffic-split=1111=90,2222=10',
        '--traffic-split=1111=50,2222=50',
        '--traffic-split=1111=100',
        '--traffic-split=2222=100',
      ]);
      expect(clock.now() - started).toBeGreaterThanOrEqual(10_000);
      expect((await standins.state()).vertex[VERTEX_RESOURCE].trafficSplit).toEqual({ '2222': 100 });
    },
  );

  it.each([
    ['a token refresh that cannot resolve oauth2.googleapis.com', TOKEN_REFRESH_UNREACHED],
    [
      'gcloud crashed (ConnectionError)',
      "gcloud crashed (ConnectionError): HTTPSConnectionPool(host='us-central1-aiplatform.googleapis.com', port=443): Max retries exceeded with url: /v1/projects/ml-prod/locations/us-central1/endpoints/4321 (Caused by NewConnectionError('Failed to establish a new connection: [Errno 111] Connection refused'))",
    ],
    [
      'gcloud crashed (ConnectTimeout)',
      "gcloud crashed (ConnectTimeout): HTTPSConnectionPool(host='us-central1-aiplatform.googleapis.com', port=443): Max retries exceeded with url: /v1/projects/ml-prod/locations/us-central1/endpoints/4321 (Caused by ConnectTimeoutError('Connection to us-central1-aiplatform.googleapis.com timed out. (connect timeout=300)'))",
    ],
  ])('is tried again after a pause on %s, and the canary goes on through its steps', async (_, message) => {
    await standins.fault({ cli: 'gcloud', op: 'update', kind: 'fail', times: 1, message });
    const clock = new FakeClock();
    const started = clock.now();

    const seen = await passingCanary(vertexTarget(config, 'fraud', clock), 'v1', 'v2');

    expect(seen.map((s) => s.canary?.weight ?? s.stable.version)).toEqual([10, 50, 0, 'v2']);
    expect(await updates()).toHaveLength(5);
    expect(clock.now() - started).toBe(10_000);
    expect((await standins.state()).vertex[VERTEX_RESOURCE].trafficSplit).toEqual({ '2222': 100 });
  });

  it('still fails at once, saying to sign in, on a token refresh Google refused', async () => {
    const message =
      "There was a problem refreshing your current auth tokens: ('invalid_grant: Token has been expired or revoked.', {'error': 'invalid_grant', 'error_description': 'Token has been expired or revoked.'})\nPlease run:\n\n  $ gcloud auth login\n\nto obtain new credentials.";
    await standins.fault({ cli: 'gcloud', op: 'update', kind: 'fail', times: -1, message });
    const clock = new FakeClock();
    const started = clock.now();
    const err = await reconcile(vertexTarget(config, 'fraud', clock), step('v1', 'v2', 10)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TargetAccessError);
    expect((err as Error).message).toMatch(
      /Token has been expired or revoked.*; check the credentials `gcloud` runs with in the job: expired, or without the permission$/s,
    );
    expect(await updates()).toHaveLength(1);
    expect(clock.now()).toBe(started);
  });

  it('repeats an update whose answer was lost (the split landed, gcloud said UNAVAILABLE)', async () => {
    await standins.fault({ cli: 'gcloud', op: 'update', kind: 'partial', times: 1 });
    const target = vertexTarget(config, 'fraud', new FakeClock());
    await expect(reconcile(target, step('v1', 'v2', 10))).resolves.toEqual(step('v1', 'v2', 10));
    expect(await updates()).toEqual(['--traffic-split=1111=90,2222=10', '--traffic-split=1111=90,2222=10']);
  });

  it('fails the step at its settle-timeout when the API stays unavailable, saying how often it was tried and what to do', async () => {
    await standins.fault(platformError('gcloud', 'update', 'UNAVAILABLE', UNAVAILABLE));
    const clock = new FakeClock();
    const started = clock.now();
    const target = vertexTarget(config, 'fraud', clock);
    const err = await reconcile(target, step('v1', 'v2', 10)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetError);
    expect(err).not.toBeInstanceOf(TargetThrottledError);
    expect(err).not.toBeInstanceOf(TargetAccessError);
    // Tries at 0, 10, 30, 70 s, then every minute (the longest pause) to 550 s, and at the deadline.
    expect((err as Error).message).toBe(
      `\`gcloud ai endpoints update 4321 --region=us-central1 --project=ml-prod --format=json --quiet --traffic-split=1111=90,2222=10\` failed (exit 1) on Vertex AI endpoint 4321 (us-central1), still after 13 tries: ERROR: (gcloud.ai.endpoints.update) UNAVAILABLE: The service is currently unavailable${OUTAGE_ADVICE}`,
    );
    expect(await updates()).toHaveLength(13);
    expect(clock.now() - started).toBe(600_000);
    expect((await standins.state()).vertex[VERTEX_RESOURCE].trafficSplit).toEqual({ '1111': 100 });
  });

  it('fails the step at its settle-timeout when gcloud stays without a network, not as expired credentials', async () => {
    await standins.fault({
      cli: 'gcloud',
      op: 'update',
      kind: 'fail',
      times: -1,
      message: TOKEN_REFRESH_UNREACHED,
    });
    const clock = new FakeClock();
    const started = clock.now();
    const err = await reconcile(vertexTarget(config, 'fraud', clock), step('v1', 'v2', 10)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TargetError);
    expect(err).not.toBeInstanceOf(TargetAccessError);
    expect((err as Error).message).toContain(', still after 13 tries: ');
    expect((err as Error).message).toMatch(
      /to obtain new credentials; Google's API did not answer .*then try again$/,
    );
    expect((err as Error).message).not.toContain('check the credentials');
    expect(clock.now() - started).toBe(600_000);
  });
});
