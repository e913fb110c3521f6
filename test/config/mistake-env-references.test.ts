import { describe, expect, it } from 'vitest';
import { problemsOf } from './sample.js';

const F = '.github/model-gate.yml';

/** A one-model config whose target url is `url`, written as YAML (quotes included). */
const withUrl = (url: string) => `version: 1
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
    target: { type: sandbox, url: ${url} }
    metrics: { type: sandbox, url: http://127.0.0.1:8080 }
    strategy: { type: canary, steps: [10, 50] }
    gates: []
`;

// What people paste from a workflow or a shell into the url field: each gets the field, the
// value as written (not cut short) and what to write instead.
describe('environment references written another way', () => {
  it('a GitHub expression: not expanded here; read it through the step env', () => {
    expect(problemsOf(withUrl(`"\${{ secrets.SANDBOX_URL }}"`))).toEqual([
      `${F}:5:35: models.fraud.target.url: "\${{ secrets.SANDBOX_URL }}": GitHub expressions are not expanded in this file; write "\${SANDBOX_URL}" and set SANDBOX_URL: \${{ secrets.SANDBOX_URL }} in the action step's env:`,
    ]);
  });

  it('a shell default: not supported; the value goes in the step env', () => {
    expect(problemsOf(withUrl(`"\${SANDBOX_URL:-http://localhost:8080}"`))).toEqual([
      `${F}:5:35: models.fraud.target.url: "\${SANDBOX_URL:-http://localhost:8080}": defaults are not supported; write "\${SANDBOX_URL}" and give SANDBOX_URL its value in the action step's env:`,
    ]);
  });

  it('a shell $NAME in a url: told to write the braced form', () => {
    expect(problemsOf(withUrl('"$SANDBOX_URL"'))).toEqual([
      `${F}:5:35: models.fraud.target.url: expected an http:// or https:// URL, got "$SANDBOX_URL": write "\${SANDBOX_URL}" to read SANDBOX_URL from the environment`,
    ]);
  });

  it('an unset variable: told where to set it', () => {
    expect(problemsOf(withUrl(`"\${SERVING_URL}"`), {})).toEqual([
      `${F}:5:35: models.fraud.target.url: environment variable SERVING_URL is not set: set it in the action step's env: (or export it)`,
    ]);
  });
});
