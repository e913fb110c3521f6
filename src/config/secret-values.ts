import type { InterpolatedField } from './interpolate.js';
import { isSecretField, SECRET_VARIABLE } from './secret-fields.js';

/**
 * The values the runner must mask in the log: secret fields whole, and the value of every
 * secret-named variable, also where it is only part of a field (`--password=${CMD_PASS}`, a URL).
 * The action and the command line hide the same ones; here, apart from @actions/core.
 */
export function secretsToMask(
  interpolated: readonly InterpolatedField[],
  env: Record<string, string | undefined>,
): string[] {
  const secrets = new Set<string>();
  for (const field of interpolated) {
    // By the field's own name, not the whole path: a model named `token-classifier` holds no
    // secret. Every header from the environment is masked whole, whatever its name.
    if (isSecretField(field.keys) || field.keys.includes('headers')) secrets.add(field.value);
    for (const name of field.variables) {
      const value = env[name];
      if (value && SECRET_VARIABLE.test(name)) secrets.add(value);
    }
  }
  return [...secrets];
}
