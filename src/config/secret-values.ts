import type { InterpolatedField } from './interpolate.js';
import { isSecretField, SECRET_VARIABLE } from './secret-fields.js';

/**
 * The values the runner must mask in the log: secret fields whole, and the value of every
 * secret-named variable, also where it is only part of a field (`--password=${CMD_PASS}`, a URL).
 * The action and the command line hide the same ones; here, apart from @actions/core.
 */
/** Shorter, a header not named like a secret (`X-Scope-OrgID: prod`) is no credential. */
const MIN_HEADER_SECRET = 8;

export function secretsToMask(
  interpolated: readonly InterpolatedField[],
  env: Record<string, string | undefined>,
): string[] {
  const secrets = new Set<string>();
  for (const field of interpolated) {
    // By the field's own name, not the whole path: a model named `token-classifier` holds no
    // secret. A header from the environment is masked whole whatever its name, unless it is too
    // short to be a credential (a tenant id `1` would hide every 1 in the log and the report).
    if (
      isSecretField(field.keys) ||
      (field.keys.includes('headers') && field.value.length >= MIN_HEADER_SECRET)
    )
      secrets.add(field.value);
    for (const name of field.variables) {
      const value = env[name];
      if (value && SECRET_VARIABLE.test(name)) secrets.add(value);
    }
  }
  return [...secrets];
}
