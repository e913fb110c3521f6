import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';

// Two models of the config on one platform model share its one canary slot: a PR moving both put
// one's candidate over the other's, and the other's report judged traffic that was not its own.
// validate refuses the second, naming both and the field to change. Models that share a sandbox,
// a cluster or a pair of commands but are different models there stay valid.
const model = (name: string, target: string) => `  ${name}:
    source: { file: models/${name}.yaml, key: version }
    target: ${target}
    gates: []
`;
const config = (...models: string[]) => `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:9" }
  metrics: { type: sandbox, url: "http://127.0.0.1:9" }
  strategy: { type: canary, steps: [10, 50] }
models:
${models.join('')}`;
const KSERVE = '{ type: kserve, namespace: ml, storage-uri: "gs://m/{{model}}/{{version}}"';
const SAGEMAKER =
  '{ type: sagemaker, endpoint: fraud-prod, region: eu-west-1, variant: "{{model}}-{{version}}" }';
const COMMAND = '{ type: command, apply: [deploy, "{{candidate}}", "{{weight}}"], read: [deploy, read] }';

async function validate(text: string) {
  const dir = await mkdtemp(join(tmpdir(), 'model-gate-shared-target-'));
  await writeFile(join(dir, 'model-gate.yml'), text);
  return runCli(dir, ['validate', 'model-gate.yml']);
}

describe('validate with two models on one platform model', () => {
  it('refuses a second model whose target.model is the first one (exit 1), naming both and what to do', async () => {
    const run = await validate(
      config(
        model('fraud-detector', '{ type: sandbox, url: "http://127.0.0.1:9" }'),
        model('fraud2', '{ type: sandbox, url: "http://127.0.0.1:9/", model: fraud-detector }'),
      ),
    );
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: `model-gate.yml:13:65: models.fraud2.target.model: fraud2 and fraud-detector are the same sandbox model "fraud-detector" on the same target, so each would put its candidate in the other's canary slot and report on the other's traffic as its own; give fraud2 its own target.model, or release both versions from one model\n`,
    });
  });

  it('refuses one InferenceService or one SageMaker endpoint named by two models', async () => {
    const run = await validate(
      config(
        model('fraud', `${KSERVE}, name: fraud }`),
        model('fraud-eu', `${KSERVE}, name: fraud }`),
        model('ranker', SAGEMAKER),
        model('ranker-eu', SAGEMAKER),
      ),
    );
    expect(run.code).toBe(1);
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        /^model-gate\.yml:13:\d+: models\.fraud-eu\.target\.name: fraud-eu and fraud are the same KServe InferenceService "fraud" on the same target, .*; give fraud-eu its own target\.name, /,
      ),
      expect.stringMatching(
        /^model-gate\.yml:21:\d+: models\.ranker-eu\.target\.endpoint: ranker-eu and ranker are the same SageMaker endpoint "fraud-prod" on the same target, .*; give ranker-eu its own target\.endpoint, /,
      ),
    ]);
  });

  it('accepts models that share a sandbox, a namespace or commands under their own names', async () => {
    const run = await validate(
      config(
        model('fraud-detector', '{ type: sandbox, url: "http://127.0.0.1:9" }'),
        model('churn', '{ type: sandbox, url: "http://127.0.0.1:9" }'),
        model('fraud2', '{ type: sandbox, url: "http://127.0.0.1:8", model: fraud-detector }'),
        model('fraud', `${KSERVE} }`),
        model('fraud-eu', `${KSERVE}, name: fraud, context: eu }`),
        model('deploy-a', COMMAND),
        model('deploy-b', COMMAND),
      ),
    );
    expect(run).toEqual({
      code: 0,
      stdout:
        '✓ model-gate.yml: 7 models (fraud-detector, churn, fraud2, fraud, fraud-eu, deploy-a, deploy-b)\n',
      stderr: '',
    });
  });
});
