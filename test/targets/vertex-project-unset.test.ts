import { describe, expect, it } from 'vitest';
import type { VertexTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { vertexTarget } from '../../src/targets/vertex-target.js';
import { vertexFraudEndpoint } from '../support/fraud-endpoints.js';
import { useStandins } from '../support/standin-server.js';
import { FAST, step } from './drive.js';

// A vertex target without `project` uses gcloud's own project (core/project, as documented in
// docs/targets/vertex.md). The stand-in used to answer for a made-up `example-project` where real
// gcloud refuses the call, so a config that relies on an unset property looked like one whose
// endpoint is missing. gcloud is the stand-in.

const standins = useStandins('gcloud', vertexFraudEndpoint);

const withoutProject: VertexTargetConfig = {
  type: 'vertex',
  endpoint: '4321',
  region: 'us-central1',
  deployedModel: 'fraud-{{version}}',
  ...FAST,
};

const canaryStep = () =>
  reconcile(vertexTarget(withoutProject, 'fraud', new FakeClock()), step('v1', 'v2', 10)).catch(
    (e: unknown) => e,
  );

describe('a vertex target without project', () => {
  it("uses gcloud's configured project", async () => {
    await standins.seed({ ...vertexFraudEndpoint(), gcloudProject: 'ml-prod' });
    await expect(canaryStep()).resolves.toEqual(step('v1', 'v2', 10));
    const calls = (await standins.calls('gcloud')).map((c) => c.argv);
    expect(calls.every((argv) => !argv.some((a) => a.startsWith('--project')))).toBe(true);
  });

  it('with none configured: fails on its first read, in gcloud words, changing nothing', async () => {
    const err = await canaryStep();
    expect((err as Error).message).toMatch(
      /^`gcloud ai endpoints describe 4321 --region=us-central1 --format=json --quiet` failed \(exit 1\) on Vertex AI endpoint 4321 \(us-central1\): .*The required property \[project\] is not currently set\..*gcloud config set project VALUE/s,
    );
    expect((await standins.calls('gcloud')).map((c) => c.argv[2])).toEqual(['describe']);
  });
});
