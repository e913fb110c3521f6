import * as core from '@actions/core';
import type { InterpolatedField } from '../config/interpolate.js';
import { secretValues, tooShortToMask } from '../config/secret-values.js';
import { addSecret } from '../core/redact.js';

/**
 * The values to mask (see secretValues), warning once for each secret too short to mask: the
 * user sees why its value shows in the log and the comment.
 */
export function secretsToMask(
  interpolated: readonly InterpolatedField[],
  env: Record<string, string | undefined>,
): string[] {
  const { values, tooShort } = secretValues(interpolated, env);
  for (const secret of tooShort) core.warning(tooShortToMask(secret));
  return values;
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
