/**
 * Model `fraud` on a 50% canary step reading `metrics` (a YAML flow mapping), judged by `gates`
 * (YAML flow mappings): the config a metric source's end-to-end gate test parses.
 */
export const fraudOnSource = (metrics: string, gates: string[], minRequests = 100) => `version: 1
defaults:
  target: { type: sandbox, url: http://127.0.0.1:1 }
  strategy: { type: canary, steps: [50], min-requests: ${minRequests} }
models:
  fraud:
    source: { file: model.yaml, key: version }
    metrics: ${metrics}
    gates:
${gates.map((g) => `      - ${g}`).join('\n')}
`;

/** One look at fraud's candidate v2 against stable v1 over [since, now). */
export const fraudLook = <M>(metrics: M, since: number, now: number, minRequests = 100) => ({
  metrics,
  model: 'fraud',
  stable: 'v1',
  candidate: 'v2',
  since,
  now,
  minRequests,
});
