// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text, where ${NAME} is interpolation syntax
import { describe, expect, it } from 'vitest';
import { runMainStep } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';
import { problemsOf } from './sample.js';

const F = '.github/model-gate.yml';

/** The README's config with `url` written as given in the defaults' flow mappings. */
const config = (targetUrl: string, metricsUrl = '"${SANDBOX_URL}"') => `version: 1
defaults:
  target:  { type: sandbox, url: ${targetUrl} }   # \${NAME} comes from the environment
  metrics: { type: sandbox, url: ${metricsUrl} }
models:
  fraud-detector:
    source: { file: models/fraud-detector/model.yaml, key: version }
    strategy:
      type: canary
      steps: [10, 25, 50]
    gates:
      - { name: offline-auc, kind: offline, file: models/fraud-detector/eval.json, key: auc, min: 0.9 }
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
    on-merge: require-pass
`;

const notQuoted = (reference: string, fix: string) =>
  `${reference} is not quoted: inside { } or [ ] YAML reads its { as the start of a mapping, and the lines after it fail too; quote the value: ${fix}`;

// Unquoted in a flow mapping, `${NAME}`'s `{` opens a mapping: YAML then fails every later line of
// the file. One line says where and how to quote it; the follow-on errors are not shown.
describe('an unquoted ${NAME} inside { }', () => {
  it('one line at the reference, saying to quote it, and nothing about the lines after it', () => {
    expect(problemsOf(config('${SANDBOX_URL}'))).toEqual([
      `${F}:3:34: ${notQuoted('${SANDBOX_URL}', 'url: "${SANDBOX_URL}"')}`,
    ]);
  });

  it('one line for each, the whole value quoted when the reference is part of it', () => {
    expect(problemsOf(config('http://${HOST}:${PORT}/v1', '${SANDBOX_URL}'))).toEqual([
      `${F}:3:41: ${notQuoted('${HOST}', 'url: "http://${HOST}:${PORT}/v1"')}`,
      `${F}:4:34: ${notQuoted('${SANDBOX_URL}', 'url: "${SANDBOX_URL}"')}`,
    ]);
  });

  it('in a flow list too', () => {
    const text = config('"${SANDBOX_URL}"').replace('steps: [10, 25, 50]', 'steps: [10, ${STEP}]');
    expect(problemsOf(text, { SANDBOX_URL: 'http://127.0.0.1:8080', STEP: '50' })).toEqual([
      `${F}:10:19: ${notQuoted('${STEP}', '"${STEP}"')}`,
    ]);
  });

  it('a YAML mistake of its own elsewhere is still reported, at its own place', () => {
    const text = config('${SANDBOX_URL}').replace(
      '    on-merge: require-pass\n',
      '    on-merge: [require-pass\n',
    );
    expect(problemsOf(text)).toEqual([
      `${F}:3:34: ${notQuoted('${SANDBOX_URL}', 'url: "${SANDBOX_URL}"')}`,
      expect.stringMatching(/^\.github\/model-gate\.yml:\d+:\d+: YAML syntax error: /),
    ]);
  });

  it('as a block value it needs no quotes: YAML reads it as text', () => {
    const block = config('"${SANDBOX_URL}"').replace(
      '  target:  { type: sandbox, url: "${SANDBOX_URL}" }',
      '  target:\n    type: sandbox\n    url: ${SANDBOX_URL}',
    );
    expect(() => problemsOf(block)).toThrow('expected a ConfigError, but the config was accepted');
  });

  it("the action's ::error:: says the same, in one line", async () => {
    const run = await runMainStep({
      eventName: 'pull_request',
      event: pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 3 }),
      inputs: {},
      config: config('${SANDBOX_URL}'),
      // The config fails before anything is asked of GitHub.
      githubUrl: 'http://127.0.0.1:1',
      env: { SANDBOX_URL: 'http://127.0.0.1:1' },
    });
    expect(run.error).toMatch(
      /:3:34: \$\{SANDBOX_URL\} is not quoted: .* quote the value: url: "\$\{SANDBOX_URL\}"$/,
    );
    expect(run.error).not.toMatch(/YAML syntax error/);
  });
});

// A template variable unquoted where YAML reads its `{` as a mapping got the parser's own words
// ("Unexpected flow-map-start at node end", then a line for each later key) or "a list or mapping
// is used as a key": nothing said to quote it, nor which value.
describe('an unquoted {{name}}', () => {
  const withGate = (gate: string) =>
    config('"${SANDBOX_URL}"').replace(
      '      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }',
      gate,
    );

  it('inside { }: one line at the variable, with the whole value quoted, not a line per later key', () => {
    const text = config('"${SANDBOX_URL}"').replace(
      '  metrics: { type: sandbox, url: "${SANDBOX_URL}" }',
      '  metrics: { type: file, path: metrics/{{model}}.json }',
    );
    expect(problemsOf(text)).toEqual([
      `${F}:4:40: ${notQuoted('{{model}}', 'path: "metrics/{{model}}.json"')}`,
    ]);
  });

  const atStart = (reference: string, fix: string) =>
    `${reference} is not quoted: at the start of a value YAML reads its { as the start of a mapping; quote the value: ${fix}`;

  it('starting a block value with more after it', () => {
    const text = withGate(
      '      - name: errors\n        kind: threshold\n        query: {{slot}}_errors\n        max: 0.02',
    );
    expect(problemsOf(text)).toEqual([`${F}:15:16: ${atStart('{{slot}}', 'query: "{{slot}}_errors"')}`]);
  });

  it('as the whole value, which YAML reads as a mapping without complaint: named with its field', () => {
    const text = withGate(
      '      - name: errors\n        kind: threshold\n        query: {{slot}}\n        max: 0.02',
    );
    expect(problemsOf(text)).toEqual([
      `${F}:15:16: models.fraud-detector.gates[1].query: ${atStart('{{slot}}', 'query: "{{slot}}"')}`,
    ]);
  });

  it('a { of another kind stays the parser error it is: no advice about a {{slot}} after it', () => {
    const text = withGate('      - { name: errors, kind: threshold, query: x{slot="{{slot}}"}, max: 0.02 }');
    expect(problemsOf(text)).toEqual([
      expect.stringMatching(/^\.github\/model-gate\.yml:13:50: YAML syntax error: /),
    ]);
  });
});
