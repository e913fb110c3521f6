import { TargetError } from '../core/errors.js';

/**
 * The platform is busy with another change (an endpoint `Updating`, a rollout in progress,
 * a 409 from the serving layer) and stayed so for the whole settle timeout: nothing was
 * changed by us; try again later.
 */
export class TargetBusyError extends TargetError {}

/** The platform kept refusing a call for rate limits (throttled) past the retries: try again later. */
export class TargetThrottledError extends TargetError {}

/**
 * The platform answered and refused the request itself (HTTP 400 or 422: a version it does not
 * have, a state it cannot serve), unlike an outage (5xx, a timeout, nobody answering): the same
 * request gets the same answer, so the user must change it, not wait and run it again.
 */
export class TargetRefusedError extends TargetError {}

/**
 * Whether an answer's status refuses the request itself (TargetRefusedError). Not 401/403 (the fix
 * is credentials), 404 (a wrong URL or model), 409/429 (busy, throttled: they pass).
 */
export const refusesRequest = (status: number): boolean => status === 400 || status === 422;
