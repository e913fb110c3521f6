import { createHash } from 'node:crypto';
import {
  optionNamedLikeSecret,
  SECRET_FIELD,
  secretOption,
  urlCredential,
  urlQuerySecrets,
} from '../config/secret-fields.js';
import { redact } from '../core/redact.js';
import { urlAddress } from '../core/safe-url.js';
import type { TargetIdentity } from './target.js';

// A target's identity (Target.identity) is built from its config alone, and the record of it goes
// to a PR comment. What may hold a secret is left out by construction (credentials, headers,
// secret-named query parameters and arguments); what may hold one we cannot tell apart (a URL's
// other query parameters, a command's arguments) is kept as a digest: a change there still
// counts, its text is never stored. A secret in a URL (a gateway's key in its path:
// `${SERVING_URL}/gw/${SERVING_TOKEN}/m`) or a command's arguments is masked (`***`) as the
// identity is built, digests taken of the masked text: a rotated key is then the same platform,
// and no key is stored. A plain field that holds a secret (an Azure subscription, a GCP project,
// a kube context read from `${…_SECRET}`) is the platform itself, not a key to it: it is kept as a
// digest of its text, so another value is a move (masked, production's `***` read as staging's).
// Records stored before masking hold the unmasked text: unmaskedForms keeps how this run's
// identity read then, so an upgrade sees no move (deployed-target.ts). So do the forms of a
// command's arguments recorded under earlier rules: a URL argument holding a secret masked whole
// (`***`, before only its secret was), the argument after `--skip-auth` left out as a secret's.

const DIGEST = 'sha256:';

/** Whether an identity value is a digest (a URL's query, a command's arguments, a secret's field). */
export const isDigest = (value: string): boolean => value.startsWith(DIGEST);

/** The unmasked text of each masked identity value built in this process, by its masked text. */
const unmasked = new Map<string, Set<string>>();

/** `shown`, the masked form of `raw`, remembered as such. */
function remembered(shown: string, raw: string): string {
  if (shown !== raw) unmasked.set(shown, new Set([...(unmasked.get(shown) ?? []), raw]));
  return shown;
}

/**
 * How an identity value built in this process read before secrets were masked, or masked as they
 * were before (each text it stood for, one per secret value seen); none for a value that masks nothing.
 */
export const unmaskedForms = (value: string): readonly string[] => [...(unmasked.get(value) ?? [])];

/**
 * The identity of a target of `type` from its addressing `fields`; absent ones are left out, one
 * holding a secret kept as a digest of its text. A URL's fields (urlIdentity) and a command's
 * arguments (argumentsIdentity) come masked already, and mask nothing more here.
 */
export function identityOf(type: string, fields: Record<string, string | undefined>): TargetIdentity {
  const kept = Object.entries(fields)
    .filter((e): e is [string, string] => e[1] !== undefined)
    // A digest (a URL's query, a command's arguments) shows no text: a secret's inside its hex would be a coincidence.
    .map(([name, value]) => [name, isDigest(value) ? value : plainValue(value)]);
  return Object.fromEntries([['type', type], ...kept]);
}

/**
 * A plain field's value as an identity holds it: as written, or a digest of it where it holds a
 * secret. Masked, every subscription read from one secret-named variable would be `***`, and a
 * job on production would take a candidate analysed on staging for its own.
 */
const plainValue = (value: string): string =>
  redact(value) === value ? value : remembered(digest([value]), value);

/** A short digest of `parts`: tells a change apart without showing the text. */
export const digest = (parts: readonly string[]): string =>
  `${DIGEST}${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16)}`;

/**
 * What addresses a platform by URL: `url`, its scheme, host and path (no credentials, no trailing
 * slash, no fragment); `query`, a digest of its query parameters but those named like a secret
 * (`api_key`, `token`): those change with a rotation, not with a move. Secrets masked in both.
 */
