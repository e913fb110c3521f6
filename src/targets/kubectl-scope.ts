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
