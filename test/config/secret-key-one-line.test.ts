import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { problemsOf } from './sample.js';

// A Datadog key stored with `gh secret set DD_API_KEY < file` keeps the file's last line break:
// loaded as it was, every look said "cannot reach …: invalid DD-API-KEY header" (a passing fault)
// and Datadog was never asked. The key comes from the environment, so it is refused once
// interpolated, naming the field and never showing the value.

const config = `version: 1
defaults:
  target: { type: sandbox, url: http://127.0.0.1:8080 }
  metrics: { type: datadog, api-key: "\${DD_API_KEY}", application-key: "\${DD_APP_KEY}", requests: "sum:r{slot:{{slot}}}.as_count()" }
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
    strategy: { type: canary, steps: [10] }
    gates: []
`;
const KEY = 'abcdefgh12345';

describe('a Datadog key from the environment that is not one line', () => {
  it('is refused when it ends with a newline, naming the field, not showing the value', () => {
    const problems = problemsOf(config, { DD_API_KEY: `${KEY}\n`, DD_APP_KEY: 'zyxwvut98765' });
    expect(problems).toEqual([
      '.github/model-gate.yml:4:38: defaults.metrics.api-key: expected a key on one line, but the value (not shown) ends with a newline, as a secret set from a file with "gh secret set NAME < file" does: set it again without one (gh secret set NAME --body "$(cat file)")',
    ]);
    expect(problems.join('\n')).not.toContain(KEY);
  });

  it('is refused with a line break inside, the application key too', () => {
    const problems = problemsOf(config, { DD_API_KEY: KEY, DD_APP_KEY: 'zyxw\r\nvut98765' });
    expect(problems).toEqual([
      expect.stringContaining(
        'defaults.metrics.application-key: expected a key on one line, but the value (not shown) has a line break or NUL character in it',
      ),
    ]);
    expect(problems.join('\n')).not.toContain('vut98765');
  });

  it('loads a key on one line', () => {
    const model = parseConfig(config, { DD_API_KEY: KEY, DD_APP_KEY: 'zyxwvut98765' }).config.models.fraud;
    expect(model?.metrics).toMatchObject({ apiKey: KEY, applicationKey: 'zyxwvut98765' });
  });
});
