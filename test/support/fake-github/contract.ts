// GitHub's REST contract for the operations model-gate uses, from the committed subset of GitHub's
// official OpenAPI description (made by scripts/extract-github-openapi.mjs): routing by path
// template, and request and response validation with ajv 8.
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';

const SPEC_ID = 'https://fake-github.invalid/openapi-subset.json';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** One parameter of an operation, its `$ref` resolved. */
export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  /** JSON pointer (in the subset) to the parameter's schema. */
  schemaPointer: string;
  type: string | undefined;
  multiSegment: boolean;
}

export interface Operation {
  method: string;
  /** The path template, e.g. `/repos/{owner}/{repo}/pulls/{pull_number}`. */
  template: string;
  operationId: string;
  /** GitHub's documentation page of the operation (its errors' documentation_url). */
  documentationUrl: string;
  parameters: Parameter[];
  /** JSON pointer to the `application/json` request body schema, when the operation takes one. */
  bodyPointer: string | undefined;
  bodyRequired: boolean;
  /** status -> JSON pointer to the `application/json` response schema (absent: no JSON body documented). */
  responses: Map<number, string | undefined>;
  regex: RegExp;
  /** Names of the path parameters in the order of the template. */
  pathNames: string[];
}

/** An error item of GitHub's `422 Validation Failed`. */
export interface GitHubValidationError {
  resource: string;
  field: string;
  code: string;
  message: string;
}

const spec = JSON.parse(
  readFileSync(new URL('./openapi-subset.json', import.meta.url), 'utf8'),
) as JsonObject;

function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

function at(pointer: string): Json {
  let node: Json = spec;
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (node === null || typeof node !== 'object' || !(segment in node)) {
      throw new Error(`${pointer} is not in the OpenAPI subset`);
    }
    node = (Array.isArray(node) ? node[Number(segment)] : node[segment]) as Json;
  }
  return node;
}

/** Follows an OpenAPI (non-schema) `$ref`, giving the object and its pointer. */
function deref(pointer: string): [JsonObject, string] {
  let current = pointer;
  for (let hops = 0; hops < 10; hops++) {
    const node = at(current) as JsonObject;
    const ref = node.$ref;
    if (typeof ref !== 'string') return [node, current];
    if (!ref.startsWith('#/')) throw new Error(`unsupported reference ${ref}`);
    current = ref.slice(1);
  }
  throw new Error(`reference loop at ${pointer}`);
}

function schemaType(schema: Json): string | undefined {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return undefined;
  if (typeof schema.type === 'string') return schema.type;
  for (const branch of [...((schema.anyOf as Json[]) ?? []), ...((schema.oneOf as Json[]) ?? [])]) {
    const type = schemaType(branch);
    if (type && type !== 'null') return type;
  }
  return undefined;
}

function loadOperations(): Operation[] {
  const operations: Operation[] = [];
  const paths = spec.paths as JsonObject;
  for (const template of Object.keys(paths)) {
    const itemPointer = `/paths/${escapePointer(template)}`;
    const item = paths[template] as JsonObject;
    for (const method of ['get', 'put', 'post', 'delete', 'patch']) {
      if (!(method in item)) continue;
      const opPointer = `${itemPointer}/${method}`;
      const op = item[method] as JsonObject;
      const parameters: Parameter[] = [];
      const declared = [
        ...((item.parameters as Json[] | undefined) ?? []).map((_, i) => `${itemPointer}/parameters/${i}`),
        ...((op.parameters as Json[] | undefined) ?? []).map((_, i) => `${opPointer}/parameters/${i}`),
      ];
      for (const p of declared) {
        const [param, pointer] = deref(p);
        parameters.push({
          name: param.name as string,
          in: param.in as Parameter['in'],
          required: param.required === true,
          schemaPointer: `${pointer}/schema`,
          type: schemaType(param.schema as Json),
          multiSegment: param['x-multi-segment'] === true,
        });
      }
      let bodyPointer: string | undefined;
      let bodyRequired = false;
      if (op.requestBody) {
        const [body, pointer] = deref(`${opPointer}/requestBody`);
        bodyRequired = body.required === true;
        if ((body.content as JsonObject | undefined)?.['application/json']) {
          bodyPointer = `${pointer}/content/application~1json/schema`;
        }
      }
      const responses = new Map<number, string | undefined>();
      for (const status of Object.keys(op.responses as JsonObject)) {
        const [response, pointer] = deref(`${opPointer}/responses/${status}`);
        const json = (response.content as JsonObject | undefined)?.['application/json'];
        responses.set(Number(status), json ? `${pointer}/content/application~1json/schema` : undefined);
      }
      const pathNames: string[] = [];
      const source = template.replace(/\{([^}]+)\}|[^{]+/g, (whole, name: string | undefined) => {
        if (name === undefined) return whole.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
        pathNames.push(name);
        const multi = parameters.find((q) => q.name === name && q.in === 'path')?.multiSegment;
        return multi ? '(.+?)' : '([^/]+)';
      });
      operations.push({
        method: method.toUpperCase(),
        template,
        operationId: op.operationId as string,
        documentationUrl:
          ((op.externalDocs as JsonObject | undefined)?.url as string) ?? 'https://docs.github.com/rest',
        parameters,
        bodyPointer,
        bodyRequired,
        responses,
        regex: new RegExp(`^${source}/?$`),
        pathNames,
      });
    }
  }
  return operations;
}

