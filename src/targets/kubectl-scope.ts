/** The namespace (and kubeconfig context, when set) every kubectl call of a target is scoped to. */
export const kubectlScope = (config: { namespace: string; context?: string }): string[] => [
  '-n',
  config.namespace,
  ...(config.context ? ['--context', config.context] : []),
];
