import { readFile } from 'node:fs/promises';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { JSON_SCHEMA_PATH } from '../../src/config/json-schema.js';
import { VALID } from './sample.js';

// An editor checks the config against the published schema. Its strategy (and target, metrics,
// gate) was a `oneOf` of every kind, so a canary without steps was also told "step-size is
// required" by the linear branch, "must be equal to constant" by four others. Each kind's keys
// now apply only when `type` (`kind`) names it. Checked with ajv on the committed file.
const schema = JSON.parse(await readFile(JSON_SCHEMA_PATH, 'utf8'));
// strictRequired off: zod writes `required` beside `properties` it keeps in a sibling.
const ajv = new Ajv2020({ allErrors: true, strictRequired: false });
const validate = ajv.compile(schema);

/** A valid model, with `change` merged over it. */
const config = (change: Record<string, unknown>) => ({
  version: 1,
  models: {
    fraud: {
      source: { file: 'models/fraud.yaml', key: 'version' },
      target: { type: 'sandbox', url: 'http://127.0.0.1:8080' },
      metrics: { type: 'sandbox', url: 'http://127.0.0.1:8080' },
      strategy: { type: 'canary', steps: [10, 50] },
      gates: [],
      ...change,
    },
  },
});

/** What an editor would underline: where, and the key or value at fault (the `if` wrapper dropped). */
function mistakes(value: unknown): string[] {
  if (validate(value)) return [];
  const said = (e: ErrorObject) =>
    e.params.missingProperty ??
    e.params.additionalProperty ??
    e.params.allowedValues ??
    e.params.type ??
    e.keyword;
  return (validate.errors ?? [])
    .filter((e) => e.keyword !== 'if')
    .map((e) => `${e.instancePath.replace('/models/fraud/', '')} ${e.keyword}: ${said(e)}`);
}

describe('the published schema checks only the kind a mapping names', () => {
  it('accepts the sandbox example and the sample config', async () => {
    expect(mistakes(parse(await readFile('examples/sandbox/model-gate.yml', 'utf8')))).toEqual([]);
    expect(mistakes(parse(VALID))).toEqual([]);
  });

  it('a canary without steps and a bare-number step-duration: canary messages only', () => {
    expect(mistakes(config({ strategy: { type: 'canary', 'step-duration': 10 } }))).toEqual([
      'strategy required: steps',
      'strategy/step-duration type: string',
    ]);
  });

  it("a linear given a canary's steps: told the key is not linear's, and step-size is missing", () => {
    expect(mistakes(config({ strategy: { type: 'linear', steps: [10] } }))).toEqual([
      'strategy required: step-size',
      'strategy additionalProperties: steps',
    ]);
  });

  it('an unknown type: one message, at the type, listing the kinds', () => {
    expect(mistakes(config({ strategy: { type: 'canery', steps: [10] } }))).toEqual([
      'strategy/type enum: canary,linear,blue-green,shadow,ab,rolling',
    ]);
  });

  it('a target and a gate: only their own kind is checked too', () => {
    expect(mistakes(config({ target: { type: 'kserve' } }))).toEqual([
      'target required: namespace',
      'target required: storage-uri',
    ]);
    expect(mistakes(config({ gates: [{ name: 'errors', kind: 'threshold', max: 0.02 }] }))).toEqual([
      'gates/0 required: query',
    ]);
  });

  it("describes every field of every kind, and the key that picks it, for editors' hover", () => {
    const undocumented: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (!node || typeof node !== 'object') return;
      const { properties, allOf, items, additionalProperties } = node as Record<string, never>;
      for (const [key, sub] of Object.entries<{ description?: string }>(properties ?? {})) {
        if (!sub.description) undocumented.push(`${path}.${key}`);
        walk(sub, `${path}.${key}`);
      }
      for (const branch of (allOf ?? []) as { then?: unknown }[]) walk(branch.then, path);
      walk(items, `${path}[]`);
      walk(additionalProperties, `${path}.*`);
    };
    walk(schema, '$');
    expect(undocumented).toEqual([]);
    const strategy = schema.properties.models.additionalProperties.properties.strategy;
    expect(strategy.properties.type.description).toMatch(/"canary", "linear", .* or "rolling"/);
  });
});
