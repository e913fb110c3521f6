import { describe, expect, it } from 'vitest';
import { problemsOf } from './sample.js';

const F = '.github/model-gate.yml';

const model = (lines: string) => `version: 1
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
    target: { type: sandbox, url: http://127.0.0.1:8080 }
    metrics: { type: sandbox, url: http://127.0.0.1:8080 }
${lines}`;

// A value from a fixed list one slip off gets the "did you mean" a key gets; the line for a
// key of another strategy says which strategy takes it; a tab says to indent with spaces.
describe('values one slip off a fixed list', () => {
  it('type: canery, kind: treshold, on-merge: require-pas', () => {
    const text = model(`    strategy: { type: canery, steps: [10] }
    gates:
      - { name: e, kind: treshold, query: error-rate, max: 0.02 }
    on-merge: require-pas
`);
    expect(problemsOf(text)).toEqual([
      `${F}:7:23: models.fraud.strategy.type: unknown strategy type "canery", did you mean "canary"?`,
      `${F}:9:26: models.fraud.gates[0].kind: unknown gate kind "treshold", did you mean "threshold"?`,
      `${F}:10:15: models.fraud.on-merge: unknown value "require-pas", did you mean "require-pass"?`,
    ]);
  });
});

describe('keys and indentation', () => {
  it('bake-duration on a canary names the strategy that takes it', () => {
    expect(
      problemsOf(model('    strategy: { type: canary, steps: [10], bake-duration: 10m }\n    gates: []\n')),
    ).toEqual([
      `${F}:7:44: models.fraud.strategy.bake-duration: only type: blue-green takes this key (canary takes: type, steps, step-duration, min-requests, interval)`,
    ]);
  });

  it('one tab in the indentation: one line, indent with spaces', () => {
    const text = model('    strategy:\n      type: canary\n\t  steps: [10, 50]\n      step-duration: 10m\n');
    expect(problemsOf(text)).toEqual([`${F}:9:1: a tab in the indentation: indent with spaces`]);
  });
});
