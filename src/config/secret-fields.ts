import type { ConfigPath } from './messages.js';

/**
 * Which fields hold secrets: one definition for masking them in the log and for refusing
 * them written literally in the file (SPEC: secrets come from the environment).
 */

/** A field or header whose whole value is a secret: `api-key`, `Authorization`, `X-Auth-Token`. */
export const SECRET_FIELD = /token|secret|password|key|auth/i;
/** A variable whose value is a secret wherever the config puts it: `CMD_PASS`, `DD_API_KEY`. */
export const SECRET_VARIABLE = /token|secret|pass|key|auth|cred/i;

/** The user:password@ part of a URL, and where the password starts. */
const URL_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@\s:]*:([^/?#@\s]*)@/i;

/**
 * Whether the field at `path` holds a secret: a header named like one, or a field such as
 * `api-key`. `key` alone names a field in a file (`source.key`), not a secret.
 */
export function isSecretField(path: ConfigPath): boolean {
  const name = path.at(-1);
  if (typeof name !== 'string') return false;
  if (path.at(-2) === 'headers') return SECRET_FIELD.test(name);
  return name !== 'key' && SECRET_FIELD.test(name);
}

/**
 * The problem with a secret written in the file rather than read from `${NAME}`, or undefined.
 * `written` is the value as in the file; the message never repeats it.
 */
export function literalSecretProblem(path: ConfigPath, written: unknown): string | undefined {
  const name = String(path.at(-1));
  if (isSecretField(path)) {
    const literal =
      typeof written === 'number' ||
      typeof written === 'boolean' ||
      (typeof written === 'string' && written !== '' && !hasReference(written));
    if (!literal) return undefined;
    const variable = variableFor(path);
    const scheme =
      typeof written === 'string' ? /^(Bearer|Basic|Token|Bot)\s+/i.exec(written)?.[0] : undefined;
    return `a secret written in the file; write ${name}: "${scheme ?? ''}\${${variable}}" and set ${variable} from a secret (secrets come from the environment, never from the file)`;
  }
  if (typeof written !== 'string') return undefined;
  const password = URL_PASSWORD.exec(written)?.[1];
  if (!password || hasReference(password)) return undefined;
  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${NAME} is config syntax, not a template
  return 'the URL holds a password written in the file; write it as user:${URL_PASSWORD}@ and set URL_PASSWORD from a secret (secrets come from the environment, never from the file)';
}

/** A `${NAME}` reference; `$${` is a literal `${`. */
function hasReference(text: string): boolean {
  return /(^|[^$])\$\{/.test(text);
}

/** A variable name to suggest: `api-key` -> DD_API_KEY under Datadog, `X-Auth-Token` -> AUTH_TOKEN. */
function variableFor(path: ConfigPath): string {
  const name = String(path.at(-1));
  if (name === 'api-key') return 'DD_API_KEY';
  if (name === 'application-key') return 'DD_APP_KEY';
  if (/^(proxy-)?authorization$/i.test(name)) return 'API_TOKEN';
  return name
    .replace(/^x-/i, '')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
}
