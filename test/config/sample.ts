import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';

export const ENV = { SANDBOX_URL: 'http://127.0.0.1:8080' };

/** A complete, valid config in the shape the docs show. */
export const VALID = `version: 1
defaults:
  target: { type: sandbox, url: "\${SANDBOX_URL}" }
  metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
  strategy: { type: canary, steps: [5, 50] }
models:
  fraud-detector:
    source: { file: models/fraud/model.yaml, key: model.version }
    target: { type: sandbox, url: http://127.0.0.1:8080, model: fraud }
    strategy: { type: canary, steps: [10, 25, 50], step-duration: 1h30m, min-requests: 500, interval: 500ms }
    gates:
      - { name: error-rate, kind: threshold, query: error-rate, max: 0.02, failure-limit: 1 }
      - { name: p99, kind: threshold, query: latency-p99, max-increase: 12.5%, inconclusive-limit: 3 }
      - { name: auc, kind: offline, file: models/fraud/eval.json, key: auc, min: 0.9 }
    on-merge: analyze-then-promote
  ranker:
    source: { file: models/ranker/model.json, key: version }
    gates: []
    must-have-data: false
`;

/** The problems `parseConfig` reports for `text`, or a failure if it accepts it. */
export function problemsOf(text: string, env: Record<string, string | undefined> = ENV): string[] {
  try {
    parseConfig(text, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError, but the config was accepted');
}
