import { z } from 'zod';
import { configSchema } from './schema.js';

/** Where the published schema lives in the repository, for `# yaml-language-server: $schema=`. */
export const JSON_SCHEMA_PATH = 'schema/model-gate.schema.json';

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The JSON Schema (draft 2020-12) of the config file as users write it, exported from the
 * same zod schema that validates it, with a description on every field for editor hover.
 * Checks that JSON Schema cannot express (cross-field rules, URLs, paths) are left to
 * `model-gate validate`.
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }) as Node;
  limitAbSplit(schema);
  const { $schema, ...rest } = schema;
  return { $schema, title: 'model-gate configuration', ...rest };
}

/**
 * An A/B's split is below 100 (strategy-gates.ts refuses 100: no user would be left on stable),
 * a cross-field rule zod checks outside the split's own schema; said here so editors flag it too.
 */
function limitAbSplit(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) limitAbSplit(item);
    return;
  }
  if (!isNode(node)) return;
  const properties = isNode(node.properties) ? node.properties : undefined;
  const type = isNode(properties?.type) ? properties.type : undefined;
  const split = isNode(properties?.split) ? properties.split : undefined;
  if (type?.const === 'ab' && split && Array.isArray(split.anyOf)) {
    for (const branch of split.anyOf.filter(isNode)) {
      if (branch.type === 'number' && branch.maximum === 100) {
        delete branch.maximum;
        branch.exclusiveMaximum = 100;
      }
      if (branch.type === 'string' && typeof branch.pattern === 'string' && branch.pattern.startsWith('^')) {
        branch.pattern = `^(?!100(?:\\.0*)?%$)${branch.pattern.slice(1)}`;
      }
    }
  }
  for (const value of Object.values(node)) limitAbSplit(value);
}
