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
 */
export const KUBECTL_DENIED =
  /You must be logged in to the server|is forbidden: User ".*?" cannot [\w-]+ resource/;