export const operations: readonly Operation[] = loadOperations();

const ajv = new Ajv({ strict: false, allErrors: true });
(ajvFormats as unknown as { default: (a: Ajv) => Ajv }).default(ajv);
// GitHub's own responses carry "" in some `format: uri` fields it always sends (e.g. a deployment
// status's target_url when none was given): "" is accepted there so that answers GitHub really
// gives stay valid.
const strictUri = ajv.formats.uri;
if (typeof strictUri !== 'function') throw new Error('ajv-formats gave no uri format function');
ajv.addFormat('uri', { type: 'string', validate: (value: string) => value === '' || strictUri(value) });
ajv.addSchema(spec, SPEC_ID);

const validators = new Map<string, ValidateFunction>();
function validator(pointer: string): ValidateFunction {
  let validate = validators.get(pointer);
  if (!validate) {
    validate = ajv.compile({ $ref: `${SPEC_ID}#${pointer}` });
    validators.set(pointer, validate);
  }
  return validate;
}

/** The operation and path parameters (raw, percent-decoded) for a method and path, if any. */
export function route(
  method: string,
  path: string,
): { operation: Operation; params: Record<string, string> } | undefined {
  for (const operation of operations) {
    if (operation.method !== method) continue;
    const match = operation.regex.exec(path);
    if (!match) continue;
    const params: Record<string, string> = {};
    operation.pathNames.forEach((name, i) => {
      const raw = match[i + 1] ?? '';
      try {
        params[name] = decodeURIComponent(raw);
      } catch {
        params[name] = raw;
      }
    });
    return { operation, params };
  }
  return undefined;
}

function coerce(value: string, type: string | undefined): Json {
  if (
    (type === 'integer' && /^-?\d+$/.test(value)) ||
    (type === 'number' && value.trim() !== '' && !Number.isNaN(Number(value)))
  ) {
    return Number(value);
  }
  if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

/** ajv's errors as the items of GitHub's `422 Validation Failed`. */
function describe(errors: ErrorObject[] | null | undefined, resource: string): GitHubValidationError[] {
  return (errors ?? []).map((error) => {
    const path = error.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
    if (error.keyword === 'required') {
      const field = [...path, String(error.params.missingProperty)].join('.');
      return { resource, field, code: 'missing_field', message: `${field} wasn't supplied.` };
    }
    const field = path.join('.');
    const allowed = error.keyword === 'enum' ? ` (one of ${JSON.stringify(error.params.allowedValues)})` : '';
    return { resource, field, code: 'invalid', message: `${field || 'body'} ${error.message}${allowed}` };
  });
}

/** Checks path and query parameters. `unknown` lists query parameters the operation does not declare. */
export function checkParameters(
  operation: Operation,
  pathParams: Record<string, string>,
  query: URLSearchParams,
): { values: Record<string, Json>; errors: GitHubValidationError[]; unknown: string[] } {
  const values: Record<string, Json> = {};
  const errors: GitHubValidationError[] = [];
  for (const param of operation.parameters) {
    if (param.in !== 'path' && param.in !== 'query') continue;
    const raw = param.in === 'path' ? pathParams[param.name] : (query.get(param.name) ?? undefined);
    if (raw === undefined) {
      if (param.required) {
        errors.push({
          resource: 'Parameter',
          field: param.name,
          code: 'missing_field',
          message: `${param.name} wasn't supplied.`,
        });
      }
      continue;
    }
    const value = coerce(raw, param.type);
    const validate = validator(param.schemaPointer);
    if (!validate(value)) {
      for (const error of validate.errors ?? []) {
        errors.push({
          resource: 'Parameter',
          field: param.name,
          code: 'invalid',
          message: `${param.name} ${JSON.stringify(raw)}: ${error.message}`,
        });
      }
    }
    values[param.name] = value;
  }
  const declared = new Set(operation.parameters.filter((p) => p.in === 'query').map((p) => p.name));
  const unknown = [...new Set(query.keys())].filter((name) => !declared.has(name));
  return { values, errors, unknown };
}

/** Checks a request body against the operation's `application/json` request body schema. */
export function checkBody(operation: Operation, body: unknown, resource: string): GitHubValidationError[] {
  if (!operation.bodyPointer) return [];
  if (body === undefined) {
    return operation.bodyRequired
      ? [{ resource, field: 'body', code: 'missing_field', message: 'a request body is required' }]
      : [];
  }
  const validate = validator(operation.bodyPointer);
  return validate(body) ? [] : describe(validate.errors, resource);
}

/**
 * Checks a JSON response against the schema documented for its status. Gives the problems (empty
 * when valid or when the status documents no JSON body) and whether the status is documented.
 */
export function checkResponse(
  operation: Operation,
  status: number,
  body: unknown,
): { documented: boolean; problems: string[] } {
  if (!operation.responses.has(status)) return { documented: false, problems: [] };
  const pointer = operation.responses.get(status);
  if (!pointer) return { documented: true, problems: [] };
  const validate = validator(pointer);
  if (validate(body)) return { documented: true, problems: [] };
  return {
    documented: true,
    problems: (validate.errors ?? []).map(
      (e) => `${e.instancePath || '(root)'} ${e.message} ${JSON.stringify(e.params)}`,
    ),
  };
}
