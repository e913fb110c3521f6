import { MetricsError } from '../core/errors.js';

/**
 * The metrics backend answered, refusing model-gate's credentials (HTTP 401 or 403, CloudWatch's
 * AccessDenied or an expired token). Not a passing fault like a timeout, and not missing data: a
 * revoked or expired token stays refused, and the gates cannot watch the candidate until someone
 * fixes it (metrics-refusals.ts ends the release on one that persists). `refused` is what said
 * no: `HTTP 401`, `AccessDenied`.
 */
export class RefusedCredentialsError extends MetricsError {
  constructor(
    message: string,
    readonly refused: string,
  ) {
    super(message);
  }
}
