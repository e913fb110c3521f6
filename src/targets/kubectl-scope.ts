import type { Clock } from '../core/clock.js';
import { TargetError } from '../core/errors.js';
import { followedBy } from '../core/text.js';
import { TargetAccessError } from './errors.js';
import { callCli, type PlatformCli, type Timing } from './platform-cli.js';

/** The namespace (and kubeconfig context, when set) every kubectl call of a target is scoped to. */
export const kubectlScope = (config: { namespace: string; context?: string }): string[] => [
  '-n',
  config.namespace,
  ...(config.context ? ['--context', config.context] : []),
];

/**
 * kubectl's words for credentials the cluster refused: RBAC's `… is forbidden: User "x" cannot get
 * resource …`, an expired or absent login (`You must be logged in to the server (…)`, whatever the
 * server's reason). Not any `(Forbidden)`: an admission webhook's denial, an exceeded quota or a
 * namespace being deleted refuse the object, not who sent it.
 * Also a kubeconfig's credential plugin (kubelogin on AKS, `aws eks get-token`,
 * gke-gcloud-auth-plugin) that got no token, as client-go's exec authenticator words it: `getting
 * credentials: exec: executable kubelogin failed with exit code 1` (its login expired: AADSTS700082),
 * `getting credentials: exec: executable X not found` and the rest of that prefix, or `exec plugin:
 * invalid apiVersion "…"` (a kubeconfig asking for a plugin API kubectl no longer takes). kubectl
 * never reached the cluster, and no wait mends the login: the job's credentials do.
 */
export const KUBECTL_DENIED =
  /You must be logged in to the server|is forbidden: User ".*?" cannot [\w-]+ resource|getting credentials: |exec plugin: invalid apiVersion/;

/**
 * kubectl's words for a write an admission webhook refused (`Error from server (Forbidden):
 * admission webhook "inferenceservice.kserve-webhook-server.validator" denied the request: …`, as
 * KServe's validator, Seldon's, or a cluster's own policy webhook (Kyverno, Gatekeeper) answers):
 * its name and its reason. The API server stored nothing, and the same write gets the same answer.
 */
export const WEBHOOK_DENIED = /admission webhook ("[^"]+") denied the request: (.+?)\.?\s*$/m;

/**
 * kubectl's words for an API server that failed in passing: a 5xx it answered with
 * (`Error from server (ServiceUnavailable)`, `(InternalError)` as etcd's `request timed out` or a
 * proxy's 502 comes back, `(Timeout)`, `(ServerTimeout)`, etcd's `leader changed`), or nobody
 * answering at its address (`The connection to the server … was refused`, `Unable to connect to
 * the server: … i/o timeout`, a TLS handshake timeout, a connection cut): a control plane
 * restarting or upgraded, which an hours-long canary meets. Checked after KUBECTL_DENIED, whose
 * credential plugins also fail as `Unable to connect to the server: getting credentials: …`.
 * Not an admission webhook's denial, whatever its reason (WEBHOOK_DENIED: the same write gets the
 * same answer), nor `localhost:8080` (NO_KUBECONFIG): no wait brings a cluster to a runner that has none.
 */
export const KUBECTL_TRANSIENT =
  /Error from server \((?:ServiceUnavailable|InternalError|Timeout|ServerTimeout)\)(?!.*denied the request)|Error from server: etcdserver: |The connection to the server (?!localhost:8080 )\S+ was refused|Unable to connect to the server: .*(?:i\/o timeout|TLS handshake timeout|connection refused|connection reset by peer|EOF|http2: client connection lost|Client\.Timeout exceeded)/;

/** kubectl's words when no kubeconfig names a cluster: it falls back to localhost:8080, where nothing answers. */
const NO_KUBECONFIG = /The connection to the server localhost:8080 was refused/;

/** callCli's options, which callKubectl takes as they are. */
type CallOptions = Parameters<typeof callCli>[4];

/**
 * callCli for kubectl, with no cluster configured said as what to do (a TargetAccessError, so a
 * read-back stops at once). Passing failures (KUBECTL_TRANSIENT) are retried by callCli, safe as
 * a `get` reads and a merge patch (or an apply) sets the same fields to the same values however
 * often it lands; KUBECTL_OUTAGE_ADVICE follows one that lasted.
 */
export const callKubectl = (
  cli: PlatformCli,
  args: readonly string[],
  timing: Timing,
  clock: Clock,
  options?: CallOptions,
): Promise<string> => callCli(cli, args, timing, clock, options).catch(withKubectlAdvice);

function withKubectlAdvice(err: unknown): never {
  // Only a plain failure: a denied, missing, busy or throttled one already says what to do.
  if (!(err instanceof TargetError) || err.constructor !== TargetError) throw err;
  if (NO_KUBECONFIG.test(err.message)) {
    throw new TargetAccessError(
      followedBy(
        err.message,
        "no cluster configured for kubectl: set up the kubeconfig in an earlier step (your cloud's get-credentials step, or KUBECONFIG naming the file)",
      ),
    );
  }
  throw err;
}

/** What to do once kubectl's passing failures (KUBECTL_TRANSIENT) lasted to the deadline. */
export const KUBECTL_OUTAGE_ADVICE =
  "the cluster's API server did not answer (restarting, upgrading or overloaded): check the cluster, then try again";
