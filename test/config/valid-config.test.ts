// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text, where ${NAME} is interpolation syntax
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { ENV, problemsOf, VALID } from './sample.js';

const URL = ENV.SANDBOX_URL;

describe('a valid config', () => {
  it('is normalised: durations in ms, percentages as fractions, defaults filled in, kebab-case to camelCase', () => {
    const { config, interpolated } = parseConfig(VALID, ENV);
    const expected: Config = {
      version: 1,
      allowForks: false,
      models: {
        'fraud-detector': {
          name: 'fraud-detector',
          source: { file: 'models/fraud/model.yaml', key: 'model.version' },
          target: { type: 'sandbox', url: URL, model: 'fraud' },
          metrics: { type: 'sandbox', url: URL },
          strategy: {
            type: 'canary',
            steps: [10, 25, 50],
            stepDurationMs: 5_400_000,
            minRequests: 500,
            intervalMs: 500,
          },
          gates: [
            {
              kind: 'threshold',
              name: 'error-rate',
              query: 'error-rate',
              max: 0.02,
              failureLimit: 1,
              consecutiveErrorLimit: 4,
            },
            {
              kind: 'threshold',
              name: 'p99',
              query: 'latency-p99',
              maxIncrease: 0.125,
              failureLimit: 0,
              inconclusiveLimit: 3,
              consecutiveErrorLimit: 4,
            },
            { kind: 'offline', name: 'auc', file: 'models/fraud/eval.json', key: 'auc', min: 0.9 },
          ],
          onMerge: 'analyze-then-promote',
          mustHaveData: true,
        },
        ranker: {
          name: 'ranker',
          source: { file: 'models/ranker/model.json', key: 'version' },
          target: { type: 'sandbox', url: URL },
          metrics: { type: 'sandbox', url: URL },
          strategy: {
            type: 'canary',
            steps: [5, 50],
            stepDurationMs: 600_000,
            minRequests: 100,
            intervalMs: 30_000,
          },
          gates: [],
          onMerge: 'require-pass',
          mustHaveData: false,
        },
      },
    };
    expect(config).toStrictEqual(expected);
    expect(Object.keys(config.models)).toEqual(['fraud-detector', 'ranker']);
    expect(interpolated).toEqual([
      {
        path: 'defaults.target.url',
        keys: ['defaults', 'target', 'url'],
        value: URL,
        variables: ['SANDBOX_URL'],
      },
      {
        path: 'defaults.metrics.url',
        keys: ['defaults', 'metrics', 'url'],
        value: URL,
        variables: ['SANDBOX_URL'],
      },
    ]);
  });

  it("replaces defaults.strategy as a whole: a model's own strategy gets the built-in defaults", () => {
    const text = VALID.replace(
      'strategy: { type: canary, steps: [5, 50] }',
      'strategy: { type: canary, steps: [5, 50], step-duration: 1h, min-requests: 7, interval: 1m }',
    ).replace(
      'strategy: { type: canary, steps: [10, 25, 50], step-duration: 1h30m, min-requests: 500, interval: 500ms }',
      'strategy: { type: canary, steps: [100] }',
    );
    const { config } = parseConfig(text, ENV);
    expect(config.models['fraud-detector']?.strategy).toStrictEqual({
      type: 'canary',
      steps: [100],
      stepDurationMs: 600_000,
      minRequests: 100,
      intervalMs: 30_000,
    });
    expect(config.models.ranker?.strategy).toStrictEqual({
      type: 'canary',
      steps: [5, 50],
      stepDurationMs: 3_600_000,
      minRequests: 7,
      intervalMs: 60_000,
    });
  });

  it('takes on-merge and must-have-data from defaults when a model omits them', () => {
    const text = VALID.replace(
      'defaults:\n',
      'defaults:\n  on-merge: analyze-then-promote\n  must-have-data: false\n',
    );
    const { config } = parseConfig(text, ENV);
    expect(config.models.ranker?.onMerge).toBe('analyze-then-promote');
    expect(config.models['fraud-detector']?.mustHaveData).toBe(false);
  });

  it('accepts YAML anchors and merge keys, and JSON', () => {
    const text = `version: 1
defaults: { target: &sb { type: sandbox, url: "http://127.0.0.1:1" }, metrics: *sb, strategy: { type: canary, steps: [50] } }
models:
  a: &base
    source: { file: a.yaml, key: version }
    gates: []
  b:
    <<: *base
    source: { file: b.yaml, key: version }
`;
    const { config } = parseConfig(text, {});
    expect(config.models.b?.source.file).toBe('b.yaml');
    expect(config.models.b?.gates).toEqual([]);
    const json = JSON.stringify({
      version: 1,
      models: { c: { source: { file: 'c.json', key: 'v' }, gates: [] } },
    });
    expect(() => parseConfig(json, {})).toThrow('models.c.target: required (or set defaults.target)');
  });
});

describe('${NAME} interpolation', () => {
  const withUrl = (url: string) =>
    VALID.replace('url: http://127.0.0.1:8080, model: fraud', () => `url: "${url}", model: fraud`);

  it('substitutes several variables in one value and reports the field', () => {
    const { config, interpolated } = parseConfig(withUrl('http://${HOST}:${PORT}/v1'), {
      ...ENV,
      HOST: 'serving.internal',
      PORT: '9000',
    });
    expect(config.models['fraud-detector']?.target).toMatchObject({ url: 'http://serving.internal:9000/v1' });
    expect(interpolated).toContainEqual({
      path: 'models.fraud-detector.target.url',
      keys: ['models', 'fraud-detector', 'target', 'url'],
      value: 'http://serving.internal:9000/v1',
      variables: ['HOST', 'PORT'],
    });
  });

  it('keeps $${ as a literal ${ and does not expand inside a substituted value', () => {
    const { config, interpolated } = parseConfig(withUrl('http://h/$${HOST}/${PATH_PART}'), {
      ...ENV,
      PATH_PART: '${HOST}',
    });
    expect(config.models['fraud-detector']?.target).toMatchObject({ url: 'http://h/${HOST}/${HOST}' });
    expect(interpolated.map((f) => f.path)).toContain('models.fraud-detector.target.url');
  });

  it('refuses a malformed reference and an unterminated one', () => {
    expect(problemsOf(withUrl('http://${BAD-NAME}/'))).toEqual([
      '.github/model-gate.yml:9:35: models.fraud-detector.target.url: "${BAD-NAME}" is not an environment variable reference (letters, digits and _ only; write "$${" for a literal "${")',
    ]);
    expect(problemsOf(withUrl('http://${HOST'))).toEqual([
      '.github/model-gate.yml:9:35: models.fraud-detector.target.url: unterminated "${" (write "$${" for a literal "${")',
    ]);
  });

  it('never shows a substituted value in an error: it may be a secret', () => {
    const problems = problemsOf(withUrl('ftp://${TOKEN}@host/'), { ...ENV, TOKEN: 's3cr3t-t0ken' });
    expect(problems).toEqual([
      '.github/model-gate.yml:9:35: models.fraud-detector.target.url: expected an http:// or https:// URL, got "ftp://${TOKEN}@host/" (value from the environment, not shown)',
    ]);
    expect(problems.join('\n')).not.toContain('s3cr3t');
  });

  it('leaves keys, numbers and text without ${ alone', () => {
    const { interpolated } = parseConfig(VALID.replaceAll('${SANDBOX_URL}', URL), {});
    expect(interpolated).toEqual([]);
  });
});
