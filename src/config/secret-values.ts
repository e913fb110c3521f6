import { decoded, withUrlCredentials } from '../core/url-credentials.js';
import type { InterpolatedField } from './interpolate.js';
import type { ConfigPath } from './messages.js';
import {
  AUTH_SCHEME,
  isCommandArgument,
  isHeader,
  isSecretField,
  SECRET_VARIABLE,
  secretAssignment,
  secretHeaderArgument,
  secretOption,
  urlCredential,
  urlQuerySecrets,
  userPassword,
} from './secret-fields.js';

/**
 * The values the runner must mask in the log and model-gate redacts from every message (the PR
 * comment, the ledger, commit statuses): one list for both, so the log and the comment hide the
 * same. The action and the command line use it; here, apart from @actions/core.
 *
 * A variable's value is a secret by where the config puts it, whatever the variable's name: in a
 * header, in a secret field (`api-key`, `password`), as a URL's credential or the value of its
 * secret-named query parameter (`?api_key=…`). A service may echo the
 * bare token of `Authorization: "Bearer ${SERVING_JWT}"` in an error body, so the value is masked
 * as well as the whole header. A secret-named variable (`CMD_PASS`) is masked wherever it is used.
 * A command's argument is read as curl's: `-H "Authorization: Bearer ${SERVING_JWT}"` is such a
 * header, `-u deploy:${DB_PW}` a user and password (sent as `Authorization: Basic`).
 */

/**
 * Shorter, a value is no credential, and masking it would hide every `10` or `on` in the log, the
 * comment and the ledger ("step 1 (***% of live traffic)"). The runner masks whatever it is given
 * (`::add-mask::` has no minimum), so the line is drawn here, where
 * google-github-actions/get-secretmanager-secrets draws it by default; such a value is left as it
 * is, with a warning naming its variable.
 */
export const MIN_SECRET_LENGTH = 4;
/** Shorter, a header not named like a secret (`X-Scope-OrgID: prod`) is a tenant or a version, no credential. */
const MIN_HEADER_SECRET = 8;

export interface SecretValues {
  /** What to mask: each value at least MIN_SECRET_LENGTH characters long. */
  values: string[];
  /** Variables in a secret's place too short to mask, and the first field each is in. */
  tooShort: { variable: string; path: string }[];
}

/** The values to mask, and the secrets left unmasked for being too short, from the interpolated fields. */
export function secretValues(
  interpolated: readonly InterpolatedField[],
  env: Record<string, string | undefined>,
): SecretValues {
  const values = new Set<string>();
  const tooShort = new Map<string, string>();
  const add = (value: string, min: number) => {
    if (value.trim().length >= min) values.add(value);
  };
  for (const field of interpolated) {
    // By the field's own name, not the whole path: a model named `token-classifier` holds no secret.
    const secretField = isSecretField(field.keys);
    const header = isHeader(field.keys);
    const argument = isCommandArgument(field.keys);
    // `--password=${DB_PW}` or `PGPASSWORD=${DB_PW}`: the value of a command's option (or of an
    // environment variable it sets) named like a secret, as a secret field's.
    const option = argument ? (secretOption(field.value) ?? secretAssignment(field.value))?.value : undefined;
    // `--password ${DB_PW}`: the argument after an option named like a secret that takes its value apart.
    const before = argument && field.previous !== undefined ? secretOption(field.previous) : undefined;
    const optionArgument = before !== undefined && before.value === undefined;
    const headerArgument = argument ? secretHeaderArgument(field.value) : undefined;
    const login = argument ? userPassword(field.value, field.previous) : undefined;
    const urls = urlsIn(field.value, argument);
    const credentials = urls.flatMap(({ url, start }) => {
      const credential = urlCredential(url);
      return credential ? [{ url, text: credential.text, start: start + credential.start }] : [];
    });
    const queryKeys = urls.flatMap(({ url, start }) =>
      urlQuerySecrets(url).map((key) => ({ text: key.text, start: start + key.start })),
    );
    // A webhook may carry its secret in its path or query (an incoming webhook's /services/T…/B…/<secret>).
    const hookPath = isWebhookUrl(field.keys) ? pathAndQuery(field.value) : undefined;
    if (secretField || optionArgument) add(field.value, MIN_SECRET_LENGTH);
    else if (option) add(option.text, MIN_SECRET_LENGTH);
    else if (header) add(field.value, MIN_HEADER_SECRET);
    // A `{{candidate}}` in it is filled in per command, from no secret.
    if (headerArgument && !headerArgument.text.includes('{{')) {
      add(headerArgument.text, MIN_SECRET_LENGTH);
      // The token after `Bearer ` or `Basic ` (a base64 `user:password`), which a service may quote bare.
      const scheme = AUTH_SCHEME.exec(headerArgument.text)?.[0];
      if (scheme) add(headerArgument.text.slice(scheme.length), MIN_SECRET_LENGTH);
    }
    if (login && login.text.trim().length >= MIN_SECRET_LENGTH) {
      add(login.text, MIN_SECRET_LENGTH);
      add(basic(`${login.user}:${login.text}`), MIN_SECRET_LENGTH);
    }
    for (const name of field.variables) {
      const value = env[name];
      if (!value) continue;
      // `https://user:${PASS}@host`, or a whole `${PROM_URL}` with its credential in it.
      const inCredential = credentials.filter((credential) => overlaps(field.value, value, credential));
      for (const credential of inCredential) {
        for (const form of credentialForms(credential.text)) add(form, MIN_SECRET_LENGTH);
        // As sent: a service answering 401 may quote the Authorization header it was given.
        add(basicCredentials(credential.url), MIN_SECRET_LENGTH);
      }
      // `?api_key=${KEY}`, or a whole `${PROM_URL}` with its key in it: a server may echo the URL asked.
      const inQuery = queryKeys.filter((key) => overlaps(field.value, value, key));
      for (const key of inQuery) for (const form of queryForms(key.text)) add(form, MIN_SECRET_LENGTH);
      // Masked as the whole path and query, which a host-only variable (`${HOOK_HOST}`) is not part of.
      if (hookPath !== undefined && overlaps(field.value, value, hookPath))
        add(hookPath.text, MIN_HEADER_SECRET);
      // `-u deploy:${DB_PW}`: as a URL's password, masked without the user name beside it.
      const inLogin = login !== undefined && overlaps(field.value, value, login) ? [login] : [];
      const inUrl = [...inCredential, ...inQuery, ...inLogin];
      const inOption = option !== undefined && overlaps(field.value, value, option);
      const inHeader = headerArgument !== undefined && overlaps(field.value, value, headerArgument);
      // A command's argument has its URL's credential masked, not the whole URL: `--db=***` would
      // hide from the target's identity (identity.ts) which database the command addresses, and
      // production's would read as staging's.
      const whole =
        secretField ||
        optionArgument ||
        inOption ||
        inHeader ||
        SECRET_VARIABLE.test(name) ||
        (inUrl.length > 0 && !argument);
      if (whole || inUrl.length > 0) {
        const long = value.trim().length >= MIN_SECRET_LENGTH;
        if (whole && long) values.add(value);
        // Short, or (in a command's argument) a credential too short to be masked in it.
        else if ((!long || inUrl.some(tooShortToBe)) && !tooShort.has(name)) tooShort.set(name, field.path);
      } else if (header) add(value, MIN_HEADER_SECRET);
    }
  }
  return { values: [...values], tooShort: [...tooShort].map(([variable, path]) => ({ variable, path })) };
}

