import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configJsonSchema, JSON_SCHEMA_PATH } from '../../src/config/json-schema.js';
import { VALID } from './sample.js';

type Schema = {
  $schema?: string;
  type?: string;
  description?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  propertyNames?: { pattern?: string };
  items?: Schema;
  oneOf?: Schema[];
  const?: unknown;
  pattern?: string;
  anyOf?: Schema[];
  maximum?: number;
  exclusiveMaximum?: number;
};

/**
 * A loose structural check (no JSON Schema validator is installed): required keys are there,
 * no key is unknown, mapping keys match their pattern, `oneOf` picks the branch by `const`.
 */
function looseProblems(value: unknown, schema: Schema, path = '$'): string[] {
  if (schema.oneOf) {
    const record = value as Record<string, unknown>;
    const branch = schema.oneOf.find((s) =>
      Object.entries(s.properties ?? {}).some(([k, p]) => p.const !== undefined && record[k] === p.const),
    );
    return branch ? looseProblems(value, branch, path) : [`${path}: no oneOf branch matches`];
  }
  if (schema.type === 'array') {
    return (value as unknown[]).flatMap((item, i) =>
      looseProblems(item, schema.items ?? {}, `${path}[${i}]`),
    );
  }
  if (schema.type !== 'object') return [];
  const record = value as Record<string, unknown>;
  const problems = (schema.required ?? []).filter((k) => !(k in record)).map((k) => `${path}: missing ${k}`);
  for (const [key, item] of Object.entries(record)) {
    const pattern = schema.propertyNames?.pattern;
    if (pattern && !new RegExp(pattern).test(key))
      problems.push(`${path}.${key}: key does not match ${pattern}`);
    const sub =
      schema.properties?.[key] ??
      (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (sub) problems.push(...looseProblems(item, sub, `${path}.${key}`));
    else if (schema.additionalProperties === false) problems.push(`${path}.${key}: not allowed`);
  }
  return problems;
}

describe('the published JSON Schema', () => {
  it(`is up to date in ${JSON_SCHEMA_PATH}`, async () => {
    const committed = await readFile(JSON_SCHEMA_PATH, 'utf8');
    const fresh = `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
    expect(
      committed === fresh,
      `${JSON_SCHEMA_PATH} differs from the zod schema: run \`npm run schema\``,
    ).toBe(true);
  });

  it('is draft 2020-12, describes the top level and requires version and models', () => {
    const schema = configJsonSchema() as Schema;
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.required).toEqual(['version', 'models']);
    expect(Object.keys(schema.properties ?? {})).toEqual(['version', 'defaults', 'allow-forks', 'models']);
    expect(schema.description).toMatch(/model-gate/);
  });

  it('gives every field a description for editor hover', () => {
    const undocumented: string[] = [];
    const walk = (s: Schema, path: string) => {
      for (const [key, sub] of Object.entries(s.properties ?? {})) {
        if (!sub.description) undocumented.push(`${path}.${key}`);
        walk(sub, `${path}.${key}`);
      }
      for (const branch of s.oneOf ?? []) walk(branch, path);
      if (s.items) walk(s.items, `${path}[]`);
      if (typeof s.additionalProperties === 'object') walk(s.additionalProperties, `${path}.*`);
    };
    walk(configJsonSchema() as Schema, '$');
    expect(undocumented).toEqual([]);
  });

  it('accepts valid configs (loosely) and notices a missing or unknown key', async () => {
    const schema = configJsonSchema() as Schema;
    const example = parse(await readFile('examples/sandbox/model-gate.yml', 'utf8'));
    expect(looseProblems(example, schema)).toEqual([]);
    expect(looseProblems(parse(VALID), schema)).toEqual([]);
    expect(looseProblems({ version: 1 }, schema)).toEqual(['$: missing models']);
    expect(looseProblems({ version: 1, models: { Bad: {} }, extra: 1 }, schema)).toEqual([
      '$.models.Bad: key does not match ^[a-z0-9][a-z0-9._-]{0,62}$',
      '$.models.Bad: missing source',
      '$.models.Bad: missing gates',
      '$.extra: not allowed',
    ]);
  });

  it('says an A/B split is below 100, which validation requires, in both of its forms', () => {
    const splits: Schema[] = [];
    const walk = (s: unknown): void => {
      // Arrays too: their values are their items.
      if (!s || typeof s !== 'object') return;
      const node = s as Schema;
      if (node.properties?.type?.const === 'ab' && node.properties.split) splits.push(node.properties.split);
      Object.values(node).forEach(walk);
    };
    walk(configJsonSchema());
    // A model's strategy and the defaults' one.
    expect(splits).toHaveLength(2);
    for (const split of splits) {
      const number = split.anyOf?.find((b) => b.type === 'number');
      expect(number).toMatchObject({ exclusiveMaximum: 100 });
      expect(number?.maximum).toBeUndefined();
      const pattern = new RegExp(split.anyOf?.find((b) => b.type === 'string')?.pattern ?? '(?!)');
      expect(['50%', '99.5%', '1%'].filter((t) => pattern.test(t))).toEqual(['50%', '99.5%', '1%']);
      expect(['100%', '100.0%', '100.000%'].filter((t) => pattern.test(t))).toEqual([]);
    }
  });
});
