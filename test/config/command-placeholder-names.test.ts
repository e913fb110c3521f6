import { describe, expect, it } from 'vitest';
import { problemsOf } from './sample.js';

// A command target's argument that is a lone {{ … }} is already its own list item: telling the
// user to "put each in its own list item" sends them nowhere. Name what is wrong with it instead.
const F = '.github/model-gate.yml';
const KNOWN = '{{stable}}, {{candidate}}, {{weight}}, {{mirror}}, {{mirror-share}}, {{sticky-header}}';
const withApply = (apply: string) => `version: 1
models:
  fraud:
    source: { file: model.yaml, key: version }
    target: { type: command, apply: ${apply}, read: [./state] }
    metrics: { type: sandbox, url: http://127.0.0.1:1 }
    strategy: { type: canary, steps: [10, 50] }
    gates: []
`;

describe('a command target argument that is one placeholder on its own', () => {
  it('an unknown name is called an unknown placeholder, listing the known ones', () => {
    expect(problemsOf(withApply('[./sw, "{{model}}", "{{candidate}}"]'))).toEqual([
      `${F}:5:44: models.fraud.target.apply[1]: unknown placeholder "{{model}}" (known: ${KNOWN})`,
    ]);
  });

  it('a known name written with spaces is told to drop them', () => {
    expect(problemsOf(withApply('[./sw, "{{stable}}", "{{ candidate }}"]'))).toEqual([
      `${F}:5:58: models.fraud.target.apply[2]: write {{candidate}} without spaces inside the braces, got "{{ candidate }}"`,
    ]);
  });

  it('a placeholder inside a longer argument still says to give it its own item', () => {
    expect(problemsOf(withApply('[./sw, "--to={{candidate}}"]'))).toEqual([
      `${F}:5:44: models.fraud.target.apply[1]: placeholders are replaced as whole arguments only (${KNOWN}): put each in its own list item, got "--to={{candidate}}"`,
    ]);
  });
});
