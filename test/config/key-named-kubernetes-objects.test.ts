import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { problemsOf } from './sample.js';

const F = '.github/model-gate.yml';
const KSERVE = 'type: kserve, namespace: ml, storage-uri: "gs://m/{{version}}"';
const SELDON = 'type: seldon, namespace: ml';
const ISVC_RULE =
  "lowercase letters, digits and '-', at most 63, starting with a letter and ending with a letter or digit";
const KUBE_RULE = "lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit";

/** One model named `key`, on `target` (a flow mapping's inside), or on the defaults' one. */
function config(key: string, target: string, where: 'model' | 'defaults' = 'model'): string {
  const line = `target: { ${target} }`;
  return `version: 1
defaults:
  metrics: { type: prometheus, url: "http://prom:9090" }
  strategy: { type: canary, steps: [10, 50] }
${where === 'defaults' ? `  ${line}\n` : ''}models:
  ${key}:
    source: { file: models/a.yaml, key: version }
${where === 'model' ? `    ${line}\n` : ''}    gates: []
`;
}

// A model's key may hold '_' and '.', and start with a digit; an InferenceService or Experiment
// named after it was accepted, and refused only by the cluster at the first kubectl call.
describe('a KServe or Seldon object named after the model key is checked as its name field is', () => {
  it('an InferenceService named after "fraud_detector": refused at the model, saying to set target.name', () => {
    expect(problemsOf(config('fraud_detector', KSERVE))).toEqual([
      `${F}:8:5: models.fraud_detector.target: the InferenceService name defaults to the model's key "fraud_detector", which KServe refuses (${ISVC_RULE}); set target.name`,
    ]);
  });

  it('an Experiment named after "churn.v2": refused, saying to set target.experiment', () => {
    expect(problemsOf(config('churn.v2', SELDON))).toEqual([
      `${F}:8:5: models.churn.v2.target: the Experiment name defaults to the model's key "churn.v2", which is not a Kubernetes object name (${KUBE_RULE}); set target.experiment`,
    ]);
  });

  it("on the defaults' target: the model needs a target of its own", () => {
    expect(problemsOf(config('fraud_detector', KSERVE, 'defaults'))).toEqual([
      `${F}:7:3: models.fraud_detector.target: the InferenceService name defaults to the model's key "fraud_detector", which KServe refuses (${ISVC_RULE}); give this model its own target, with target.name set (defaults.target uses each model's key)`,
    ]);
  });

  it('an InferenceService name starting with a digit is refused, as KServe refuses it; an Experiment one is not', () => {
    expect(problemsOf(config('fraud', `${KSERVE}, name: 2fraud`))).toEqual([
      `${F}:8:85: models.fraud.target.name: expected an InferenceService name (${ISVC_RULE}), got "2fraud"`,
    ]);
    expect(problemsOf(config('2fraud', KSERVE))).toEqual([
      `${F}:8:5: models.2fraud.target: the InferenceService name defaults to the model's key "2fraud", which KServe refuses (${ISVC_RULE}); set target.name`,
    ]);
    expect(() => parseConfig(config('2fraud', SELDON), {})).not.toThrow();
  });

  it('a valid key, or a name given, is accepted; other targets keep any model key', () => {
    expect(parseConfig(config('fraud-detector', KSERVE), {}).config.models['fraud-detector']?.target).toEqual(
      expect.objectContaining({ type: 'kserve', namespace: 'ml' }),
    );
    const named = parseConfig(config('fraud_detector', `${KSERVE}, name: fraud-detector`), {});
    expect(named.config.models.fraud_detector?.target).toMatchObject({ name: 'fraud-detector' });
    const experiment = parseConfig(config('churn.v2', `${SELDON}, experiment: churn-v2`), {});
    expect(experiment.config.models['churn.v2']?.target).toMatchObject({ experiment: 'churn-v2' });
    expect(() =>
      parseConfig(config('fraud_detector', 'type: sandbox, url: "http://127.0.0.1:8080"'), {}),
    ).not.toThrow();
  });
});
