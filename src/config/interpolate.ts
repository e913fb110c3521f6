import { type ConfigPath, formatPath, quote } from './messages.js';

export interface InterpolatedField {
  /** The field, as in error messages: `models.fraud.target.url`. */
  path: string;
  /** The field's value after substitution (mask it if the field is secret). */
  value: string;
  /** The environment variables that were substituted into it. */
  variables: string[];
}

export interface InterpolationProblem {
  path: ConfigPath;
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
 * Replaces `${NAME}` in every string value (not in keys) from `env`; `$${` stands for a
 * literal `${`. A field with a problem keeps its original text and is reported once.
 */
export function interpolateEnv(data: unknown, env: Record<string, string | undefined>): Interpolation {
  const interpolated: InterpolatedField[] = [];
  const problems: InterpolationProblem[] = [];
  const originals = new Map<string, string>();
  const walk = (node: unknown, path: PropertyKey[]): unknown => {
    if (typeof node === 'string') {
      const result = substitute(node, env);
      if ('problem' in result) {
        problems.push({ path, message: result.problem });
        return node;
      }
      if (result.variables.length > 0) {
        interpolated.push({ path: formatPath(path), value: result.text, variables: result.variables });
        originals.set(formatPath(path), node);
      }
      return result.text;
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(node)) out[key] = walk(value, [...path, key]);
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
    } else if (text.startsWith('${', i)) {
      const end = text.indexOf('}', i + 2);
      if (end < 0) return { problem: 'unterminated "${" (write "$${" for a literal "${")' };
      const name = text.slice(i + 2, end);
      if (!NAME.test(name)) {
        return {
          problem: `${quote(`\${${name}}`)} is not an environment variable reference (letters, digits and _ only; write "$\${" for a literal "\${")`,
        };
      }
      const value = env[name];
      if (value === undefined) return { problem: `environment variable ${name} is not set` };
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
