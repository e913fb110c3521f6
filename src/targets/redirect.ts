import { hideUrlSecrets, safeUrl } from '../core/safe-url.js';
import { TargetAccessError } from './errors.js';

/** A target's call answered with a redirect: what it asked and where the answer points. */
export interface RedirectedCall {
  /** `serving layer at … redirected GET /traffic (HTTP 308)`. */
  head: string;
  /** The answer's Location header, if any: relative to `url`. */
  location: string | undefined;
  /** The URL the call asked. */
  url: string;
  /** The target's url, which `path` was added to. */
  base: string;
  /** The call's own path: `/traffic`. */
  path: string;
  /** Who answers at the url, for the advice: `the service`, `the sandbox`. */
  who: string;
}

/**
 * A redirect (http to https, a moved host, `/traffic` to `/traffic/`), never followed: the request
 * and its headers (a bearer token among them) would go wherever it points. No wait changes it, so
 * it is an access failure like a 404; the message says where it points, without its secrets, and
 * what to set.
 */
export function redirectedCall(call: RedirectedCall): TargetAccessError {
  const { head, path, who } = call;
  const noFollow =
    'model-gate does not follow redirects, so its requests and their headers never go elsewhere';
  let to: URL | undefined;
  try {
    to = call.location ? new URL(call.location, call.url) : undefined;
  } catch {
    to = undefined;
  }
  if (!to) {
    const where = call.location ? 'to an invalid URL' : 'without saying where (no Location)';
    return new TargetAccessError(`${head} ${where}: ${noFollow}; check the target's url`);
  }
  const shown = `${head} to ${hideUrlSecrets(to.toString())}: ${noFollow}`;
  // The url the redirect implies: its path without the call's own (`.../traffic/`).
  const bare = to.pathname.replace(/\/$/, '');
  if (!bare.endsWith(path))
    return new TargetAccessError(`${shown}; set the target's url to the address ${who} answers at`);
  const implied = safeUrl(`${to.origin}${bare.slice(0, bare.length - path.length)}`);
  if (implied !== safeUrl(call.base))
    return new TargetAccessError(`${shown}; set the target's url to ${implied}`);
  // The url is right; the service (or a proxy) sends its own path elsewhere.
  const slash = to.pathname.endsWith('/') ? ' (a trailing-slash rule?)' : '';
  const answer = who.replace(/^the /, '');
  return new TargetAccessError(
    `${shown}; have the ${answer} answer ${safeUrl(call.url)} itself, without the redirect${slash}`,
  );
}