/** A credential shorter than MIN_SECRET_LENGTH, left unmasked. */
const tooShortToBe = (credential: { text: string }): boolean =>
  credential.text.trim().length < MIN_SECRET_LENGTH;

/**
 * Where a field's text may hold a URL, and where it starts: at its start, and in a command's
 * argument also after its first `=` (`--db=postgres://…`, `DATABASE_URL=…`).
 */
function urlsIn(text: string, argument: boolean): { url: string; start: number }[] {
  const equals = argument ? text.indexOf('=') : -1;
  return [0, ...(equals < 0 ? [] : [equals + 1])].map((start) => ({ url: text.slice(start), start }));
}

/** A URL's credential (or query key) as written, and as its server receives it (percent-decoded). */
const credentialForms = (credential: string): string[] => [credential, decoded(credential)];

/** A query key's forms, also form-decoded (`+` read as a space) as a server may echo it. */
const queryForms = (key: string): string[] => [...credentialForms(key), decoded(key.replace(/\+/g, ' '))];

/** The base64 `user:password` of the `Authorization: Basic` header a URL's credential becomes. */
const basicCredentials = (url: string): string =>
  withUrlCredentials(url, {}).headers.authorization?.replace(/^Basic /, '') ?? '';

/** `user:password` as `Authorization: Basic` sends it (RFC 7617), as curl's `-u` does. */
const basic = (userPassword: string): string => Buffer.from(userPassword, 'utf8').toString('base64');

/** A webhook gate's `url` (`gates[n].url`): the one URL whose path may be its secret. */
const isWebhookUrl = (keys: ConfigPath) =>
  keys.at(-1) === 'url' && typeof keys.at(-2) === 'number' && keys.at(-3) === 'gates';

/** The path and query of an absolute URL as written, and where they start; none for a bare `/`. */
function pathAndQuery(url: string): { text: string; start: number } | undefined {
  const origin = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(url)?.[0];
  if (origin === undefined) return undefined;
  const text = url.slice(origin.length).replace(/#.*$/, '');
  return text.length > 1 ? { text, start: origin.length } : undefined;
}

/** Whether `value` occurs in `text` where it makes up part of the credential (or path). */
function overlaps(text: string, value: string, credential: { text: string; start: number }): boolean {
  const end = credential.start + credential.text.length;
  for (let at = text.indexOf(value); at >= 0; at = text.indexOf(value, at + 1))
    if (at < end && at + value.length > credential.start) return true;
  return false;
}

/** Why a secret is shown as it is; never the value itself. */
export function tooShortToMask({ variable, path }: SecretValues['tooShort'][number]): string {
  return `${variable} (in ${path}) is not masked: its value is shorter than ${MIN_SECRET_LENGTH} characters, too short to be a credential, and masking it would hide that text everywhere in the log, the PR comment and the ledger; if it is a secret, make it longer (the runner still masks a GitHub secret's value in the log)`;
}
