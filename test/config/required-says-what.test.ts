// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text, where ${NAME} is interpolation syntax
import { describe, expect, it } from 'vitest';
import { problemsOf } from './sample.js';

// A missing field said only "required": what to write there was in the schema's description,
// shown on hover in an editor but not by `model-gate validate`. Now the line says it, in a few words.
const F = '.github/model-gate.yml';
const config = (model: string, metrics = '{ type: prometheus, url: "http://prom:9090" }') => `version: 1
defaults:
  metrics: ${metrics}
models:
  fraud:
${model}`;

describe('a missing field is named with what it holds, in one short line', () => {
  it.each([
    [
      'source.file',
      '    source: { key: version }\n    target: { type: sandbox, url: "http://127.0.0.1:1" }\n    strategy: { type: canary, steps: [10] }\n    gates: []\n',
      `${F}:6:5: models.fraud.source.file: required: YAML or JSON file that declares the version, relative to the repository root`,
    ],
    [
      "a threshold gate's query",
      '    source: { file: m.yaml, key: version }\n    target: { type: sandbox, url: "http://127.0.0.1:1" }\n    strategy: { type: canary, steps: [10] }\n    gates: [{ name: errors, kind: threshold, max: 0.1 }]\n',
      // The description goes on to name the sandbox's metrics: cut to its first clause.
      `${F}:9:13: models.fraud.gates[0].query: required: The metric`,
    ],
    [
      "a canary's steps",
      '    source: { file: m.yaml, key: version }\n    target: { type: sandbox, url: "http://127.0.0.1:1" }\n    strategy: { type: canary }\n    gates: []\n',
      `${F}:8:5: models.fraud.strategy.steps: required: Percent of live traffic on the candidate at each step: strictly increasing, each in (0, 100]`,
    ],
    [
      "a KServe target's storage-uri",
      '    source: { file: m.yaml, key: version }\n    target: { type: kserve, namespace: ml }\n    strategy: { type: canary, steps: [10] }\n    gates: []\n',
      `${F}:7:5: models.fraud.target.storage-uri: required: The predictor's storageUri for a version, containing {{version}} (and optionally {{model}})`,
    ],
    [
      "a SageMaker target's endpoint",
      '    source: { file: m.yaml, key: version }\n    target: { type: sagemaker }\n    strategy: { type: canary, steps: [10] }\n    gates: []\n',
      `${F}:7:5: models.fraud.target.endpoint: required: SageMaker endpoint name`,
    ],
  ])('%s', (_field, model, line) => {
    expect(problemsOf(config(model))).toEqual([line]);
  });

  it("a Datadog source's requests: a long description is cut before its example", () => {
    const datadog = '{ type: datadog, api-key: "${DD_API_KEY}", application-key: "${DD_APP_KEY}" }';
    const model =
      '    source: { file: m.yaml, key: version }\n    target: { type: sandbox, url: "http://127.0.0.1:1" }\n    strategy: { type: canary, steps: [10] }\n    gates: []\n';
    expect(
      problemsOf(config(model, datadog), { DD_API_KEY: 'a'.repeat(32), DD_APP_KEY: 'b'.repeat(40) }),
    ).toEqual([
      `${F}:3:3: defaults.metrics.requests: required: Datadog query of the request count of one slot (its points are summed)`,
    ]);
  });
});
