import { describe, expect, it } from 'vitest';
import type { KServeTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { UnconfirmedChange } from '../../src/release/confirmed-change.js';
import { TargetAccessError } from '../../src/targets/errors.js';
import { kserveTarget } from '../../src/targets/kserve-target.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { fraudCanaryOn } from '../support/model-config.js';
import { useStandins } from '../support/standin-server.js';
import { step } from './drive.js';
import { ISVC, servingV1 } from './kserve-cluster.js';
import { type ReadBackPlatform, rollBackWhileReadsFail } from './read-back-world.js';

// kubectl whose kubeconfig gets its token from a credential plugin (kubelogin on AKS, `aws eks
// get-token`, gke-gcloud-auth-plugin) that failed (its login expired: AADSTS700082; the plugin not
// installed; a plugin API kubectl no longer takes) read as an outage: a rollback's read-back waited
// out its settle-timeout and ended "unconfirmed", and a first change was no refusal of the job's
// credentials, with no word of them. kubectl never reached the cluster and no wait mends a login:
// both fail at once, saying to check the credentials kubectl runs with. The texts are kubectl's
// (client-go's exec authenticator: `getting credentials: exec: …`, `exec plugin: invalid
// apiVersion …`). kubectl is the stand-in; time runs on a FakeClock.

const standins = useStandins('kubectl', () => servingV1());

const kserve: ReadBackPlatform = {
  standins,
  cli: 'kubectl',
  target:
    '{ type: kserve, namespace: ml, storage-uri: "gs://models/{{model}}/{{version}}", settle-timeout: 10m, poll-interval: 10s }',
  make: (model, clock) => kserveTarget(model.target as KServeTargetConfig, 'fraud', clock),
  isRead: (argv) => argv[0] === 'get',
};

const KUBELOGIN_EXPIRED = `E1201 12:00:00.000000    1234 memcache.go:265] couldn't get current server API group list: Get "https://aks-prod.hcp.westeurope.azmk8s.io:443/api?timeout=32s": getting credentials: exec: executable kubelogin failed with exit code 1
Error: failed to get token: expected an empty error but received: AzureCLICredential: ERROR: AADSTS700082: The refresh token has expired due to inactivity.
Unable to connect to the server: getting credentials: exec: executable kubelogin failed with exit code 1`;
const GKE_PLUGIN_MISSING = `E1201 12:00:00.000000    1234 memcache.go:265] couldn't get current server API group list: Get "https://34.1.2.3/api?timeout=32s": getting credentials: exec: executable gke-gcloud-auth-plugin not found

It looks like you are trying to use a client-go credential plugin that is not installed.

To learn more about this feature, consult the documentation available at:
      https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins

Install gke-gcloud-auth-plugin for use with kubectl by following https://cloud.google.com/blog/products/containers-kubernetes/kubectl-auth-changes-in-gke
Unable to connect to the server: getting credentials: exec: executable gke-gcloud-auth-plugin not found`;
const EKS_TOKEN_FAILED =
  'Unable to connect to the server: getting credentials: exec: executable aws failed with exit code 255';
const OLD_PLUGIN_API = 'error: exec plugin: invalid apiVersion "client.authentication.k8s.io/v1alpha1"';
const FIX = '; check the credentials `kubectl` runs with in the job: expired, or without the permission';

const failing = (op: string, message: string) => ({
  cli: 'kubectl' as const,
  op,
  kind: 'fail' as const,
  times: -1,
  message,
});

describe('kubectl whose credential plugin got no token', () => {
  it.each([
    ['kubelogin, its login expired', KUBELOGIN_EXPIRED],
    ['gke-gcloud-auth-plugin not installed', GKE_PLUGIN_MISSING],
    ['aws eks get-token failing', EKS_TOKEN_FAILED],
    ['a plugin API kubectl no longer takes', OLD_PLUGIN_API],
  ])('(%s): a first change is refused for the credentials, changing nothing', async (_, message) => {
    await standins.fault(failing(`patch ${ISVC}`, message));
    const model = fraudCanaryOn(kserve.target).model;
    const err = await reconcile(kserve.make(model, new FakeClock()), step('v1', 'v2', 10)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TargetAccessError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^\`kubectl patch ${ISVC} fraud -n ml .*\` failed \\(exit 1\\) on KServe InferenceService fraud \\(namespace ml\\): `,
      ),
    );
    expect((err as Error).message).toMatch(/(getting credentials: exec: |exec plugin: )/);
    expect((err as Error).message.endsWith(FIX)).toBe(true);
    expect(
      (await standins.state()).k8s[ISVC]['ml/fraud'].spec.predictor.canaryTrafficPercent,
    ).toBeUndefined();
  });

  it('after a rollback the API server took: fails after one read, at once, saying to fix the credentials, never unconfirmed', async () => {
    const { err, tookMs, reads } = await rollBackWhileReadsFail(kserve, failing('get', KUBELOGIN_EXPIRED));
    expect(err).toBeInstanceOf(TargetAccessError);
    expect(err).not.toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toContain(
      'AADSTS700082: The refresh token has expired due to inactivity.',
    );
    expect((err as Error).message.endsWith(FIX)).toBe(true);
    expect(tookMs).toBe(0);
    expect(reads).toBe(1);
  });
});
