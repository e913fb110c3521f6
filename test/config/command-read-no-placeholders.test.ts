import { describe, expect, it } from 'vitest';
import { problemsOf } from './sample.js';

// A command target's `read` prints what the platform serves: it is given no values, so a
// placeholder in its arguments would reach the command as the literal text `{{candidate}}`.
const F = '.github/model-gate.yml';
const withRead = (read: string) => `version: 1
models:
  fraud:
    source: { file: model.yaml, key: version }
    target: { type: command, apply: [./sw, "{{stable}}", "{{candidate}}"], read: ${read} }
    metrics: { type: sandbox, url: http://127.0.0.1:1 }
    strategy: { type: canary, steps: [10, 50] }
    gates: []
`;

describe("a placeholder in a command target's read", () => {
  it('is refused, naming the argument and why', () => {
    expect(problemsOf(withRead('[./state, --candidate, "{{candidate}}", "--at={{stable}}"]'))).toEqual([
      `${F}:5:105: models.fraud.target.read[2]: read is given no placeholders; it prints what serves, whatever was asked: remove "{{candidate}}"`,
      `${F}:5:122: models.fraud.target.read[3]: read is given no placeholders; it prints what serves, whatever was asked: remove "--at={{stable}}"`,
    ]);
  });
});