export function urlIdentity(raw: string): { url: string; query?: string } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { url: INVALID };
  }
  // Credentials are no part of the address: a URL held whole in a secret for its user:password
  // is known by its host and path once they are dropped.
  const stripped = urlAddress(u);
  const origin = `${u.protocol}//${u.host}`;
  const masked = maskedText(stripped);
  // A secret in the path (a gateway's key) rotates while the platform stays: masked. One that
  // begins in the host (a whole URL held in one secret) cannot be told from the path around it:
  // the host is kept and the path is a digest, so another path is another target (a rotated key
  // in it too: a missed move would leave a candidate live). One in the scheme, host or port is
  // part of where the platform is: the whole address is a digest, and nothing secret shows.
  const url = masked.startsWith(origin)
    ? masked
    : maskedText(origin) === origin
      ? `${origin} (path ${digest([u.pathname])})`
      : digest([stripped]);
  remembered(url, stripped);
  const params = (mask: (value: string) => string) =>
    [...u.searchParams]
      .filter(([name]) => !SECRET_FIELD.test(name))
      .map(([name, value]) => `${name}=${mask(value)}`)
      .sort();
  if (params(String).length === 0) return { url };
  return { url, query: remembered(digest(params(redact)), digest(params(String))) };
}

const INVALID = '(invalid URL)';

/** `text` with registered secrets masked, also where the URL parser percent-encoded their characters. */
function maskedText(text: string): string {
  const masked = redact(text);
  if (masked !== text) return masked;
  try {
    const decoded = decodeURI(text);
    return redact(decoded) === decoded ? text : redact(decoded);
  } catch {
    return text;
  }
}

/**
 * A digest of commands' arguments (each `argv` without its program, which is named apart), without
 * the value of an option named like a secret (`--password X`, `--token=X`), other secrets masked:
 * a rotated secret is no move.
 */
export function argumentsIdentity(...argvs: readonly (readonly string[])[]): string {
  const of = (mask: (arg: string) => string, option = secretOption) =>
    digest(argvs.map((argv) => JSON.stringify(withoutSecretValues(argv.slice(1).map(mask), option))));
  // A secret elsewhere (`-H "Authorization: Bearer ${TOKEN}"`) is masked before the digest is taken.
  const shown = of(redact);
  // As releases recorded these arguments before (see the top): unmasked; with a URL that holds a
  // secret masked whole; each also with the argument after a switch (`--skip-auth`) left out.
  for (const option of [secretOption, optionNamedLikeSecret])
    for (const mask of [(arg: string) => arg, maskedWholeUrl, redact]) remembered(shown, of(mask, option));
  return shown;
}

/**
 * `arg` as it was masked before a command's URL had only its secret masked: a URL at its start
 * holding a masked secret (its password, a secret-named query value) read `***` whole, since its
 * variable's whole value was masked. An upgrade mid-release then sees no move. (Text written after
 * such a variable, the `/x` of `${DATABASE_URL}/x`, was kept after its `***`: not rebuilt here.)
 */
function maskedWholeUrl(arg: string): string {
  const secrets = [urlCredential(arg), ...urlQuerySecrets(arg)];
  return secrets.some((s) => s !== undefined && redact(s.text) !== s.text) ? MASKED : redact(arg);
}

const MASKED = '***';

function withoutSecretValues(args: readonly string[], optionOf: typeof optionNamedLikeSecret): string[] {
  const kept: string[] = [];
  let secretNext = false;
  for (const arg of args) {
    if (secretNext) {
      kept.push('(secret)');
      secretNext = false;
      continue;
    }
    // One rule with masking (secret-values.ts): an option named like a secret.
    const option = optionOf(arg);
    if (option) {
      secretNext = option.value === undefined;
      kept.push(option.value ? `${arg.slice(0, option.value.start)}(secret)` : arg);
      continue;
    }
    kept.push(arg);
  }
  return kept;
}
