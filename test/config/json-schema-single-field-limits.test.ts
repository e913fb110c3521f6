import { readFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { JSON_SCHEMA_PATH } from '../../src/config/json-schema.js';
import { problemsOf } from './sample.js';

// Rules of one field that `model-gate validate` enforced but the published schema left out: an
// editor showed no mistake in a linear `step-size: 0.5` (read as half a percent) or in `models: {}`,
// which validate refuses. Checked with ajv on the committed file, beside the loader's answer.
const schema = JSON.parse(await readFile(JSON_SCHEMA_PATH, 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

/** Where an editor would underline `text`, as ajv's instance paths (the branch picks left out). */
function flagged(text: string): string[] {
  if (validate(parse(text))) return [];
  const errors = (validate.errors ?? []).filter((e) => !['if', 'anyOf'].includes(e.keyword));
  return [...new Set(errors.map((e) => e.instancePath))];
}

const F = '.github/model-gate.yml';
const linear = (fields: string) => `version: 1
models:
  fraud:
    source: { file: models/a.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:8080" }
    metrics: { type: sandbox, url: "http://127.0.0.1:8080" }
    strategy: { type: linear, ${fields} }
    gates: []
`;

describe('the published schema holds single fields to the limits validate does', () => {
  it('a bare linear step-size or max-weight below 1: flagged by the editor, refused by validate', () => {
    expect(flagged(linear('step-size: 0.5'))).toEqual(['/models/fraud/strategy/step-size']);
    expect(problemsOf(linear('step-size: 0.5'))).toEqual([
      `${F}:7:42: models.fraud.strategy.step-size: expected a percentage of the traffic, got the bare number 0.5, which means 0.5%: write 50% for half, or 0.5% if you mean it`,
    ]);
    expect(flagged(linear('step-size: 0.25, max-weight: 0.5'))).toEqual([
      '/models/fraud/strategy/step-size',
      '/models/fraud/strategy/max-weight',
    ]);
  });

  it('1 and more, or a small share written with %, pass both', () => {
    for (const fields of [
      'step-size: 1',
      'step-size: 25, max-weight: 100',
      'step-size: "0.5%", max-weight: "1%"',
    ]) {
      expect(flagged(linear(fields)), fields).toEqual([]);
      expect(() => problemsOf(linear(fields)), fields).toThrow('the config was accepted');
    }
  });

  it('models: {} is flagged as validate refuses it', () => {
    const none = 'version: 1\nmodels: {}\n';
    expect(flagged(none)).toEqual(['/models']);
    expect(problemsOf(none)).toEqual([`${F}:2:1: models: expected at least one model, got none`]);
  });
});
