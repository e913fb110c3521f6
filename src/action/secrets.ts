import * as core from '@actions/core';
import { addSecret } from '../core/redact.js';

export { secretsToMask } from '../config/secret-values.js';

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
