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

// A field with a fixed list of choices took `${NAME}` in the loader but not in the published schema:
// an editor underlined `on-merge: "${ON_MERGE}"`, which `model-gate validate` accepts. A `type` or
// `kind` decides which keys apply beside it, so there the loader now refuses `${NAME}`, as the schema does.
const choices = (kind = 'conversion', strategy = 'ab') => `version: 1
models:
  ranker:
    source: { file: models/b.yaml, key: version }
    target: { type: sagemaker, endpoint: ranker, region: us-east-1 }
    metrics: { type: datadog, api-key: "\${DD_API_KEY}", application-key: "\${DD_APP_KEY}", requests: "sum:hits{version:{{version}}}.as_count()", reducer: "\${REDUCER}" }
    strategy: { type: ${strategy}, split: 10 }
    gates:
      - { name: conversion, kind: ${kind}, conversions: "sum:conv{version:{{version}}}.as_count()", exposures: "sum:exp{version:{{version}}}.as_count()", direction: "\${DIRECTION}" }
      - { name: split, kind: srm }
      - { name: errors, kind: ratio, events: "sum:err{version:{{version}}}.as_count()", max-increase: 10%, judge: "\${JUDGE}" }
    on-merge: "\${ON_MERGE}"
  scorer:
    source: { file: models/c.yaml, key: version }
    target: { type: http, url: "http://serving:8080", strategies: [canary, "\${LINEAR}"] }
    metrics: { type: prometheus, url: "http://prom:9090" }
    strategy: { type: linear, step-size: 25 }
    gates: []
`;
const CHOICES = {
  LINEAR: 'linear',
  DD_API_KEY: 'a'.repeat(32),
  DD_APP_KEY: 'b'.repeat(40),
  REDUCER: 'sum',
  DIRECTION: 'increase',
  JUDGE: 'mann-whitney',
  ON_MERGE: 'analyze-then-promote',
  KIND: 'conversion',
  TYPE: 'ab',
};

describe('${NAME} in a field with a fixed list of choices', () => {
  it('on-merge, strategies, reducer, direction and judge: the schema accepts it as the loader does', () => {
    expect(flagged(choices())).toEqual([]);
    const { config } = parseConfig(choices(), CHOICES);
    const ranker = config.models.ranker;
    expect(ranker?.onMerge).toBe('analyze-then-promote');
    expect(ranker?.gates[0]).toMatchObject({ kind: 'conversion', direction: 'increase' });
    expect(ranker?.gates[2]).toMatchObject({ kind: 'ratio', judge: 'mann-whitney' });
    expect(ranker?.metrics).toMatchObject({ type: 'datadog', reducer: 'sum' });
    expect(config.models.scorer?.target).toMatchObject({ strategies: ['canary', 'linear'] });
  });

  it('still flags a literal that is none of the choices', () => {
    expect(flagged(choices().replace('"${ON_MERGE}"', 'promote'))).toEqual(['/models/ranker/on-merge']);
  });

  it("a strategy's type or a gate's kind decides the keys beside it: refused by both, naming the field", () => {
    const text = choices('"${KIND}"', '"${TYPE}"');
    expect(flagged(text)).toEqual(['/models/ranker/strategy/type', '/models/ranker/gates/0/kind']);
    const refused = (at: string, field: string, written: string) =>
      `.github/model-gate.yml:${at}: ${field}: "${written}": a ${field.split('.').at(-1)} is not read from the environment, as it decides which other keys apply; write the value itself`;
    expect(problemsOf(text, CHOICES)).toEqual([
      refused('7:23', 'models.ranker.strategy.type', '${TYPE}'),
      refused('9:35', 'models.ranker.gates[0].kind', '${KIND}'),
    ]);
  });

  it("a target's or metric source's type too, set or not in the environment; `$${` is still a literal", () => {
    const text = choices()
      .replace('type: sagemaker', 'type: "${TARGET}"')
      .replace('type: datadog', 'type: "dat${DD}"');
    expect(problemsOf(text, { ...CHOICES, TARGET: 'sagemaker' })).toEqual([
      expect.stringContaining(
        'models.ranker.target.type: "${TARGET}": a type is not read from the environment',
      ),
      expect.stringContaining(
        'models.ranker.metrics.type: "dat${DD}": a type is not read from the environment',
      ),
    ]);
    expect(problemsOf(choices('"$${KIND}"'), CHOICES)).toEqual([
      // Without its conversion gate, the A/B says what it lacks.
      expect.stringContaining('models.ranker.gates: an ab strategy promotes only on a business outcome'),
      expect.stringContaining('models.ranker.gates[0].kind: unknown gate kind "${KIND}"'),
    ]);
  });
});
