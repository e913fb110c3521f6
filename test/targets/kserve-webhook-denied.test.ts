import { describe, expect, it } from 'vitest';
import { prReleaseWorld } from '../support/pr-release-world.js';
import { useStandins } from '../support/standin-server.js';
import { ISVC, REV, servingV1 } from './kserve-cluster.js';

// KServe's validating webhook denies the patch that deploys v2 (here a storageUri scheme an older
// KServe's validator does not take): `kubectl patch` exits 1 with kubectl's `Error from server
// (Forbidden): admission webhook "…" denied the request: …` and the API server stores nothing. It
// was "the serving platform failed" plus a rollback patch; it is the request's refusal now, naming
// the webhook's reason, with no rollback patch.

// v1 was deployed from gs:// before the team moved the template to a scheme the webhook denies.
const standins = useStandins('kubectl', () => {
  const state = servingV1();
  const revision = state.k8s[REV]['ml/fraud-predictor-00001'];
  revision.metadata.annotations['model-gate.dev/version'] = 'v1';
  return state;
});

const CONFIG = `version: 1
models:
  fraud:
    source: { file: model.yaml, key: version }
    target: { type: kserve, namespace: ml, storage-uri: "ftp://models/{{model}}/{{version}}", timeout: 10s, settle-timeout: 2s, poll-interval: 10ms }
    metrics: { type: file, path: unused.json }
    strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;

const REASON =
  'storageUri, must be one of: [gs://, s3://, pvc://, file://] or match https://{}.blob.core.windows.net/{}/{} or be an absolute or relative local path. StorageUri [ftp://models/fraud/v2] is not supported.';

describe('a KServe patch its admission webhook denies', () => {
  it("is reported not deployed with the webhook's reason, and nothing is rolled back", async () => {
    await standins.fault({
      cli: 'kubectl',
      op: `patch ${ISVC}`,
      kind: 'fail',
      code: 'Forbidden',
      message: `admission webhook "inferenceservice.kserve-webhook-server.validator" denied the request: ${REASON}`,
      times: 1,
    });
    const { ports, release } = await prReleaseWorld(CONFIG);
    const [opened] = await release(7, 'v1', 'v2');
    const failed = await ports.ledger.release('fraud');

    expect(opened).toBe('failed');
    expect(failed?.reason).toMatch(
      /^v2 was not deployed and got no traffic: the platform refused the switch to 10% of live traffic: /,
    );
    expect(failed?.reason).toContain(
      `the API server's admission webhook "inferenceservice.kserve-webhook-server.validator" denied the patch, nothing changed: ${REASON.slice(0, 60)}`,
    );
    expect(failed?.reason).toContain('Fix what it names');
    expect(failed?.ending).toEqual({ firstChangeRefused: 'request' });
    const patches = (await standins.calls('kubectl')).filter((c) => c.argv[0] === 'patch');
    expect(patches).toHaveLength(1); // the denied one: no rollback patch
    const isvc = (await standins.state()).k8s[ISVC]['ml/fraud'];
    expect(isvc.spec.predictor.model.storageUri).toBe('gs://models/fraud/v1');
  });
});
