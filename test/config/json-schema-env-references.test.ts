// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text, where ${NAME} is interpolation syntax
import { readFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { JSON_SCHEMA_PATH } from '../../src/config/json-schema.js';
import { parseConfig } from '../../src/config/load.js';
import { problemsOf } from './sample.js';

// The loader replaces `${NAME}` in every string value before it validates, but the published
// schema held each patterned field to its pattern as written: an editor underlined
// `namespace: "${NS}"`, a config `model-gate validate` accepts. Checked with ajv on the committed file.
const schema = JSON.parse(await readFile(JSON_SCHEMA_PATH, 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: false });
const validate = ajv.compile(schema);

/** Where an editor would underline `text`, as ajv's instance paths. */
function flagged(text: string): string[] {
  if (validate(parse(text))) return [];
  // The `if` that picks a target's kind fails too, at the target itself: only the field is kept.
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if');
  return [...new Set(errors.map((e) => e.instancePath))];
}

const config = (namespace: string, region = '"${REGION}"', key = 'fraud') => `version: 1
defaults:
  metrics: { type: prometheus, url: "http://prom:9090" }
  strategy: { type: canary, steps: [10, 50], step-duration: "\${STEP}", interval: "\${EVERY}m" }
models:
  ${key}:
    source: { file: models/a.yaml, key: version }
    target: { type: kserve, name: "\${ISVC}", namespace: ${namespace}, storage-uri: "gs://m/{{version}}" }
    gates: []
  ranker:
    source: { file: models/b.yaml, key: version }
    target: { type: sagemaker, endpoint: "ranker-\${STAGE}", region: ${region} }
    gates: []
  sandboxed:
    source: { file: models/c.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:8080", model: "\${SANDBOX_MODEL}" }
    metrics: { type: sandbox, url: "http://127.0.0.1:8080" }
    gates: []
`;
const ENV = {
  NS: 'ml',
  ISVC: 'fraud',
  REGION: 'us-east-1',
  STEP: '10m',
  EVERY: '1',
  STAGE: 'prod',
  SANDBOX_MODEL: 'fraud',
};

describe('the published schema accepts ${NAME} in a field with a pattern, as the loader does', () => {
  it('namespace, name, region, sandbox model and durations from the environment: nothing flagged', () => {
    const text = config('"${NS}"');
    expect(flagged(text)).toEqual([]);
    expect(() => parseConfig(text, ENV)).not.toThrow();
    expect(flagged(config('"ml-${STAGE}"'))).toEqual([]);
  });

  it('still flags a literal that breaks the pattern, and a literal "$${" that references nothing', () => {
    expect(flagged(config('ML_Team', '"us east 1"'))).toEqual([
      '/models/fraud/target/namespace',
      '/models/ranker/target/region',
    ]);
    expect(flagged(config('"$${NS}"'))).toEqual(['/models/fraud/target/namespace']);
    // Keys are never interpolated: a model named "${MODEL}" is flagged as the loader refuses it.
    expect(flagged(config('ml', '"us-east-1"', '"${MODEL}"'))).toEqual(['/models']);
  });

  it("the loader still checks the value substituted in, as before: the schema can't see it", () => {
    expect(problemsOf(config('"${NS}"'), { ...ENV, NS: 'ML_Team' })).toEqual([
      expect.stringMatching(
        /models\.fraud\.target\.namespace: expected a Kubernetes namespace \(.*\), got "\$\{NS\}" \(value from the environment, not shown\)$/,
      ),
    ]);
  });
});
