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
 * The platform answered and refused a traffic change itself (HTTP 400 or 422 to it: a version it
 * does not have, a state it cannot serve; a read's 400 is a TargetStateError), unlike an outage
 * (5xx, a timeout, nobody answering): the same request gets the same answer, so the user must
 * change it, not wait and run it again.
 */
export class TargetRefusedError extends TargetError {}

/**
 * The platform answered a read, with what model-gate cannot read as its traffic: a body of another
 * format, a split it does not drive (three versions live), a 400/422 to the read itself. Unlike an
 * outage the same read gets the same answer, so a read-back does not wait on it (confirmed-change.ts);
 * it is no refusal of a traffic change either (TargetRefusedError is the change's own 400/422).
 */
export class TargetStateError extends TargetError {}

/** A failure the same call meets again however long one waits: a read-back stops at it. */
export const isPermanent = (err: unknown): boolean =>
  err instanceof TargetRefusedError || err instanceof TargetStateError;

/**
 * The error class for a final answer of `status` that is not a success. A 400/422 refuses the
 * request itself: TargetRefusedError for a traffic change (`change`), TargetStateError for a read,
 * which says nothing of a change that may have taken. Any other is a TargetError: 401/403 (the fix
 * is credentials), 404 (a wrong URL or model), 409/429 once their retries are over.
 */
export const refusalClass = (status: number, change: boolean): typeof TargetError =>
  status !== 400 && status !== 422 ? TargetError : change ? TargetRefusedError : TargetStateError;
