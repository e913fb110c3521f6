/** The namespace (and kubeconfig context, when set) every kubectl call of a target is scoped to. */
export const kubectlScope = (config: { namespace: string; context?: string }): string[] => [
  '-n',
  config.namespace,
  ...(config.context ? ['--context', config.context] : []),
];

/**
 * kubectl's words for credentials the cluster refused: RBAC's `Error from server (Forbidden)`,
 * an expired or absent login (`You must be logged in to the server (Unauthorized)`). Not an
 * admission webhook's denial, also a Forbidden: that one refuses the object, not who sent it.
 */
export const KUBECTL_DENIED = /\((Forbidden|Unauthorized)\)(?!.*admission webhook)/;
