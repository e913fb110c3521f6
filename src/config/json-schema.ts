import { z } from 'zod';
import { configSchema } from './schema.js';

/** Where the published schema lives in the repository, for `# yaml-language-server: $schema=`. */
export const JSON_SCHEMA_PATH = 'schema/model-gate.schema.json';

/**
 * The JSON Schema (draft 2020-12) of the config file as users write it, exported from the
 * same zod schema that validates it, with a description on every field for editor hover.
 * Checks that JSON Schema cannot express (cross-field rules, URLs, paths) are left to
 * `model-gate validate`.
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;
  const { $schema, ...rest } = schema;
  return { $schema, title: 'model-gate configuration', ...rest };
}
