import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';

describe('the agreement gate kind', () => {
  it('is a threshold gate on the agreement query, with a 95% floor by default', () => {
    const text = `version: 1
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
    target: { type: sandbox, url: http://127.0.0.1:8080 }
    metrics: { type: sandbox, url: http://127.0.0.1:8080 }
    strategy: { type: shadow, share: 50, duration: 1h }
    gates: [{ name: agree, kind: agreement }, { name: strict, kind: agreement, min: 0.99, failure-limit: 1 }]
`;
    expect(parseConfig(text, {}).config.models.fraud?.gates).toEqual([
      {
        kind: 'threshold',
        name: 'agree',
        query: 'agreement',
        min: 0.95,
        failureLimit: 0,
        consecutiveErrorLimit: 4,
      },
      {
        kind: 'threshold',
        name: 'strict',
        query: 'agreement',
        min: 0.99,
        failureLimit: 1,
        consecutiveErrorLimit: 4,
      },
    ]);
  });
});
