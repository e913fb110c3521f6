import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import { TargetThrottledError } from '../../src/targets/errors.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { vertexTarget } from '../../src/targets/vertex-target.js';
import { VERTEX_RESOURCE, vertexFraudEndpoint, vertexFraudTarget } from '../support/fraud-endpoints.js';
import { useStandins } from '../support/standin-server.js';
import { platformError } from '../support/standins/platform-error.js';
import { passingCanary, step } from './drive.js';

// One 503 from the Vertex AI API (gcloud exits 1 with UNAVAILABLE) on a traffic update failed the
// step at once, and the release was rolled back over it. The split is absolute, so the update is
// repeated after a pause, as a throttled one is; only an API that stays down fails the step.
// gcloud is the stand-in; time runs on a FakeClock.

const standins = useStandins('gcloud', vertexFraudEndpoint);

const config = vertexFraudTarget({ timeoutMs: 10_000, settleTimeoutMs: 600_000, pollIntervalMs: 10_000 });

const UNAVAILABLE = 'The service is currently unavailable.';

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

  it('repeats an update whose answer was lost (the split landed, gcloud said UNAVAILABLE)', async () => {
    await standins.fault({ cli: 'gcloud', op: 'update', kind: 'partial', times: 1 });
    const target = vertexTarget(config, 'fraud', new FakeClock());
    await expect(reconcile(target, step('v1', 'v2', 10))).resolves.toEqual(step('v1', 'v2', 10));
    expect(await updates()).toEqual(['--traffic-split=1111=90,2222=10', '--traffic-split=1111=90,2222=10']);
  });

  it('fails the step when the API stays unavailable, saying how often it was tried', async () => {
    await standins.fault(platformError('gcloud', 'update', 'UNAVAILABLE', UNAVAILABLE));
    const target = vertexTarget(config, 'fraud', new FakeClock());
    const err = await reconcile(target, step('v1', 'v2', 10)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetError);
    expect(err).not.toBeInstanceOf(TargetThrottledError);
    expect((err as Error).message).toBe(
      '`gcloud ai endpoints update 4321 --region=us-central1 --project=ml-prod --format=json --quiet --traffic-split=1111=90,2222=10` failed (exit 1) on Vertex AI endpoint 4321 (us-central1), still after 5 tries: ERROR: (gcloud.ai.endpoints.update) UNAVAILABLE: The service is currently unavailable.',
    );
    expect(await updates()).toHaveLength(5);
    expect((await standins.state()).vertex[VERTEX_RESOURCE].trafficSplit).toEqual({ '1111': 100 });
  });
});
