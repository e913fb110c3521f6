import { z } from 'zod';
import { listOf } from './messages.js';
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
  // Before the branches: the `type`/`kind` enum they make takes no reference (interpolate.ts).
  acceptEnvReferences(schema);
  selectBranchByKey(schema);
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

/**
 * A mapping of several kinds (a strategy's `type`, a gate's `kind`) is exported by zod as a
 * `oneOf` of every kind. A validator reports the mistakes against every branch then: a canary
 * missing its steps also got "step-size is required" from the linear branch. Rewritten as one
 * `if`/`then` per kind (draft-07 keywords, which editors' YAML language server applies), so only
 * the branch the key names is checked; a kind that is none of them gets one message, at the key.
 */
function selectBranchByKey(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) selectBranchByKey(item);
    return;
  }
  if (!isNode(node)) return;
  for (const value of Object.values(node)) selectBranchByKey(value);
  const branches = Array.isArray(node.oneOf) ? node.oneOf.filter(isNode) : [];
  const key = branches.length > 1 && branches.length === (node.oneOf as unknown[]).length && keyOf(branches);
  if (!key) return;
  const kinds = branches.map((branch) => ((branch.properties as Node)[key] as Node).const);
  delete node.oneOf;
  node.type = 'object';
  node.required = [key];
  node.properties = {
    [key]: {
      type: 'string',
      enum: kinds,
      description: `Which kind this is: ${listOf(kinds)}; it decides the other keys that apply.`,
    },
  };
  node.allOf = branches.map((branch, i) => ({
    if: { properties: { [key]: { const: kinds[i] } }, required: [key] },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's then, never awaited
    then: branch,
  }));
}

/** The key every branch fixes to a text of its own (`type`, `kind`), if there is one. */
function keyOf(branches: Node[]): string | undefined {
  const first = isNode(branches[0]?.properties) ? Object.keys(branches[0].properties) : [];
  return first.find((key) => {
    const kinds = branches.map((branch) => {
      const property = isNode(branch.properties) ? branch.properties[key] : undefined;
      return isNode(property) ? property.const : undefined;
    });
    return kinds.every((kind) => typeof kind === 'string') && new Set(kinds).size === kinds.length;
  });
}

/** `${NAME}`, as interpolate.ts reads it: after a `$` it is the literal `$${`, no reference. */
const ENV_REFERENCE = String.raw`(?<!\$)\$\{[A-Za-z_][A-Za-z0-9_]*\}`;

/**
 * The loader replaces `${NAME}` in every string value before it validates, so `namespace: "${NS}"`
 * and `on-merge: "${ON_MERGE}"` are valid as written; each pattern and each list of choices also
 * takes a value containing a reference, or an editor would flag it. Keys are never interpolated,
 * so a mapping's `propertyNames` keep their pattern; nor is a `type` or `kind` (still a `const`
 * here), which decides the keys beside it.
 */
function acceptEnvReferences(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) acceptEnvReferences(item);
    return;
  }
  if (!isNode(node)) return;
  if (typeof node.pattern === 'string') node.pattern = `(?:${node.pattern})|${ENV_REFERENCE}`;
  if (Array.isArray(node.enum) && node.enum.every((choice) => typeof choice === 'string')) {
    const { type, enum: choices } = node;
    delete node.type;
    delete node.enum;
    node.anyOf = [
      { type, enum: choices },
      { type: 'string', pattern: ENV_REFERENCE },
    ];
    return;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key !== 'propertyNames') acceptEnvReferences(value);
  }
}
