import { createHash } from 'node:crypto';
import { SECRET_FIELD } from '../config/secret-fields.js';
import type { TargetIdentity } from './target.js';

// A target's identity (Target.identity) is built from its config alone, never masked afterwards:
// which secrets a run registers must not change it, or two runs under the same config would see a
// move. So what may hold a secret is left out by construction (credentials, headers, secret-named
// query parameters and arguments), and what may hold one we cannot tell apart (a URL's other query
// parameters, a command's arguments) is kept as a digest: a change there still counts, its text is
// never stored (the record goes to a PR comment).

/** The identity of a target of `type` from its addressing `fields`; absent ones are left out. */
export function identityOf(type: string, fields: Record<string, string | undefined>): TargetIdentity {
  const kept = Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined);
  return Object.fromEntries([['type', type], ...kept]);
}

/** A short digest of `parts`: tells a change apart without showing the text. */
const digest = (parts: readonly string[]): string =>
  `sha256:${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16)}`;

/**
 * What addresses a platform by URL: `url`, its scheme, host and path (no credentials, no trailing
 * slash, no fragment); `query`, a digest of its query parameters but those named like a secret
 * (`api_key`, `token`): those change with a rotation, not with a move.
 */
export function urlIdentity(raw: string): { url: string; query?: string } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { url: '(invalid URL)' };
  }
  const path = u.pathname.replace(/\/+$/, '');
  const params = [...u.searchParams]
    .filter(([name]) => !SECRET_FIELD.test(name))
    .map(([name, value]) => `${name}=${value}`)
    .sort();
  return { url: `${u.protocol}//${u.host}${path}`, ...(params.length > 0 ? { query: digest(params) } : {}) };
}

/** `--token` or `--token=…`: an option named like a secret. */
const SECRET_OPTION = /^-{1,2}([A-Za-z0-9_.-]+)(=.*)?$/;

/**
 * A digest of commands' arguments (each `argv` without its program, which is named apart), without
 * the value of an option named like a secret (`--password X`, `--token=X`): a rotated secret is no move.
 */
export function argumentsIdentity(...argvs: readonly (readonly string[])[]): string {
  return digest(argvs.map((argv) => JSON.stringify(withoutSecretValues(argv.slice(1)))));
}

function withoutSecretValues(args: readonly string[]): string[] {
  const kept: string[] = [];
  let secretNext = false;
  for (const arg of args) {
    if (secretNext) {
      kept.push('(secret)');
      secretNext = false;
      continue;
    }
    const option = SECRET_OPTION.exec(arg);
    if (option && SECRET_FIELD.test(option[1] ?? '')) {
      secretNext = option[2] === undefined;
      kept.push(secretNext ? arg : `${arg.slice(0, arg.indexOf('='))}=(secret)`);
      continue;
    }
    kept.push(arg);
  }
  return kept;
}
