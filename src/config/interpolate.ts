import { type ConfigPath, formatPath, quote } from './messages.js';
import { literalSecretProblem } from './secret-fields.js';

export interface InterpolatedField {
  /** The field, as in error messages: `models.fraud.target.url`. */
  path: string;
  /** The same path as keys and indexes, so that no model name is read as a field's name. */
  keys: ConfigPath;
  /** The field's value after substitution (mask it if the field is secret). */
  value: string;
  /** The environment variables that were substituted into it. */
  variables: string[];
  /** The list item before it, as written: a command's `--password` before the argument that is its value. */
  previous?: string;
}

export interface InterpolationProblem {
  path: ConfigPath;
  /** Point at the key rather than its value (a reserved key). */
  atKey?: boolean;
  message: string;
}

export interface Interpolation {
  value: unknown;
  interpolated: InterpolatedField[];
  /** The text as written (`https://${HOST}/`) of each interpolated field, by path. */
  originals: Map<string, string>;
  problems: InterpolationProblem[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The fields whose value picks the kind of their mapping, and so which other keys apply: a
 * strategy's, target's or metric source's `type` and a gate's `kind` (the schema's discriminated
 * unions). Taken from the environment, the file's meaning would change with it, and neither an
 * editor nor `validate` without that variable could check the keys beside it.
 */
function isKindField(path: readonly PropertyKey[]): boolean {
  const inModel = path[0] === 'models' ? path.slice(2) : path[0] === 'defaults' ? path.slice(1) : [];
  const [field, key, last] = inModel;
  if (inModel.length === 2)
    return ['target', 'metrics', 'strategy'].includes(String(field)) && key === 'type';
  return path[0] === 'models' && field === 'gates' && typeof key === 'number' && last === 'kind';
}

/** A `${NAME}` in the text: a `$` before it makes it the literal `$${`. */
const REFERENCE = /(?<!\$)\$\{/;

/** Keys that would reach an object's prototype rather than be data; no config has them. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Replaces `${NAME}` in every string value (not in keys) from `env`; `$${` stands for a
 * literal `${`. A field with a problem keeps its original text and is reported once. A secret
 * field written without `${NAME}` is a problem, as is `${NAME}` in a `type` or `kind` that picks
 * its mapping's keys, and reserved keys are refused and left out.
 */
export function interpolateEnv(data: unknown, env: Record<string, string | undefined>): Interpolation {
  const interpolated: InterpolatedField[] = [];
  const problems: InterpolationProblem[] = [];
  const originals = new Map<string, string>();
  const walk = (node: unknown, path: PropertyKey[], previous?: unknown): unknown => {
    const secret = literalSecretProblem(path, node);
    if (secret) {
      problems.push({ path, message: secret });
      return node;
    }
    if (typeof node === 'string' && REFERENCE.test(node) && isKindField(path)) {
      problems.push({
        path,
        message: `${quote(node, 60)}: a ${String(path.at(-1))} is not read from the environment, as it decides which other keys apply; write the value itself`,
      });
      return node;
    }
    if (typeof node === 'string') {
      const result = substitute(node, env);
      if ('problem' in result) {
        problems.push({ path, message: result.problem });
        return node;
      }
      if (result.variables.length > 0) {
        interpolated.push({
          path: formatPath(path),
          keys: path,
          value: result.text,
          variables: result.variables,
          ...(typeof previous === 'string' ? { previous } : {}),
        });
        originals.set(formatPath(path), node);
      }
      return result.text;
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i], node[i - 1]));
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(node)) {
        if (RESERVED_KEYS.has(key)) {
          problems.push({
            path: [...path, key],
            atKey: true,
            message: 'unknown key (__proto__, constructor and prototype are never config keys); remove it',
          });
          continue;
        }
        // Defined, not assigned: no key may reach a setter on the prototype.
        Object.defineProperty(out, key, {
          value: walk(value, [...path, key]),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return node;
  };
  return { value: walk(data, []), interpolated, originals, problems };
}

function substitute(
  text: string,
  env: Record<string, string | undefined>,
): { text: string; variables: string[] } | { problem: string } {
  if (!text.includes('${')) return { text, variables: [] };
  let out = '';
  const variables: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      out += '${';
      i += 3;
    } else if (text.startsWith('${{', i)) {
      return { problem: githubExpressionProblem(text.slice(i)) };
    } else if (text.startsWith('${', i)) {
      const end = text.indexOf('}', i + 2);
      if (end < 0) return { problem: 'unterminated "${" (write "$${" for a literal "${")' };
      const name = text.slice(i + 2, end);
      if (!NAME.test(name)) return { problem: badReferenceProblem(name) };
      // Own variables only: `${valueOf}` is not a member of process.env.
      const value = Object.hasOwn(env, name) ? env[name] : undefined;
      if (value === undefined)
        return {
          problem: `environment variable ${name} is not set: set it in the action step's env: (or export it)`,
        };
      if (value === '') {
        return {
          problem: `environment variable ${name} is empty (an unset secret reads as empty in GitHub Actions)`,
        };
      }
      out += value;
      variables.push(name);
      i = end + 1;
    } else {
      out += text[i];
      i += 1;
    }
  }
  return { text: out, variables: [...new Set(variables)] };
}

/**
 * `${{ secrets.URL }}` pasted from a workflow: the runner expands expressions in the workflow, not
 * in this file, so the value has to come through the step's environment.
 */
function githubExpressionProblem(rest: string): string {
  const close = rest.indexOf('}}');
  const expression = close < 0 ? rest : rest.slice(0, close + 2);
  const name =
    /^\$\{\{\s*(?:secrets|vars|env)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/.exec(expression)?.[1] ?? 'NAME';
  return `${quote(expression, 60)}: GitHub expressions are not expanded in this file; write "\${${name}}" and set ${name}: ${expression} in the action step's env:`;
}

/** `${URL:-http://…}` (a shell default) or `${BAD-NAME}`: what is wrong and what to write. */
function badReferenceProblem(name: string): string {
  const variable = /^([A-Za-z_][A-Za-z0-9_]*):[-=?+]/.exec(name)?.[1];
  if (variable) {
    return `${quote(`\${${name}}`, 60)}: defaults are not supported; write "\${${variable}}" and give ${variable} its value in the action step's env:`;
  }
  return `${quote(`\${${name}}`)} is not an environment variable reference (letters, digits and _ only; write "$\${" for a literal "\${")`;
}
