import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { TargetBusyError, TargetRefusedError } from '../../src/targets/errors.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { vertexTarget } from '../../src/targets/vertex-target.js';
import { VERTEX_RESOURCE, vertexFraudEndpoint, vertexFraudTarget } from '../support/fraud-endpoints.js';
import { useStandins } from '../support/standin-server.js';
import { platformError } from '../support/standins/platform-error.js';
import { step } from './drive.js';

// Every FAILED_PRECONDITION from gcloud was read as "an operation in progress": the update was
// tried again every poll-interval for the whole settle-timeout, then reported busy, "try again
// later". Google's rule for the code is not to retry until the state is fixed, and Vertex AI uses it
// so ("Endpoint … doesn't have traffic_split"): such a refusal fails at once, as the request's. An
// operation in progress is still waited out. gcloud is the stand-in; time runs on a FakeClock.

const standins = useStandins('gcloud', vertexFraudEndpoint);

const config = vertexFraudTarget({ timeoutMs: 10_000, settleTimeoutMs: 60_000, pollIntervalMs: 10_000 });

/** The canary's first step on a FakeClock: its error, the fake time it took, the updates it sent. */
async function firstStep() {
  const clock = new FakeClock();
  const began = clock.now();
  const err = await reconcile(vertexTarget(config, 'fraud', clock), step('v1', 'v2', 10)).catch(
    (e: unknown) => e,
  );
  const updates = (await standins.calls('gcloud')).filter((c) => c.argv[2] === 'update').length;
  return { err, tookMs: clock.now() - began, updates };
}

describe('a FAILED_PRECONDITION from Vertex AI to a traffic change', () => {
  it('that the endpoint cannot take: fails at once, as a refusal of the request, in gcloud words', async () => {
    await standins.fault(
      platformError(
        'gcloud',
        'update',
        'FAILED_PRECONDITION',
        `Endpoint ${VERTEX_RESOURCE} doesn't have traffic_split.`,
      ),
    );
    const { err, tookMs, updates } = await firstStep();
    expect(err).toBeInstanceOf(TargetRefusedError);
    expect((err as Error).message).toMatch(
      /^`gcloud ai endpoints update 4321 .*--traffic-split=1111=90,2222=10` failed \(exit 1\) on Vertex AI endpoint 4321 \(us-central1\): ERROR: \(gcloud\.ai\.endpoints\.update\) FAILED_PRECONDITION: Endpoint projects\/ml-prod\/locations\/us-central1\/endpoints\/4321 doesn't have traffic_split\.$/,
    );
    expect(tookMs).toBe(0);
    expect(updates).toBe(1);
  });

  it('for an operation in progress on the endpoint: still waited out until settle-timeout, then busy', async () => {
    await standins.fault({ cli: 'gcloud', op: 'update', kind: 'busy', times: -1 });
    const { err, tookMs, updates } = await firstStep();
    expect(err).toBeInstanceOf(TargetBusyError);
    expect((err as Error).message).toMatch(
      /has an ongoing operation.*; nothing was changed, try again later$/,
    );
    expect(tookMs).toBe(60_000);
    expect(updates).toBeGreaterThan(3);
  });
});
