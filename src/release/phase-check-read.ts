import { TargetError } from '../core/errors.js';
import type { TrafficState } from '../core/traffic.js';
import { isPermanent } from '../targets/errors.js';
import type { ReleaseContext } from './context.js';
import type { Release } from './types.js';

// A look reads the platform, asking no change, to check the running phase still stands (a shadow's
// or a smoke test's candidate serves no callers; a renamed phase's traffic is set). A read that
// failed and may pass (a 503 to `az … show`, a timed-out GET /traffic, a kubectl read still failing
// after its tries) says nothing changed there: rolling back on it would end an hours-long shadow on
// one blip. That look is skipped instead, nothing changed, and the next look reads again (the
// candidate keeps the traffic it had, which the record shows). A failure no wait changes (access
// refused, nothing at the name: isPermanent) is thrown, as before.

/** What serves, or the error of a read that failed and may pass; a permanent failure is thrown. */
export async function readToCheck(
  release: Release,
  ctx: ReleaseContext,
): Promise<{ serving: TrafficState } | { unread: TargetError }> {
  try {
    return { serving: await ctx.target.read({ stable: release.from, candidate: release.to }) };
  } catch (err) {
    if (err instanceof TargetError && !isPermanent(err)) return { unread: err };
    throw err;
  }
}

/** A read to check `phase` that failed with `unread`; `toCheck`, what it was for (`to check …`). */
export interface UnreadCheck {
  phase: string;
  toCheck: string;
  unread: TargetError;
}

/**
 * `release` as a look that could not read the platform leaves it: analysing, unjudged, its reason
 * saying what the read was for and that the next look reads again.
 */
export function unreadLook(release: Release, { phase, toCheck, unread }: UnreadCheck, now: number): Release {
  const { holdEndsAt: _, ...rest } = release;
  return {
    ...rest,
    updatedAt: now,
    reason: `analysing ${phase}: the platform could not be read ${toCheck} (${unread.message}); nothing was changed, and the next look reads it again`,
  };
}
