import * as core from '@actions/core';
import type { InterpolatedField } from '../config/interpolate.js';
import { isSecretField, SECRET_VARIABLE } from '../config/secret-fields.js';
import { addSecret } from '../core/redact.js';

/**
 * The values the runner must mask in the log: secret fields whole, and the value of every
 * secret-named variable, also where it is only part of a field (`--password=${CMD_PASS}`, a URL).
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

/**
 * Masks each value in the log (the runner's masking) and redacts it from every message
 * model-gate makes, since those also go to PR comments and commit statuses, which nothing masks.
 */
export function maskSecrets(values: Iterable<string>): void {
  for (const value of values) {
    if (!value) continue;
    core.setSecret(value);
    addSecret(value);
  }
}
