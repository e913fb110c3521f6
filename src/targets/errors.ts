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
 * A write the platform's own policy refused before storing anything (an admission webhook's
 * denial, an object the API server finds invalid): no other version gets past it; what the policy
 * names is the fix.
 */
export class PolicyRefusedError extends TargetRefusedError {}

/**
 * The platform answered a read, with what model-gate cannot read as its traffic: a body of another
 * format, a split it does not drive (three versions live), a 400/422 to the read itself. Unlike an
 * outage the same read gets the same answer, so a read-back does not wait on it (confirmed-change.ts);
 * it is no refusal of a traffic change either (TargetRefusedError is the change's own 400/422).
 */
export class TargetStateError extends TargetError {}

/**
 * The platform answered, but not about the traffic: it refused the credentials model-gate called
 * with (HTTP 401/403, an expired token, a missing permission), does not have what the config
 * names (HTTP 404, an endpoint that is not there), or redirects it elsewhere (HTTP 3xx, which
 * model-gate never follows). Only the user changes any (the credentials, the URL or name), so a
 * read-back does not wait on it; the message says which to fix. A 404 to a
 * traffic change whose answer names a version of it is no such thing: the service is there and
 * lacks the version, a TargetRefusedError (refusalClass).
 */
export class TargetAccessError extends TargetError {}

/** A failure the same call meets again however long one waits: a read-back stops at it. */
export const isPermanent = (err: unknown): boolean =>
  err instanceof TargetRefusedError || err instanceof TargetStateError || err instanceof TargetAccessError;

/** HTTP statuses no wait changes: credentials refused (401, 403), nothing at the URL (404). */
const ACCESS_STATUS = new Set([401, 403, 404]);

/**
 * The error class for a final answer of `status` that is not a success. A 400/422 refuses the
 * request itself: TargetRefusedError for a traffic change (`change`), TargetStateError for a read,
 * which says nothing of a change that may have taken; so does a 404 whose answer names a version
 * the request asked for (`unknownVersion`: the service is there, the version is not). Any other
 * 401/403/404 is a TargetAccessError (the fix is credentials, or the URL or model name). Any other
 * status is a TargetError: 409/429 once their retries are over, a 5xx.
 */
export function refusalClass(status: number, change: boolean, unknownVersion = false): typeof TargetError {
  if (status === 404 && unknownVersion) return change ? TargetRefusedError : TargetStateError;
  if (ACCESS_STATUS.has(status)) return TargetAccessError;
  if (status !== 400 && status !== 422) return TargetError;
  return change ? TargetRefusedError : TargetStateError;
}
