import { MetricsError } from '../core/errors.js';

/**
 * An HTTP status that says the fault passes by itself: a rate limit (429) or the server's own
 * trouble (5xx). Any other (400, a wrong url's 404, refused credentials) asks someone to act.
 */
export const passingStatus = (status: number): boolean => status === 429 || (status >= 500 && status <= 599);

/**
 * A 429 that said when its limit resets, too late to wait for within the look (fetch-json.ts
 * rateLimited): `until`, epoch ms. A look it refused carries it (Measurement.rateLimitedUntil),
 * so the gate does not count that look against consecutive-error-limit until then
 * (threshold-gate.ts foldMeasurement), and the check before traffic says when to re-run.
 */
export class RateLimitedError extends MetricsError {
  constructor(
    message: string,
    readonly until: number,
  ) {
    super(message, { passing: true });
  }
}
