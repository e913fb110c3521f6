import { TargetError } from '../core/errors.js';

/**
 * The platform is busy with another change (an endpoint `Updating`, a rollout in progress,
 * a 409 from the serving layer) and stayed so for the whole settle timeout: nothing was
 * changed by us; try again later.
 */
export class TargetBusyError extends TargetError {}

/** The platform kept refusing a call for rate limits (throttled) past the retries: try again later. */
export class TargetThrottledError extends TargetError {}
