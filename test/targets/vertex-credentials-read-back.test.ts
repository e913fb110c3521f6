import { describe, expect, it } from 'vitest';
import type { VertexTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { UnconfirmedChange } from '../../src/release/confirmed-change.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { vertexTarget } from '../../src/targets/vertex-target.js';
import { VERTEX_RESOURCE, vertexFraudEndpoint } from '../support/fraud-endpoints.js';
import { fraudCanaryOn } from '../support/model-config.js';
import { useStandins } from '../support/standin-server.js';
import { platformError } from '../support/standins/platform-error.js';
import { step } from './drive.js';
import { type ReadBackPlatform, removing, rollBackThen, rollBackWhileReadsFail } from './read-back-world.js';

// A rollback on Vertex AI whose read-back Google refused for the job's credentials (an IAM role
// without aiplatform.endpoints.get, no active gcloud account) was read again every poll-interval
// for the whole settle-timeout (10m here), then reported as an unconfirmed change. Waiting grants
// no permission: the rollback fails after one read, in gcloud's words, saying to fix the
// credentials. An unavailable API is still waited out. Time runs on a FakeClock; gcloud is the
// stand-in.
// Likewise an endpoint that is not there (deleted right after the change, an ID mistyped in the
// config) was a generic failure: a read-back waited out the settle-timeout on it and no message
// said to check the names. Waiting brings no endpoint back: it stops at once, saying so.

const standins = useStandins('gcloud', vertexFraudEndpoint);

const vertex: ReadBackPlatform = {
  standins,
  cli: 'gcloud',
  target:
    '{ type: vertex, endpoint: "4321", region: us-central1, project: ml-prod, deployed-model: "fraud-{{version}}", settle-timeout: 10m, poll-interval: 10s }',
  make: (model, clock) => vertexTarget(model.target as VertexTargetConfig, 'fraud', clock),
  isRead: (argv) => argv[2] === 'describe',
};

const DESCRIBE =
  '`gcloud ai endpoints describe 4321 --region=us-central1 --project=ml-prod --format=json --quiet`';
const FIX = '; check the credentials `gcloud` runs with in the job: expired, or without the permission';

describe('a rollback on Vertex AI whose read-back Google refuses', () => {
  it('for a missing IAM permission: fails after one read, at once, in gcloud words, saying to fix the credentials', async () => {
    const { err, tookMs, reads } = await rollBackWhileReadsFail(
      vertex,
      platformError(
        'gcloud',
        'describe',
        'PERMISSION_DENIED',
        "Permission 'aiplatform.endpoints.get' denied on resource '//aiplatform.googleapis.com/projects/ml-prod/locations/us-central1/endpoints/4321' (or it may not exist).",
      ),
    );
    expect(err).not.toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toMatch(
      /^`gcloud ai endpoints describe 4321 .*` failed \(exit 1\) on Vertex AI endpoint 4321 \(us-central1\): .*ERROR: \(gcloud\.ai\.endpoints\.describe\) PERMISSION_DENIED: Permission 'aiplatform\.endpoints\.get' denied on resource .*; check the credentials `gcloud` runs with in the job: expired, or without the permission$/,
    );
    expect(tookMs).toBe(0);
    expect(reads).toBe(1);
  });

  it('for no active account: fails after one read, at once, saying to fix the credentials', async () => {
    const { err, tookMs, reads } = await rollBackWhileReadsFail(vertex, {
      cli: 'gcloud',
      op: 'describe',
      kind: 'fail',
      times: -1,
      message:
        'You do not currently have an active account selected.\nPlease run:\n\n  $ gcloud auth login\n\nto obtain new credentials.',
    });
    expect(err).not.toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toContain('You do not currently have an active account selected.');
    expect((err as Error).message.startsWith(DESCRIBE)).toBe(true);
    expect((err as Error).message.endsWith(FIX)).toBe(true);
    expect(tookMs).toBe(0);
    expect(reads).toBe(1);
  });

  it('for an unavailable API: keeps reading until settle-timeout, then reports the change unconfirmed', async () => {
    const { err, tookMs, reads } = await rollBackWhileReadsFail(
      vertex,
      platformError('gcloud', 'describe', 'UNAVAILABLE', 'The service is currently unavailable.'),
    );
    expect(err).toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toContain(
      "UNAVAILABLE: The service is currently unavailable; Google's API did not answer",
    );
    expect(tookMs).toBeGreaterThanOrEqual(10 * 60_000);
    expect(reads).toBeGreaterThan(5);
  });
});

const CHECK_NAMES = "; check the names in the target's config: the platform has no such resource";

describe('a rollback on Vertex AI whose endpoint is gone', () => {
  it("fails after one read, at once, in gcloud's words, saying to check the names in the config", async () => {
    const { err, tookMs, reads } = await rollBackThen(
      vertex,
      removing(standins, (state) => delete state.vertex[VERTEX_RESOURCE]),
    );
    expect(err).not.toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toBe(
      `${DESCRIBE} failed (exit 1) on Vertex AI endpoint 4321 (us-central1): ERROR: (gcloud.ai.endpoints.describe) NOT_FOUND: Endpoint \`${VERTEX_RESOURCE}\` not found${CHECK_NAMES}`,
    );
    expect(tookMs).toBe(0);
    expect(reads).toBe(1);
  });
});

describe('a traffic change on a Vertex AI endpoint that is not there', () => {
  it('fails at once, changing nothing, saying to check the names in the config', async () => {
    const config = fraudCanaryOn(vertex.target.replace('endpoint: "4321"', 'endpoint: "4312"')).model
      .target as VertexTargetConfig;
    const err = await reconcile(vertexTarget(config, 'fraud', new FakeClock()), step('v1', 'v2', 10)).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(
      /^`gcloud ai endpoints describe 4312 .*` failed \(exit 1\) on Vertex AI endpoint 4312 \(us-central1\): .*NOT_FOUND: Endpoint `projects\/ml-prod\/locations\/us-central1\/endpoints\/4312` not found; check the names in the target's config: the platform has no such resource$/,
    );
    expect((await standins.calls('gcloud')).filter((c) => c.argv[2] === 'update')).toEqual([]);
  });
});
