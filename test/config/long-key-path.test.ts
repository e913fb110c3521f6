import { describe, expect, it } from 'vitest';
import { problemsOf } from './sample.js';

// A key no config has (10,000 characters) once came back whole in the problem's path: a
// 10,000-character line. The path cuts it as a value is cut, and says how long it was.
const F = '.github/model-gate.yml';
const LONG = 'k'.repeat(10_000);
const withStrategyKey = (key: string) => `version: 1
models:
  fraud:
    source: { file: model.yaml, key: version }
    target: { type: sandbox, url: http://127.0.0.1:1 }
    metrics: { type: sandbox, url: http://127.0.0.1:1 }
    strategy: { type: canary, steps: [10], ${key}: 1 }
    gates: []
`;

describe('the path of a problem under a very long key', () => {
  it('shows the key cut to 64 characters and its length, on a short line', () => {
    const problems = problemsOf(withStrategyKey(LONG));
    expect(problems).toEqual([
      `${F}:7:44: models.fraud.strategy["${'k'.repeat(64)}…" (10000 characters)]: unknown key (allowed: type, steps, step-duration, min-requests, interval)`,
    ]);
  });

  it('leaves a key as long as a model or gate name may be (63 characters) whole', () => {
    const key = 'k'.repeat(63);
    expect(problemsOf(withStrategyKey(key))).toEqual([
      `${F}:7:44: models.fraud.strategy.${key}: unknown key (allowed: type, steps, step-duration, min-requests, interval)`,
    ]);
  });
});
