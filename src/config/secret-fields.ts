import type { ConfigPath } from './messages.js';

/**
 * Which fields hold secrets: one definition for masking them in the log and for refusing
 * them written literally in the file (SPEC: secrets come from the environment).
 */

/** A field or header whose whole value is a secret: `api-key`, `Authorization`, `X-Auth-Token`. */
export const SECRET_FIELD = /token|secret|password|key|auth/i;
/**
 * A variable whose value is a secret wherever the config puts it: `CMD_PASS`, `DD_API_KEY`,
 * `SERVING_JWT`, `DB_PWD`, `GITLAB_PAT`. Not the shell's own `PWD` and `OLDPWD` (directories), nor
 * `COMPAT` or `PATH`: `PAT` only as a word at the end.
 */
export const SECRET_VARIABLE = /token|secret|pass|key|auth|cred|jwt|^(?!(?:old)?pwd$).*pwd|(?:^|_)pat$/i;

/** The scheme before a header's token: `Bearer …`, `Basic …` (its base64 `user:password`). */
export const AUTH_SCHEME = /^(Bearer|Basic|Token|Bot)\s+/i;

/** The user:password@ part of a URL, and where the password starts. */
const URL_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@\s:]*:([^/?#@\s]*)@/i;
/**
 * A URL whose lone user name (`https://glpat-…@host`) is sent as its credential (`Authorization:
 * Basic`); an ssh or git URL's (`ssh://git@host`) is a login, the key authenticates.
 */
const HTTP_URL = /^(https?|wss?):\/\//i;
/** The userinfo (`user:password` or a lone token) before the `@` of a URL. */
const URL_USERINFO = /^[a-z][a-z0-9+.-]*:\/\/([^/?#@\s]*)@/i;

/** `--token` or `--token=…`: a command-line option, its name, and `=` with its value if given. */
export const SECRET_OPTION = /^-{1,2}([A-Za-z0-9_.-]+)(=.*)?$/;
/** `--no-auth`, `--skip-auth`, `--disable-token-check`: a switch that takes no value, whatever it names. */
const SWITCH_OFF = /^-{1,2}(no|skip|disable)-/i;
/** `PGPASSWORD=…`: an environment variable set by an argument (`env`, `kubectl set env`), and its name. */
const ASSIGNMENT = /^([A-Z_][A-Z0-9_]*)=/;

/** Where a secret option's value is: after its `=`, or (none) in the next argument. */
type OptionValue = { value?: { text: string; start: number } };

/**
 * A command argument that is an option named like a secret (`--password`, `--token=…`): its value
 * after `=` and where it starts, or none when its value is the next argument. A switch that turns
 * a thing off (`--skip-auth`) is none: the argument after it (an endpoint) is no secret's value.
 */
export function secretOption(arg: string): OptionValue | undefined {
  return SWITCH_OFF.test(arg) ? undefined : optionNamedLikeSecret(arg);
}

/**
 * secretOption as it was before switches were told apart: the target identities recorded then
 * took the argument after `--skip-auth` for a secret's value (targets/identity.ts).
 */
export function optionNamedLikeSecret(arg: string): OptionValue | undefined {
  const option = SECRET_OPTION.exec(arg);
  if (!option || !SECRET_FIELD.test(option[1] ?? '')) return undefined;
  return option[2] === undefined ? {} : valueAfterEquals(arg);
}

/** An argument setting an environment variable named like a secret (`PGPASSWORD=…`): its value, as `--password=…`'s. */
export function secretAssignment(arg: string): Required<OptionValue> | undefined {
  const name = ASSIGNMENT.exec(arg)?.[1];
  return name !== undefined && SECRET_VARIABLE.test(name) ? valueAfterEquals(arg) : undefined;
}

const valueAfterEquals = (arg: string): Required<OptionValue> => {
  const start = arg.indexOf('=') + 1;
  return { value: { text: arg.slice(start), start } };
};

/**
 * curl's `-H "Authorization: Bearer …"` (or `--header=…`) as a command's argument, when the header
 * is named like a secret: its value and where it starts. A name with `_` (`model_key: fraud`) is no
 * HTTP header, nor is `key` alone (as a field), nor a URL's `https://`.
 */
const HEADER_ARGUMENT = /^(?:--header=|-H)?([A-Za-z0-9-]+):[ \t]*(?!\/\/)(?=\S)/;

/** The value of a header named like a secret in a command's argument (`Authorization: Bearer …`), and where it starts. */
export function secretHeaderArgument(arg: string): { text: string; start: number } | undefined {
  const header = HEADER_ARGUMENT.exec(arg);
  const name = header?.[1];
  if (header === null || name === undefined || name.toLowerCase() === 'key' || !SECRET_FIELD.test(name))
    return undefined;
  return { text: arg.slice(header[0].length), start: header[0].length };
}

/**
 * The password of curl's `-u user:password` (`--user user:password`, `--user=user:password`) and
 * where it starts; `previous` is the argument before. Not docker's `-u 1000:1000`, a user and group id.
 */
export function userPassword(
  arg: string,
  previous: string | undefined,
): { user: string; text: string; start: number } | undefined {
  const prefix = arg.startsWith('--user=')
    ? '--user='.length
    : previous === '-u' || previous === '--user'
      ? 0
      : -1;
  const colon = prefix < 0 ? -1 : arg.indexOf(':', prefix);
  if (colon < 0) return undefined;
  const user = arg.slice(prefix, colon);
  const text = arg.slice(colon + 1);
  if (text === '' || (/^\d+$/.test(user) && /^\d+$/.test(text))) return undefined;
  return { user, text, start: colon + 1 };
}

/** Whether the field at `path` is an argument of a command target's `apply` or `read`. */
export function isCommandArgument(path: ConfigPath): boolean {
  const field = path.at(-2);
  return (
    typeof path.at(-1) === 'number' && (field === 'apply' || field === 'read') && path.at(-3) === 'target'
  );
}

/** Whether the field at `path` is an HTTP header (`...headers.X-Scope-OrgID`), whatever its name. */
export function isHeader(path: ConfigPath): boolean {
  return path.at(-2) === 'headers' && typeof path.at(-1) === 'string';
}

/**
 * The credential in a URL and where it starts: the password of `user:password@`, or a lone
 * `token@` (git hosts take a token as the user name), or the user name of `key:@` (an API key as
 * the user, its password empty, as Stripe's). The user name beside a password is no secret.
 */
export function urlCredential(url: string): { text: string; start: number } | undefined {
  const userinfo = URL_USERINFO.exec(url)?.[1];
  if (!userinfo) return undefined;
  const start = url.indexOf('//') + 2;
  const colon = userinfo.indexOf(':');
  const password = colon < 0 ? '' : userinfo.slice(colon + 1);
  if (password) return { text: password, start: start + colon + 1 };
  const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
  return user ? { text: user, start } : undefined;
}

/**
 * The parameters refused written in the file: whole names (lower case), as services name their
 * keys. Not SECRET_PARAM's parts of names: `?model_key={{model}}` or `?keyword=fraud` is no secret,
 * and refusing a valid config costs more than masking a value that is none (so not `code`, an
 * Azure Functions key but as often a status filter: `?code=5xx`; masked when it comes from a variable).
 */
const SECRET_PARAM_NAMES = new Set([
  ...['api_key', 'api-key', 'apikey', 'key', 'token', 'access_token', 'auth_token', 'auth', 'jwt'],
  ...['secret', 'client_secret', 'password', 'passwd', 'pwd', 'pass', 'sig', 'signature', 'x-amz-signature'],
]);
/**
 * A URL's query parameter whose value is a secret: named like a secret field (`api_key`, `token`,
 * `key`), by one of SECRET_PARAM_NAMES (`pwd`, `passwd`, `sig`), or as Azure Functions (`code`) and
 * signed URLs (`X-Amz-Signature`) name theirs.
 */
export const SECRET_PARAM = new RegExp(
  `${SECRET_FIELD.source}|^(${[...SECRET_PARAM_NAMES, 'code'].join('|')})$|signature`, // letters, _ and -
  'i',
);

/**
 * The value of each secret-named parameter (`isSecret`, SECRET_PARAM by default) in a URL's query
 * string (`?api_key=…`), as written, and where it starts; none for a text that is no absolute URL.
 */
export function urlQuerySecrets(
  url: string,
  isSecret = (name: string) => SECRET_PARAM.test(name),
): { text: string; start: number }[] {
  const query = /^[a-z][a-z0-9+.-]*:\/\/[^?#\s]*\?([^#\s]*)/i.exec(url);
  if (query?.[1] === undefined) return [];
  const found: { text: string; start: number }[] = [];
  let at = query[0].length - query[1].length;
  for (const param of query[1].split('&')) {
    const equals = param.indexOf('=');
    const text = param.slice(equals + 1);
    if (equals > 0 && text !== '' && isSecret(decodedName(param.slice(0, equals))))
      found.push({ text, start: at + equals + 1 });
    at += param.length + 1;
  }
  return found;
}

/** A query parameter's name as its server reads it (`api%5Fkey` is `api_key`). */
function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

/**
 * Whether the field at `path` holds a secret: a header named like one, or a field such as
 * `api-key`. `key` alone names a field in a file (`source.key`), not a secret.
 */
export function isSecretField(path: ConfigPath): boolean {
  const name = path.at(-1);
  if (typeof name !== 'string') return false;
  if (isHeader(path)) return SECRET_FIELD.test(name);
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
    const scheme = typeof written === 'string' ? AUTH_SCHEME.exec(written)?.[0] : undefined;
    return `a secret written in the file; write ${name}: "${scheme ?? ''}\${${variable}}" and set ${variable} from a secret (secrets come from the environment, never from the file)`;
  }
  if (typeof written !== 'string') return undefined;
  if (!isCommandArgument(path)) return literalUrlSecretProblem(written);
  // `--db=postgres://deploy:hunter22@db/x`: a URL also after an argument's first `=`, as it is masked there.
  const equals = written.indexOf('=');
  return (
    literalUrlSecretProblem(written) ??
    literalOptionProblem(written) ??
    (equals < 0 ? undefined : literalUrlSecretProblem(written.slice(equals + 1)))
  );
}

const FROM_ENVIRONMENT = '(secrets come from the environment, never from the file)';

/**
 * An option or variable refused with its value written in the file: its name ends in a word only
 * credentials are called by (`--password`, `--db-pwd`, `--api-key`, `PGPASSWORD`, `HF_TOKEN`,
 * `CLIENT_SECRET`). Not SECRET_FIELD's parts of names, masked but not refused: `--key-file=…`,
 * `--auth-mode=iam`, `TOKENIZER=bert` are no secrets; nor a bare `--secret=id=npmrc,src=…` (docker's
 * secret mount), `--pwd=` or the shell's `PWD=` (directories).
 */
const CREDENTIAL_NAME =
  /(password|passwd|token|jwt|.secret|(^|[-_.])pass|[-_.]pwd|api[-_]?key|access[-_]?key|secret[-_]?key)$/i;

/** The problem with an option's (`--password=…`) or an environment variable's (`PGPASSWORD=…`) secret value written in the file. */
function literalOptionProblem(arg: string): string | undefined {
  const option = SWITCH_OFF.test(arg) ? undefined : SECRET_OPTION.exec(arg);
  const name = option?.[2] !== undefined ? option[1] : ASSIGNMENT.exec(arg)?.[1];
  if (name === undefined || !CREDENTIAL_NAME.test(name)) return undefined;
  const value = arg.slice(arg.indexOf('=') + 1);
  if (value === '' || hasReference(value) || value.includes('{{')) return undefined;
  const variable = variableNamed(name);
  const written = option ? arg.slice(0, arg.indexOf('=')) : name;
  const what = option ? `the ${written} option` : `the variable ${name}`;
  return `${what} holds a secret written in the file; write ${written}=\${${variable}} and set ${variable} from a secret ${FROM_ENVIRONMENT}`;
}

/** The problem with a URL's credential or secret-named query parameter written in the file, or undefined. */
function literalUrlSecretProblem(url: string): string | undefined {
  const password = URL_PASSWORD.exec(url)?.[1];
  if (password && !hasReference(password))
    return `the URL holds a password written in the file; write it as user:\${URL_PASSWORD}@ and set URL_PASSWORD from a secret ${FROM_ENVIRONMENT}`;
  const token = urlCredential(url);
  const lone = token !== undefined && token.start === url.indexOf('//') + 2;
  if (lone && HTTP_URL.test(url) && !hasReference(token.text))
    return `the URL holds a token written in the file as its user name; write it as \${URL_TOKEN}@ and set URL_TOKEN from a secret ${FROM_ENVIRONMENT}`;
  // A `{{model}}` is filled in per query, from no secret.
  const param = urlQuerySecrets(url, (name) => SECRET_PARAM_NAMES.has(name.toLowerCase())).find(
    (p) => !hasReference(p.text) && !p.text.includes('{{'),
  );
  if (param === undefined) return undefined;
  const before = url.slice(0, param.start - 1);
  const name = before.slice(Math.max(before.lastIndexOf('?'), before.lastIndexOf('&')) + 1);
  const suggested = variableNamed(decodedName(name));
  // `pwd=${PWD}` would read the shell's working directory.
  const variable = /^(PASSWORD|PASSWD|PWD|PASS)$/.test(suggested)
    ? 'URL_PASSWORD'
    : /^[A-Z_][A-Z0-9_]*$/.test(suggested)
      ? suggested
      : 'URL_SECRET';
  return `the URL's ${name} parameter holds a secret written in the file; write it as ${name}=\${${variable}} and set ${variable} from a secret ${FROM_ENVIRONMENT}`;
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
  return variableNamed(name);
}

/** `X-Api-Key` -> API_KEY, `api_key` -> API_KEY. */
const variableNamed = (name: string): string =>
  name
    .replace(/^x-/i, '')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
